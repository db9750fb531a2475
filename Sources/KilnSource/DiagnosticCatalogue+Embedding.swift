// DiagnosticCatalogue+Embedding.swift: diagnostics of the embedding API (libKiln, the Python package) (K9100-K9199).

extension DiagnosticCatalogue {
    /// A C API call got an argument it cannot use (a NULL or freed handle, a NULL pointer, an unknown dtype
    /// code, a buffer too small); `function` is the C function's name.
    public static func apiMisuse(_ function: String, _ problem: String) -> Diagnostic {
        make("K9100", "api-misuse", .error, "\(function): \(problem)", at: .unknown)
    }

    /// A kernel parameter was given no value by the caller and has no default.
    public static func missingArgument(_ parameter: String, type: String, at span: SourceSpan) -> Diagnostic {
        make("K9101", "missing-argument", .error, "no value for parameter '\(parameter)' (\(type))", at: span)
    }

    /// An input array's element count does not match its shape, or its buffer is missing.
    public static func badInputBuffer(_ parameter: String, _ problem: String, at span: SourceSpan) -> Diagnostic {
        make("K9102", "bad-input-buffer", .error, "input '\(parameter)': \(problem)", at: span)
    }

    /// `kiln report`: the run record (RUN.json) cannot be read or lacks what a report needs.
    public static func badRunRecord(_ path: String, _ problem: String) -> Diagnostic {
        make("K9103", "bad-run-record", .error, "\(path): \(problem)", at: .unknown)
    }

    /// A file the embedding API was asked to write could not be written.
    public static func cannotWrite(_ path: String, _ reason: String) -> Diagnostic {
        make("K9104", "cannot-write", .error, "cannot write '\(path)': \(reason)", at: .unknown)
    }

    /// A kernel file the embedding API was asked to compile could not be read.
    public static func cannotRead(_ path: String, _ reason: String) -> Diagnostic {
        make("K9106", "cannot-read", .error, "cannot read '\(path)': \(reason)", at: .unknown)
    }

    /// A run asked for what only a simulation records (stats, a trace, a report) after another executor ran.
    public static func notSimulated(_ what: String, backend: String) -> Diagnostic {
        make("K9105", "not-simulated", .error,
             "\(what) needs a run on the 'sim' backend (with a trace for a trace or report); this run used '\(backend)'",
             at: .unknown)
    }
}
