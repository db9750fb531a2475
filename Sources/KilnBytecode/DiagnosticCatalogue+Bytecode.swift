// DiagnosticCatalogue+Bytecode.swift: the diagnostics KilnBytecode emits (K4001-K4008) (ids in the ranges DiagnosticCatalogue.swift gives).

import KilnSource

extension DiagnosticCatalogue {
    // Bytecode files (K40xx): the span is the byte range of the offending field in the .kbc file.
    public static func bytecodeTruncated(needed: Int, available: Int, what: String, at span: SourceSpan) -> Diagnostic {
        make("K4001", "bytecode-truncated", .error,
             "file ends inside \(what): \(needed) bytes needed, \(available) left", at: span)
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
    public static func bytecodeBadMagic(at span: SourceSpan) -> Diagnostic {
        make("K4002", "bytecode-bad-magic", .error, "not a Kiln bytecode file (the magic bytes are wrong)", at: span)
    }
    public static func bytecodeTooLarge(_ detail: String, at span: SourceSpan) -> Diagnostic {
        make("K4008", "bytecode-too-large", .error, detail, at: span)
    }
}
