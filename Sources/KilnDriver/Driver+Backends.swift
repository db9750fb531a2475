// Driver+Backends.swift: the pipeline through any registered backend (`kiln build --emit NAME`).

import KilnSema
import KilnMachine
import KilnPluginAPI
import KilnSource
import KilnTileIR

/// A compile through a registered backend: the compilation (front end to the IR after the pipeline),
/// the backend's output, and its diagnostics (located in the kernel source).
public struct BackendEmission: Sendable {
    public var compilation: Compilation
    public var output: BackendOutput?
    public var backendDiagnostics: [Diagnostic] = []

    public var hasErrors: Bool { compilation.hasErrors || output == nil }

    /// Every diagnostic of every stage, rendered: kernel source, pipeline usage errors, IR, backend.
    public func renderedDiagnostics(showIDs: Bool = false) -> String {
        compilation.renderedDiagnostics(backendDiagnostics: backendDiagnostics, showIDs: showIDs)
    }
}

extension Driver {
    /// Source to a backend's output: `compile` (the front end, dims, lowering, scalar parameters bound to
    /// their defaults, the pass pipeline with every registered pass, plugins' included), then
    /// the backend named `backendName` from the backend registry (its library loaded first when it is a
    /// backend library). An unknown name, or a library that cannot be loaded, is a backend diagnostic.
    public static func emit(_ source: SourceFile, dims: [String: Int], options: PipelineOptions, backend backendName: String,
                            kernel: String? = nil, dtypes: [String: DType] = [:]) -> BackendEmission {
        let (passes, backends, loadFailure) = makeRegistries(loading: backendName)
        guard let backend = backends.backend(named: backendName), loadFailure == nil else {
            let frontEnd = runFrontEnd(source, dtypes: dtypes)
            var result = BackendEmission(compilation: Compilation(frontEnd: frontEnd, diagnostics: frontEnd.diagnostics))
            result.backendDiagnostics = [loadFailure ?? DiagnosticCatalogue.unknownBackend(backendName, known: backends.names)]
            return result
        }
        let compilation = compile(source, dims: dims, options: options, registry: passes, scalars: [:], dtypes: dtypes)
        var result = BackendEmission(compilation: compilation)
        guard !compilation.hasErrors, let final = compilation.module, let target = MachineTarget.named(options.target) else {
            return result
        }
        do {
            result.output = try backend.emit(module: final, context: BackendContext(target: target, kernelSource: source, function: kernel))
        } catch {
            result.backendDiagnostics = error.diagnostics.isEmpty
                ? [DiagnosticCatalogue.backendFailed(backendName, "it reported no reason")] : error.diagnostics
        }
        return result
    }
}
