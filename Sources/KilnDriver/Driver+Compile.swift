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

extension Compilation {
    /// Every diagnostic of every stage, rendered: kernel source, pipeline usage errors, IR diagnostics (at
    /// their kernel source lines), then `backendDiagnostics` (what the backend said about the final IR).
    public func renderedDiagnostics(backendDiagnostics: [Diagnostic], showIDs: Bool = false) -> String {
        let source = frontEnd.source
        var text = DiagnosticRenderer(showIDs: showIDs).render(diagnostics.sorted(), in: source)
        if let run = pipeline {
            if let usage = run.usageError { text += "kiln: error: \(usage.message)\n" }
            text += Driver.renderIRDiagnostics(run.diagnostics, kernelSource: source,
                                               irText: nil, module: nil, showIDs: showIDs)
        }
        var backend = DiagnosticBag()
        for diagnostic in backendDiagnostics { backend.report(diagnostic) }
        text += DiagnosticRenderer(showIDs: showIDs).render(backend.sorted(), in: source)
        return text
    }
}

extension Driver {
    /// The pipeline: parse and check, bind dims, lower to tile IR, bind the scalar parameters `scalars` names
    /// (and those with defaults) to constants (`bindScalars`; nil keeps every scalar a parameter), run the
    /// passes. Each stage runs only if the one before it succeeded; every diagnostic is kept. Every backend's
    /// compile (`emit`, `compileToBytecode`, `compileForLLVM`) is this function followed by the backend.
    public static func compile(_ source: SourceFile, dims: [String: Int], options: PipelineOptions,
                               registry: PassRegistry = makePassRegistry(), scalars: [String: Double]? = nil,
                               dtypes: [String: DType] = [:]) -> Compilation {
        compile(runFrontEnd(source, dtypes: dtypes), dims: dims, options: options, registry: registry, scalars: scalars)
    }

    /// `compile` from a front end that already ran: `run`, `verify`, `bench` and embedders parse and check a
    /// file once and compile it for each executor and pipeline from that one result.
    public static func compile(_ frontEnd: FrontEndResult, dims: [String: Int], options: PipelineOptions,
                               registry: PassRegistry = makePassRegistry(), scalars: [String: Double]? = nil) -> Compilation {
        var compilation = Compilation(frontEnd: frontEnd, diagnostics: frontEnd.diagnostics)
        guard !frontEnd.hasErrors else { return compilation }
        let (bound, bindDiagnostics) = bindDims(frontEnd, options: CompileOptions(dims: dims, target: options.target))
        compilation.diagnostics.append(contentsOf: bindDiagnostics)
        compilation.bound = bound
        guard !bindDiagnostics.hasErrors else { return compilation }
        let (lowered, loweringDiagnostics) = lower(frontEnd, bound: bound, options: options)
        compilation.diagnostics.append(contentsOf: loweringDiagnostics)
        guard let lowered else { return compilation }
        let module = scalars.map { bindScalars(lowered, values: $0) } ?? lowered
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
