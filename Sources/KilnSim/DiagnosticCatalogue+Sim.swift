// DiagnosticCatalogue+Sim.swift: the diagnostics KilnSim emits (K4201-K4304) (ids in the ranges DiagnosticCatalogue.swift gives).

import KilnSource

extension DiagnosticCatalogue {
    // Simulation (K42xx): findings while running; the message names both instructions and their source lines.
    public static func simUninitializedRead(_ detail: String) -> Diagnostic {
        make("K4201", "sim-uninitialized-read", .error, detail, at: .unknown)
    }
    public static func simOutOfBounds(_ detail: String) -> Diagnostic {
        make("K4202", "sim-out-of-bounds", .error, detail, at: .unknown)
    }
    public static func simGatherIndexOutOfRange(_ detail: String) -> Diagnostic {
        make("K4207", "sim-gather-index-out-of-range", .error, detail, at: .unknown)
    }
    public static func simScatterIndexOutOfRange(_ detail: String) -> Diagnostic {
        make("K4208", "sim-scatter-index-out-of-range", .error, detail, at: .unknown)
    }
    public static func simRace(_ detail: String) -> Diagnostic {
        make("K4203", "sim-race", .error, detail, at: .unknown)
    }
    public static func simDeadlock(_ detail: String) -> Diagnostic {
        make("K4204", "sim-deadlock", .error, detail, at: .unknown)
    }
    public static func simOutputNotWritten(_ detail: String) -> Diagnostic {
        make("K4205", "sim-output-not-written", .warning, detail, at: .unknown)
    }
    public static func simStepLimit(_ limit: Int) -> Diagnostic {
        make("K4206", "sim-step-limit", .error,
             "the simulation stopped after \(limit) instructions (the limit); the program may not terminate", at: .unknown)
    }
    // Simulator inputs (K43xx).
    public static func simMissingInput(_ name: String, expected: String) -> Diagnostic {
        make("K4301", "sim-missing-input", .error,
             "no value for input '\(name)' (\(expected)); pass --input \(name)=FILE.npy or --random SEED", at: .unknown)
    }
    public static func simInputMismatch(_ name: String, _ detail: String) -> Diagnostic {
        make("K4302", "sim-input-mismatch", .error, "input '\(name)': \(detail)", at: .unknown)
    }
    public static func simTooLarge(elements: Int, limit: Int) -> Diagnostic {
        make("K4304", "sim-too-large", .error,
             "simulating the results needs \(elements) HBM elements, over the limit of \(limit); "
                 + "use --timing-only for time alone", at: .unknown)
    }
    public static func simUnknownInput(_ name: String, known: String) -> Diagnostic {
        make("K4303", "sim-unknown-input", .error, "the kernel has no input '\(name)'; its inputs are: \(known)", at: .unknown)
    }
}
