// Driver+TileIR.swift: the tile IR half of the pipeline: parse IR text, run a pass pipeline, render IR diagnostics.

import KilnMachine
import KilnPluginAPI
import KilnSource
import KilnTileIR

/// How to run the pass pipeline: the target, the pipeline string and the pass manager's switches.
public struct PipelineOptions: Sendable {
    /// `trn1` or `trn2`.
    public var target: String
    /// A pipeline string (`cse,dce`); nil runs `PassPipeline.defaultPipeline(for:)`; "" runs no passes.
    public var passes: String?
    public var printIRAfterAll: Bool
    public var printAfter: [String]
    /// Verify the input and the IR after every pass (the default; `--no-verify` turns it off).
    public var verifyEach: Bool
    public var timePasses: Bool

    public init(target: String = "trn1", passes: String? = nil, printIRAfterAll: Bool = false, printAfter: [String] = [],
                verifyEach: Bool = true, timePasses: Bool = false) {
        self.target = target
        self.passes = passes
        self.printIRAfterAll = printIRAfterAll
        self.printAfter = printAfter
        self.verifyEach = verifyEach
        self.timePasses = timePasses
    }
}

/// What running a pipeline produced: the module (nil when it could not run or a pass failed), located
/// IR diagnostics, the dumps the print options asked for, the timing table, and a usage error (bad
/// target or pipeline string) that prevented anything from running.
public struct PipelineResult: Sendable {
    public var module: Module?
    public var diagnostics: [Diagnostic] = []
    public var irDumps: String = ""
    public var timingReport: String?
    /// A usage error (an unknown target, a malformed pipeline string) that kept the pipeline from running.
    public var usageError: Diagnostic?
    /// The passes that ran to completion, in order.
    public var completedPasses: [String] = []

    public var hasErrors: Bool { usageError != nil || diagnostics.contains { $0.severity == .error } }
}

extension Driver {
    /// The registry every compile uses: the built-in passes and those of every loaded plugin (`makeRegistries`).
    public static func makePassRegistry() -> PassRegistry {
        makeRegistries().passes
    }

    /// The IR's text form; with the kernel source at hand, locations also show line:col.
    public static func printIR(_ module: Module, kernelSource: SourceFile?) -> String {
        TileIR.print(module, kernelSource: kernelSource)
    }

    /// `kiln passes`: each registered pass with its origin and summary.
    public static func passListing(registry: PassRegistry = makePassRegistry()) -> String {
        registry.listing()
    }

    /// Runs the pipeline `options` names over `module` against the target `options` names.
    public static func runPipeline(_ module: Module, options: PipelineOptions,
                                   registry: PassRegistry = makePassRegistry()) -> PipelineResult {
        var result = PipelineResult()
        guard let target = MachineTarget.named(options.target) else {
            result.usageError = DiagnosticCatalogue.unknownTargetName(options.target, known: MachineTarget.allNames)
            return result
        }
        var working = module
        working.target = target.name
        let managerOptions = PassManagerOptions(printIRAfterAll: options.printIRAfterAll, printAfter: options.printAfter,
                                                verifyEach: options.verifyEach, timePasses: options.timePasses)
        let manager = PassManager(registry: registry, target: target, options: managerOptions)
        let pipeline = options.passes ?? PassPipeline.defaultPipeline(for: target)
        do {
            let report = try manager.run(pipeline, on: &working)
            result.diagnostics = report.diagnostics
            result.irDumps = report.irDumps
            result.completedPasses = report.completedPasses
            if options.timePasses { result.timingReport = report.timingReport() }
            if report.succeeded { result.module = working }
        } catch {
            result.usageError = DiagnosticCatalogue.invalidPipeline(error.description)
        }
        return result
    }

    /// `kiln opt`: parses IR text and runs a pipeline over it. The target is `options.target` when given
    /// (the caller passes the module's own when the user did not choose one). Parse errors come back as
    /// IR-text diagnostics; the module is nil then.
    public static func optimize(_ irText: SourceFile, target: String?, options: PipelineOptions,
                                registry: PassRegistry = makePassRegistry()) -> (parse: TileIRParseResult, run: PipelineResult?) {
        let parsed = TileIR.parse(irText)
        guard let module = parsed.module, !parsed.hasErrors else { return (parsed, nil) }
        var chosen = options
        chosen.target = target ?? module.target
        return (parsed, runPipeline(module, options: chosen, registry: registry))
    }

    /// Renders IR diagnostics. Diagnostics located in the kernel source are shown at its line when
    /// `kernelSource` is given; otherwise they are moved to the line of the op in `irText` that carries
    /// the same kernel location (`module` is the IR that text was parsed into), else shown as byte offsets.
    public static func renderIRDiagnostics(_ diagnostics: [Diagnostic], kernelSource: SourceFile?,
                                           irText: SourceFile?, module: Module?,
                                           showIDs: Bool = false) -> String {
        var located = diagnostics
        if kernelSource == nil, let module {
            var textSpanOfKernelSpan: [SourceSpan: SourceSpan] = [:]
            for function in module.functions {
                if function.span.isKnown, textSpanOfKernelSpan[function.span] == nil {
                    textSpanOfKernelSpan[function.span] = function.textSpan
                }
                function.body.walk { op in
                    if op.span.isKnown, op.textSpan.isKnown, textSpanOfKernelSpan[op.span] == nil {
                        textSpanOfKernelSpan[op.span] = op.textSpan
                    }
                }
            }
            located = diagnostics.map { diagnostic in
                guard diagnostic.span.file == module.sourcePath,
                      let textSpan = textSpanOfKernelSpan[diagnostic.span] else { return diagnostic }
                var moved = diagnostic
                moved.span = textSpan
                return moved
            }
        }
        let renderer = TileIRDiagnosticRenderer(kernelSource: kernelSource, kernelSourceName: module?.sourcePath,
                                                irText: irText, renderer: DiagnosticRenderer(showIDs: showIDs))
        return renderer.render(located)
    }

    /// The kernel source a module's `source "path"` names, if it can be read: the path as written, then
    /// relative to the folder of the IR file.
    public static func loadKernelSource(of module: Module, irPath: String) -> SourceFile? {
        guard let path = module.sourcePath else { return nil }
        if let file = try? loadSource(path: path) { return file }
        guard !path.hasPrefix("/"), let slash = irPath.lastIndex(of: "/") else { return nil }
        return try? loadSource(path: String(irPath[...slash]) + path)
    }
}
