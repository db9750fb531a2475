// DiagnosticCatalogue.swift: the one catalogue of Kiln diagnostics: each has a stable id, a severity and a message.

/// A stable diagnostic identifier, e.g. `K1001`. Codes never change meaning once released:
/// K1xxx syntax, K2xxx semantic checks, K3xxx tile IR and machine limits, K4xxx bytecode and simulation,
/// K5xxx LLVM backend, K6xxx plugins, K9xxx driver and inputs.
public struct DiagnosticID: Hashable, Sendable, CustomStringConvertible {
    public let code: String
    public let name: String
    public init(_ code: String, _ name: String) {
        self.code = code
        self.name = name
    }
    public var description: String { "\(code) \(name)" }
}

/// Every diagnostic Kiln emits is made by one of the factories in this type's extensions
/// (one extension file per stage: `DiagnosticCatalogue+Syntax.swift`, `+Sema`, ...).
public enum DiagnosticCatalogue {
    package static func make(_ code: String, _ name: String, _ severity: Severity, _ message: String,
                     at span: SourceSpan, notes: [DiagnosticNote] = []) -> Diagnostic {
        Diagnostic(id: DiagnosticID(code, name), severity: severity, message: message, span: span, notes: notes)
    }

    public static func tooManyErrors(dropped: Int, limit: Int, at span: SourceSpan) -> Diagnostic {
        make("K9000", "too-many-errors", .error,
             "too many errors: \(dropped) more after the first \(limit) were not shown", at: span)
    }
}
