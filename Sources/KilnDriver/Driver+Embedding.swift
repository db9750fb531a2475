// Driver+Embedding.swift: the pipeline for programs that embed Kiln (libKiln): compile once, bind in-memory inputs, run often.

import KilnInterp
import KilnMachine
import KilnNpy
import KilnNumerics
import KilnPluginAPI
import KilnSema
import KilnSource

/// A kernel compiled for an embedder: the file's front end, the kernel chosen in it, and the compile's own
/// settings (the dims the caller fixed, target, pass pipeline). Each run binds the remaining dims from its
/// inputs' shapes, as `kiln run` binds them from its `--input` files.
public struct EmbeddedKernel: Sendable {
    public var frontEnd: FrontEndResult
    /// Nil when the front end failed or no kernel could be chosen.
    public var kernel: CheckedKernel?
    /// The dims the caller fixed (`--dim`): an input whose shape contradicts one is an error.
    public var dims: [String: Int]
    public var pipeline: PipelineOptions
    /// Every diagnostic of the compile, located in the kernel source where it has a place there.
    public var diagnostics: DiagnosticBag
    /// The sizes the compile's dims and the kernel's defaults give, by dim name (dims only inputs can bind are absent).
    public var knownDims: [String: Int] = [:]

    public var hasErrors: Bool { diagnostics.hasErrors || kernel == nil }

    /// The diagnostics as `kiln build` prints them: `path:line:col: severity: message`, the line and a caret.
    public func renderedDiagnostics(showIDs: Bool = false) -> String {
        DiagnosticRenderer(showIDs: showIDs).render(diagnostics.sorted(), in: frontEnd.source)
    }
}

/// One call's inputs bound: every dim of the kernel, and one tensor per parameter.
public struct EmbeddedCall: Sendable {
    public var dims: BoundDims
    /// The inputs as stored bit patterns of their parameters' dtypes: a caller's array of that dtype is its
    /// bytes as given, so a backend that holds bit patterns (the simulator's HBM) takes them with no conversion.
    public var packedInputs: [String: PackedTensor]
    /// The inputs as values (decoded from `packedInputs` each time it is read).
    public var inputs: [String: Tensor] { packedInputs.mapValues(\.tensor) }
    /// The scalar parameters' values.
    public var scalars: [String: Double] {
        packedInputs.filter { $0.value.shape.isEmpty }.mapValues { $0.tensor.values.first ?? 0 }
    }
}

extension Driver {
    /// Compiles for an embedder: the front end, the kernel `name` chooses (nil: the file's only kernel), the
    /// caller's dims checked against it; then, when those dims and the kernel's defaults bind every dim, the
    /// lowering and the pass pipeline (`compile`), so that their errors are reported now rather than at the
    /// first run. Each run compiles for its executor again (`prepareEmbedded`), with the dims its inputs bind.
    public static func embed(_ source: SourceFile, kernel name: String?, dims: [String: Int],
                             pipeline: PipelineOptions, dtypes: [String: DType] = [:]) -> EmbeddedKernel {
        let frontEnd = runFrontEnd(source, dtypes: dtypes)
        var embedded = EmbeddedKernel(frontEnd: frontEnd, dims: dims, pipeline: pipeline, diagnostics: frontEnd.diagnostics)
        guard !frontEnd.hasErrors, let kernel = chooseKernel(frontEnd, named: name, &embedded.diagnostics) else {
            return embedded
        }
        embedded.kernel = kernel
        let names = kernel.dims.map(\.name)
        for (dim, size) in dims.sorted(by: { $0.key < $1.key }) {
            if !names.contains(dim) {
                embedded.diagnostics.report(DiagnosticCatalogue.unknownDimFlag(dim, kernel: kernel.name, dims: names))
            } else if size <= 0 {
                embedded.diagnostics.report(DiagnosticCatalogue.dimFlagNotPositive(dim, value: size))
            }
        }
        if MachineTarget.named(pipeline.target) == nil {
            embedded.diagnostics.report(DiagnosticCatalogue.apiMisuse(
                "compile", "unknown target '\(pipeline.target)'; known targets: \(MachineTarget.allNames)"))
        }
        guard !embedded.diagnostics.hasErrors else { return embedded }
        for dim in kernel.dims {
            if let size = dims[dim.name] ?? dim.defaultSize { embedded.knownDims[dim.name] = size }
        }
        guard embedded.knownDims.count == kernel.dims.count else { return embedded }
        let compilation = compile(frontEnd, dims: dims, options: pipeline)
        embedded.diagnostics = compilation.diagnostics
        if let run = compilation.pipeline {
            if let usage = run.usageError { embedded.diagnostics.report(usage) }
            for var diagnostic in run.diagnostics {
                if diagnostic.span.file != source.path { diagnostic.span = .unknown }
                embedded.diagnostics.report(diagnostic)
            }
        }
        return embedded
    }

    /// Binds one call's inputs (arrays by parameter name, in memory): every name must be a parameter and every
    /// parameter without a default must be given; the dims are bound from the compile's dims, then the arrays'
    /// shapes, then the defaults (`CheckedKernel.bindDims`); each array is converted to its parameter's dtype
    /// as `kiln run` converts a `.npy` file (`InputBinding`, `ArrayConversion`: rounded to nearest even, or
    /// refused with `strictDTypes`). Nil with the diagnostics when any of this fails.
    public static func bindEmbeddedCall(_ embedded: EmbeddedKernel, arrays: [String: NpyArray],
                                        strictDTypes: Bool) -> (EmbeddedCall?, DiagnosticBag) {
        var diagnostics = DiagnosticBag()
        guard let kernel = embedded.kernel, !embedded.hasErrors else {
            diagnostics.report(DiagnosticCatalogue.apiMisuse("run", "the kernel did not compile"))
            return (nil, diagnostics)
        }
        let names = kernel.params.map(\.name)
        for name in arrays.keys.sorted() where !names.contains(name) {
            diagnostics.report(DiagnosticCatalogue.unknownInput(name, flag: "the call", kernel: kernel.name, parameters: names,
                                                                at: kernel.syntax.name.span))
        }
        for param in kernel.params where arrays[param.name] == nil && param.defaultValue == nil {
            diagnostics.report(DiagnosticCatalogue.missingArgument(param.name, type: param.type.with(space: .value).description,
                                                                   at: param.span))
        }
        guard !diagnostics.hasErrors else { return (nil, diagnostics) }
        let (bound, dimDiagnostics) = kernel.bindDims(embedded.dims, inputShapes: arrays.mapValues(\.shape))
        diagnostics.append(contentsOf: dimDiagnostics)
        guard let bound else { return (nil, diagnostics) }
        let binding = InputBinding(kernel: kernel, options: RunInputOptions(strictDTypes: strictDTypes))
        let (inputs, inputDiagnostics) = binding.bindPacked(dims: bound, arrays: arrays)
        diagnostics.append(contentsOf: inputDiagnostics)
        guard let inputs else { return (nil, diagnostics) }
        return (EmbeddedCall(dims: bound, packedInputs: inputs), diagnostics)
    }

    /// Compiles the kernel for the executable backend `backend` with the call's dims (and, for a backend that
    /// binds scalar parameters, its scalar values) and prepares it to run any number of times (`prepareKernel`).
    public static func prepareEmbedded(_ embedded: EmbeddedKernel, call: EmbeddedCall, backend: String,
                                       options: ExecutionOptions) -> ((any PreparedKernel)?, DiagnosticBag) {
        var diagnostics = DiagnosticBag()
        guard let kernel = embedded.kernel else {
            diagnostics.report(DiagnosticCatalogue.apiMisuse("run", "the kernel did not compile"))
            return (nil, diagnostics)
        }
        let prepared = prepareKernel(embedded.frontEnd, kernel: kernel, dims: call.dims, inputs: call.inputs,
                                     backend: backend, pipeline: embedded.pipeline, options: options, &diagnostics)
        return (prepared, diagnostics)
    }

    /// Whether the executable backend `backend` compiles scalar parameters into the code (sim): a prepared
    /// kernel then serves only the scalar values it was prepared with. False for unknown names.
    public static func bindsScalarParameters(backend: String) -> Bool {
        guard backend != RunBackend.ref.rawValue else { return false }
        let (_, backends, _) = makeRegistries(loading: backend)
        return (backends.backend(named: backend) as? any ExecutableBackend)?.bindsScalarParameters ?? false
    }

    /// Runs the call on the reference interpreter (`ref`): the outputs by result name in declared order.
    public static func interpretEmbedded(_ embedded: EmbeddedKernel,
                                         call: EmbeddedCall) -> ([(name: String, tensor: Tensor)]?, DiagnosticBag) {
        var diagnostics = DiagnosticBag()
        guard let kernel = embedded.kernel else {
            diagnostics.report(DiagnosticCatalogue.apiMisuse("run", "the kernel did not compile"))
            return (nil, diagnostics)
        }
        let outputs = interpret(embedded.frontEnd.program, kernel: kernel, dims: call.dims, inputs: call.inputs, &diagnostics)
        return (outputs, diagnostics)
    }

    /// `kiln verify`'s comparison for one call already run on several executors (the first is the oracle):
    /// every pair compared output by output (`comparePairs`).
    public static func compareEmbedded(_ embedded: EmbeddedKernel, call: EmbeddedCall,
                                       runs: [(backend: RunBackend, outputs: [(name: String, tensor: Tensor)])])
        -> ([BackendPairComparison], DiagnosticBag) {
        guard let kernel = embedded.kernel else { return ([], DiagnosticBag()) }
        let rounded = intermediateRoundings(embedded.frontEnd, kernel: kernel.name, dims: call.dims.sizes)
        return comparePairs(runs, kernel: kernel.name, at: kernel.syntax.name.span, roundedThrough: rounded)
    }
}
