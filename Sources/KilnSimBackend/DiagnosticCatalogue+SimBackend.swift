// DiagnosticCatalogue+SimBackend.swift: the diagnostics KilnSimBackend emits (K4101-K4104) (ids in the ranges DiagnosticCatalogue.swift gives).

import KilnSource

extension DiagnosticCatalogue {
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
}
