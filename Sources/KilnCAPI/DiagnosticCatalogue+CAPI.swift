// DiagnosticCatalogue+CAPI.swift: the diagnostics KilnCAPI emits (K9104-K9105) (ids in the ranges DiagnosticCatalogue.swift gives).

import KilnSource

extension DiagnosticCatalogue {
    /// A file the embedding API was asked to write could not be written.
    public static func cannotWrite(_ path: String, _ reason: String) -> Diagnostic {
        make("K9104", "cannot-write", .error, "cannot write '\(path)': \(reason)", at: .unknown)
    }
    /// A run asked for what only a simulation records (stats, a trace, a report) after another executor ran.
    public static func notSimulated(_ what: String, backend: String) -> Diagnostic {
        make("K9105", "not-simulated", .error,
             "\(what) needs a run on the 'sim' backend (with a trace for a trace or report); this run used '\(backend)'",
             at: .unknown)
    }
}
