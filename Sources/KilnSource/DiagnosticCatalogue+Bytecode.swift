// DiagnosticCatalogue+Bytecode.swift: bytecode format, sim backend and simulator diagnostics (K4000-K4499).

extension DiagnosticCatalogue {
    // Bytecode files (K40xx): the span is the byte range of the offending field in the .kbc file.
    public static func bytecodeTruncated(needed: Int, available: Int, what: String, at span: SourceSpan) -> Diagnostic {
        make("K4001", "bytecode-truncated", .error,
             "file ends inside \(what): \(needed) bytes needed, \(available) left", at: span)
    }
    public static func bytecodeBadMagic(at span: SourceSpan) -> Diagnostic {
        make("K4002", "bytecode-bad-magic", .error, "not a Kiln bytecode file (the magic bytes are wrong)", at: span)
    }
    public static func bytecodeUnsupportedVersion(_ version: Int, supported: Int, at span: SourceSpan) -> Diagnostic {
        make("K4003", "bytecode-version", .error,
             "bytecode version \(version) is not supported (this kiln reads version \(supported))", at: span)
    }
    public static func bytecodeBadValue(_ what: String, _ detail: String, at span: SourceSpan) -> Diagnostic {
        make("K4004", "bytecode-bad-value", .error, "invalid \(what): \(detail)", at: span)
    }
    public static func bytecodeUnknownOpcode(_ code: Int, at span: SourceSpan) -> Diagnostic {
        make("K4005", "bytecode-unknown-opcode", .error, "unknown opcode 0x\(String(code, radix: 16))", at: span)
    }
    public static func bytecodeTrailingBytes(_ count: Int, at span: SourceSpan) -> Diagnostic {
        make("K4006", "bytecode-trailing-bytes", .error, "\(count) unexpected bytes after the end of the program", at: span)
    }
    public static func bytecodeInvalidProgram(_ detail: String, at span: SourceSpan) -> Diagnostic {
        make("K4007", "bytecode-invalid", .error, detail, at: span)
    }
    public static func bytecodeTooLarge(_ detail: String, at span: SourceSpan) -> Diagnostic {
        make("K4008", "bytecode-too-large", .error, detail, at: span)
    }

    // The sim backend (K41xx): located at the tile IR op's kernel source span.
    public static func simBackendUnsupportedOp(_ opcode: String, at span: SourceSpan) -> Diagnostic {
        make("K4101", "sim-unsupported-op", .error,
             "'\(opcode)' is a tensor-level op; the sim backend needs tile-level IR (run the tiling passes first)", at: span)
    }
    public static func simBackendUnplacedTile(_ name: String, at span: SourceSpan) -> Diagnostic {
        make("K4102", "sim-unplaced-tile", .error,
             "tile \(name) has no placement; run the 'allocate' pass before emitting bytecode", at: span)
    }
    public static func simBackendNoKernel(_ detail: String) -> Diagnostic {
        make("K4103", "sim-no-kernel", .error, detail, at: .unknown)
    }
    public static func simBackendInvalidIR(_ detail: String, at span: SourceSpan) -> Diagnostic {
        make("K4104", "sim-invalid-ir", .error, detail, at: span)
    }

    // Simulation (K42xx): findings while running; the message names both instructions and their source lines.
    public static func simUninitializedRead(_ detail: String) -> Diagnostic {
        make("K4201", "sim-uninitialized-read", .error, detail, at: .unknown)
    }
    public static func simOutOfBounds(_ detail: String) -> Diagnostic {
        make("K4202", "sim-out-of-bounds", .error, detail, at: .unknown)
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
