// Driver+Bench.swift: `kiln bench`: time a kernel's execution alone (compile excluded) on any executable backend.

import KilnInterp
import KilnNumerics
import KilnPluginAPI
import KilnSema
import KilnSource

/// What one `kiln bench` asks for.
public struct BenchRequest: Sendable {
    public var kernelName: String?
    public var backend: BenchBackend
    public var dims: [String: Int]
    /// `--dtype NAME=DTYPE` flags: the kernels' dtype parameters (`T: float`).
    public var dtypes: [String: DType] = [:]
    /// Inputs as `kiln run` takes them; `--random` defaults to seed 1 so every input has a value.
    public var inputs: RunInputOptions
    /// Timed runs (after one untimed warm-up run).
    public var iterations: Int
    /// The target and the pass pipeline (`passes` nil: the target's default). The default request's is
    /// `LLVMCompileOptions.tensorLevelPipeline`, the fastest host code for the default backend, llvm.
    public var pipeline: PipelineOptions
    /// The backend's switches (llvm: `cpu`, `optimise`; sim: `timingOnly`, `checks`).
    public var execution: ExecutionOptions

    public init(kernelName: String? = nil, backend: BenchBackend = .llvm, dims: [String: Int] = [:],
                inputs: RunInputOptions = RunInputOptions(randomSeed: 1), iterations: Int = 7,
                pipeline: PipelineOptions = PipelineOptions(passes: LLVMCompileOptions.tensorLevelPipeline),
                execution: ExecutionOptions = ExecutionOptions()) {
        self.kernelName = kernelName
        self.backend = backend
        self.dims = dims
        self.inputs = inputs
        self.iterations = iterations
        self.pipeline = pipeline
        self.execution = execution
    }
}

/// What a bench measured. Times are in seconds.
public struct BenchResult: Sendable {
    public var kernel: String
    public var backend: BenchBackend
    /// The pass pipeline the kernel was compiled with (`default` for the target's default pipeline).
    public var pipeline: String
    public var dims: [(name: String, size: Int)]
    /// Front end to executable (JIT code or bytecode), measured once.
    public var compileSeconds: Double
    /// Wall time of each timed run: the kernel call (llvm) or the whole simulation (sim).
    public var wallSeconds: [Double]
    /// A simulating backend only (sim): the machine time it computed (the same every run).
    public var simulatedSeconds: Double?

    public var medianSeconds: Double { Self.median(wallSeconds) }
    public var minSeconds: Double { wallSeconds.min() ?? 0 }
    public var maxSeconds: Double { wallSeconds.max() ?? 0 }

    /// The middle value (mean of the two middle ones for an even count); 0 for none.
    public static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// What `Driver.bench` produced: the measurement when every step succeeded, and every diagnostic.
public struct BenchOutcome: Sendable {
    public var frontEnd: FrontEndResult
    public var diagnostics: DiagnosticBag
    public var result: BenchResult?

    public var hasErrors: Bool { diagnostics.hasErrors || result == nil }

    public func renderedDiagnostics(showIDs: Bool = false) -> String {
        DiagnosticRenderer(showIDs: showIDs).render(diagnostics.sorted(), in: frontEnd.source)
    }
}

extension Driver {
    /// Times one kernel: the same steps as `run` up to the inputs (kernel choice, `--input` files, dims, inputs),
    /// then compiles once on the registered executable backend (timed separately) and has the prepared
    /// kernel time itself: llvm times the JIT-compiled call alone (inputs packed into native buffers
    /// beforehand); sim times each simulation of the bytecode and reports the simulated time as well.
    public static func bench(_ source: SourceFile, request: BenchRequest) -> BenchOutcome {
        let frontEnd = runFrontEnd(source, dtypes: request.dtypes, inputDTypes: inputDTypes(request.inputs))
        var outcome = BenchOutcome(frontEnd: frontEnd, diagnostics: frontEnd.diagnostics)
        guard let call = prepareCall(frontEnd, kernelName: request.kernelName, dims: request.dims, inputs: request.inputs,
                                     &outcome.diagnostics), let bound = call.bound else { return outcome }
        let kernel = call.kernel
        let (inputs, inputDiagnostics) = call.binding.bind(dims: bound, arrays: call.arrays)
        outcome.diagnostics.append(contentsOf: inputDiagnostics)
        guard let inputs else { return outcome }
        outcome.result = bench(frontEnd, kernel: kernel, dims: bound, inputs: inputs, request: request, &outcome.diagnostics)
        return outcome
    }

    /// Prepares the kernel on the registered executable backend `request.backend` (`prepareKernel`, timed:
    /// the compile), then has the prepared kernel time itself (`PreparedKernel.time`: one untimed run, then
    /// `iterations` timed ones of the execution alone).
    static func bench(_ frontEnd: FrontEndResult, kernel: CheckedKernel, dims: BoundDims, inputs: [String: Tensor],
                      request: BenchRequest, _ diagnostics: inout DiagnosticBag) -> BenchResult? {
        var prepared: (any PreparedKernel)?
        let compileSeconds = ExecutionTiming.measure {
            prepared = prepareKernel(frontEnd, kernel: kernel, dims: dims, inputs: inputs, backend: request.backend.rawValue,
                                     pipeline: request.pipeline, options: request.execution, &diagnostics)
        }
        guard let prepared else { return nil }
        do {
            let timing = try prepared.time(inputs: inputs, iterations: max(1, request.iterations))
            for diagnostic in timing.diagnostics { diagnostics.report(diagnostic) }
            return BenchResult(kernel: kernel.name, backend: request.backend, pipeline: request.pipeline.passes ?? "default",
                               dims: dims.ordered, compileSeconds: compileSeconds, wallSeconds: timing.wallSeconds,
                               simulatedSeconds: timing.simulatedSeconds)
        } catch {
            for diagnostic in error.diagnostics { diagnostics.report(diagnostic) }
            return nil
        }
    }
}
