// DiagnosticCatalogue+Plugins.swift: diagnostics of plugin loading and registration, and plugin reports (K6000-K6099).

extension DiagnosticCatalogue {
    /// `--load-plugin PATH` names no file.
    public static func pluginNotFound(_ path: String, at span: SourceSpan) -> Diagnostic {
        make("K6000", "plugin-not-found", .error, "cannot load plugin '\(path)': no such file", at: span)
    }

    /// The file exists but the dynamic loader rejects it (not a shared library, wrong architecture, an
    /// unresolved symbol), with the loader's own message.
    public static func pluginNotALibrary(_ path: String, loaderMessage: String, at span: SourceSpan) -> Diagnostic {
        make("K6001", "plugin-not-a-library", .error,
             "cannot load plugin '\(path)': the dynamic loader rejected it "
                + "(not a shared library, or a library it needs is missing): \(loaderMessage)", at: span)
    }

    /// The library loaded but does not define the plugin entry point.
    public static func pluginNoEntryPoint(_ path: String, symbol: String, at span: SourceSpan) -> Diagnostic {
        make("K6002", "plugin-no-entry-point", .error,
             "'\(path)' is not a Kiln plugin: it does not export the C function '\(symbol)'", at: span,
             notes: [DiagnosticNote("a plugin defines it with @_cdecl(\"\(symbol)\") (see Docs/plugins.md)")])
    }

    /// The entry point returned no descriptor.
    public static func pluginNoDescriptor(_ path: String, symbol: String, at span: SourceSpan) -> Diagnostic {
        make("K6003", "plugin-no-descriptor", .error,
             "plugin '\(path)': its entry point '\(symbol)' returned no plugin descriptor", at: span)
    }

    /// The plugin was built against another version of the plugin API.
    public static func pluginAPIVersionMismatch(_ path: String, plugin: UInt64, host: UInt64, at span: SourceSpan) -> Diagnostic {
        make("K6004", "plugin-api-version-mismatch", .error,
             "plugin '\(path)' was built for Kiln plugin API version \(plugin), but this kiln provides version \(host)", at: span,
             notes: [DiagnosticNote("rebuild the plugin against this Kiln's sources")])
    }

    /// The plugin was built with another Swift compiler than the host, so the two cannot share Swift types.
    public static func pluginCompilerMismatch(_ path: String, plugin: String, host: String, at span: SourceSpan) -> Diagnostic {
        make("K6005", "plugin-compiler-mismatch", .error,
             "plugin '\(path)' was built with Swift \(plugin), but this kiln was built with Swift \(host)", at: span,
             notes: [DiagnosticNote("a plugin shares Swift types with kiln: build it with the same Swift compiler")])
    }

    /// Registering one of the plugin's passes or backends failed (a name clash, an invalid name).
    public static func pluginRegistrationFailed(_ path: String, _ reason: String, at span: SourceSpan) -> Diagnostic {
        make("K6006", "plugin-registration-failed", .error, "plugin '\(path)': \(reason)", at: span)
    }

    /// `--emit NAME` names no built-in stage and no registered backend.
    public static func unknownBackend(_ name: String, known: [String]) -> Diagnostic {
        make("K6007", "unknown-backend", .error,
             "unknown backend '\(name)'; registered backends: " + known.joined(separator: ", "), at: .unknown)
    }

    /// A backend could not emit the module (it reports why).
    public static func backendFailed(_ backend: String, _ reason: String, at span: SourceSpan = .unknown) -> Diagnostic {
        make("K6008", "backend-failed", .error, "backend '\(backend)' failed: \(reason)", at: span)
    }

    /// A kernel could not be compiled for an executable backend that has no code of its own for this
    /// (a plugin's); `detail` carries every stage's rendered diagnostics.
    public static func backendCompileFailed(_ backend: String, kernel: String, detail: String, at span: SourceSpan) -> Diagnostic {
        make("K6009", "backend-compile-failed", .error,
             "kernel '\(kernel)' does not compile for backend '\(backend)':\n\(detail)", at: span)
    }

    /// `kiln run|verify|bench --backend NAME` names no registered backend that can execute kernels.
    public static func backendNotExecutable(_ name: String, executable: [String]) -> Diagnostic {
        make("K6010", "backend-not-executable", .error,
             "backend '\(name)' cannot run kernels; backends that can: " + executable.joined(separator: ", "), at: .unknown)
    }

    /// A built-in backend that lives in a shared library of its own (`llvm`, loaded on first use) could not
    /// be loaded from `path`; `reason` says why (the dynamic loader's message, a version mismatch).
    public static func backendLibraryNotLoaded(_ backend: String, path: String, reason: String,
                                               product: String, variable: String) -> Diagnostic {
        make("K6011", "backend-library-not-loaded", .error,
             "cannot load the '\(backend)' backend from '\(path)': \(reason)", at: .unknown,
             notes: [DiagnosticNote("the '\(backend)' backend is a shared library built with kiln (swift build --product "
                                    + "\(product)), looked for next to the kiln executable unless \(variable) names it")])
    }

    /// An analysis result a plugin pass reports (a note: it never fails a compile).
    public static func pluginRemark(pass: String, _ message: String, at span: SourceSpan) -> Diagnostic {
        make("K6050", "plugin-remark", .note, "\(pass): \(message)", at: span)
    }
}
