// DiagnosticCatalogue+Backends.swift: the diagnostics KilnBuiltinBackends emits (K4515-K4515) (ids in the ranges DiagnosticCatalogue.swift gives).

import KilnSource

extension DiagnosticCatalogue {
    /// `kiln run --backend sim`: the kernel did not compile to bytecode; `detail` is the rendered compile diagnostics.
    public static func simCompileFailed(_ kernel: String, detail: String, at span: SourceSpan) -> Diagnostic {
        make("K4515", "sim-compile-failed", .error,
             "kernel '\(kernel)' does not compile to simulator bytecode:\n\(detail)", at: span)
    }
}
