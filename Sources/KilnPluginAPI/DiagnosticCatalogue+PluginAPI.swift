// DiagnosticCatalogue+PluginAPI.swift: the diagnostics KilnPluginAPI emits (K3401-K6050) (ids in the ranges DiagnosticCatalogue.swift gives).

import KilnSource

extension DiagnosticCatalogue {
    /// A kernel could not be compiled for an executable backend that has no code of its own for this
    /// (a plugin's); `detail` carries every stage's rendered diagnostics.
    public static func backendCompileFailed(_ backend: String, kernel: String, detail: String, at span: SourceSpan) -> Diagnostic {
        make("K6009", "backend-compile-failed", .error,
             "kernel '\(kernel)' does not compile for backend '\(backend)':\n\(detail)", at: span)
    }
    /// An analysis result a plugin pass reports (a note: it never fails a compile).
    public static func pluginRemark(pass: String, _ message: String, at span: SourceSpan) -> Diagnostic {
        make("K6050", "plugin-remark", .note, "\(pass): \(message)", at: span)
    }
    // Pass manager (K34xx)
    public static func passFailed(_ pass: String, _ reason: String) -> Diagnostic {
        make("K3402", "pass-failed", .error, "pass '\(pass)' failed: \(reason)", at: .unknown)
    }
    public static func invalidAfterPass(_ pass: String, errors: Int, at span: SourceSpan) -> Diagnostic {
        make("K3401", "invalid-after-pass", .error,
             "the IR is invalid after pass '\(pass)' (\(errors) verifier error\(errors == 1 ? "" : "s"))", at: span)
    }
    /// A backend could not emit the module (it reports why).
    public static func backendFailed(_ backend: String, _ reason: String, at span: SourceSpan = .unknown) -> Diagnostic {
        make("K6008", "backend-failed", .error, "backend '\(backend)' failed: \(reason)", at: span)
    }
}
