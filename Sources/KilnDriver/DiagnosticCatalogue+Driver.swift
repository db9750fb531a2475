// DiagnosticCatalogue+Driver.swift: the diagnostics KilnDriver emits (K2115-K9106) (ids in the ranges DiagnosticCatalogue.swift gives).

import KilnSource

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
    /// A kernel file the embedding API was asked to compile could not be read.
    public static func cannotRead(_ path: String, _ reason: String) -> Diagnostic {
        make("K9106", "cannot-read", .error, "cannot read '\(path)': \(reason)", at: .unknown)
    }
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
    public static func kernelNotFound(_ name: String, kernels: [String], at span: SourceSpan) -> Diagnostic {
        make("K4507", "kernel-not-found", .error,
             "no kernel named '\(name)' in this file; it has " + kernels.map { "'\($0)'" }.joined(separator: ", "), at: span)
    }
    public static func kernelAmbiguous(kernels: [String], at span: SourceSpan) -> Diagnostic {
        make("K4508", "kernel-ambiguous", .error,
             "this file has several kernels (" + kernels.map { "'\($0)'" }.joined(separator: ", ")
             + "); choose one with --kernel NAME", at: span)
    }
    public static func noKernel(at span: SourceSpan) -> Diagnostic {
        make("K4509", "no-kernel", .error, "this file has no kernel to run", at: span)
    }
    /// `kiln verify`: two executors disagree beyond the dtype's tolerance.
    public static func verifyMismatch(kernel: String, output: String, backends: String, detail: String,
                                      at span: SourceSpan) -> Diagnostic {
        make("K4516", "verify-mismatch", .error,
             "kernel '\(kernel)', output '\(output)': \(backends) disagree: \(detail)", at: span)
    }
    /// `kiln verify`: two executors' outputs have different shapes or counts.
    public static func verifyShapeMismatch(kernel: String, output: String, detail: String, at span: SourceSpan) -> Diagnostic {
        make("K4517", "verify-shape-mismatch", .error,
             "kernel '\(kernel)', output '\(output)': \(detail)", at: span)
    }
    public static func dimFlagMatchesNoKernel(_ name: String, kernels: [String], dims: [String]) -> Diagnostic {
        let which = kernels.count == 1 ? "kernel '\(kernels[0])'" : "no kernel of this file"
        let known = dims.isEmpty ? "no dims" : "dims " + dims.joined(separator: ", ")
        return make("K2115", "dim-flag-matches-no-kernel", .error,
                    "--dim \(name)=...: \(which) has a dim '\(name)' (it declares \(known))", at: .unknown)
    }
    /// Usage (K90xx): `--target` names no known target.
    public static func unknownTargetName(_ name: String, known: String) -> Diagnostic {
        make("K9010", "unknown-target", .error, "unknown target '\(name)'; known targets: \(known)", at: .unknown)
    }
    /// Usage: a `--passes` pipeline string that does not parse or names unknown passes.
    public static func invalidPipeline(_ detail: String) -> Diagnostic {
        make("K9011", "invalid-pipeline", .error, detail, at: .unknown)
    }
}
