// Driver+Compile.swift: the whole pipeline, top to bottom: source, front end, dims, lowering, pass pipeline.

import KilnLowering
import KilnMachine
import KilnPluginAPI
import KilnSema
import KilnSource
import KilnTileIR

/// Everything one compile produced, stage by stage; later stages are nil when an earlier one failed.
public struct Compilation: Sendable {
    public var frontEnd: FrontEndResult
    /// Diagnostics of the front end, dim binding and lowering, all located in the kernel source.
    public var diagnostics: DiagnosticBag
    public var bound: [String: BoundDims] = [:]
    /// The IR straight from lowering.
    public var lowered: Module?
    /// The pass pipeline's run over the lowered IR.
    public var pipeline: PipelineResult?

    /// The final IR: after the pipeline, or straight from lowering when no pipeline ran.
    public var module: Module? { pipeline.map(\.module) ?? lowered }
    public var hasErrors: Bool { diagnostics.hasErrors || lowered == nil || (pipeline?.hasErrors ?? false) }
}

extension Driver {
    /// The pipeline: parse and check, bind dims, lower to tile IR, run the passes. Each stage runs only if
    /// the one before it succeeded; every diagnostic is kept.
    public static func compile(_ source: SourceFile, dims: [String: Int], options: PipelineOptions,
                               registry: PassRegistry = makePassRegistry()) -> Compilation {
        let frontEnd = runFrontEnd(source)
        var compilation = Compilation(frontEnd: frontEnd, diagnostics: frontEnd.diagnostics)
        guard !frontEnd.hasErrors else { return compilation }
        let (bound, bindDiagnostics) = bindDims(frontEnd, options: CompileOptions(dims: dims, target: options.target))
        compilation.diagnostics.append(contentsOf: bindDiagnostics)
        compilation.bound = bound
        guard !bindDiagnostics.hasErrors else { return compilation }
        let (module, loweringDiagnostics) = lower(frontEnd, bound: bound, options: options)
        compilation.diagnostics.append(contentsOf: loweringDiagnostics)
        guard let module else { return compilation }
        compilation.lowered = module
        compilation.pipeline = runPipeline(module, options: options, registry: registry)
        return compilation
    }

    /// Lowers the checked program of a front-end result (free of errors) for the dims bound per kernel.
    public static func lower(_ result: FrontEndResult, bound: [String: BoundDims],
                             options: PipelineOptions) -> (Module?, DiagnosticBag) {
        Lowering.lower(result.program, source: result.source, bound: bound, target: options.target)
    }
}
