// Driver+Bench.swift: `kiln bench`: time a kernel's execution alone (compile excluded) on the llvm JIT or the simulator.

import KilnInterp
import KilnNumerics
import KilnSema
import KilnSim
import KilnSource

/// The executors `kiln bench` can time.
public enum BenchBackend: String, CaseIterable, Sendable {
    /// The JIT-compiled kernel on the host CPU: wall time of the call alone.
    case llvm
    /// The simulator: simulated (machine) time, and the wall time of the simulation itself.
    case sim
}

/// What one `kiln bench` asks for.
public struct BenchRequest: Sendable {
    public var kernelName: String?
    public var backend: BenchBackend
    public var dims: [String: Int]
    /// Inputs as `kiln run` takes them; `--random` defaults to seed 1 so every input has a value.
    public var inputs: RunInputOptions
    /// Timed runs (after one untimed warm-up run).
    public var iterations: Int
    /// llvm: the pipeline defaults to `LLVMCompileOptions.tensorLevelPipeline` (the fastest host code).
    public var llvm: LLVMCompileOptions
    /// sim: target, pipeline (nil: the default) and simulator switches.
    public var sim: SimRunOptions

    public init(kernelName: String? = nil, backend: BenchBackend = .llvm, dims: [String: Int] = [:],
                inputs: RunInputOptions = RunInputOptions(randomSeed: 1), iterations: Int = 7,
                llvm: LLVMCompileOptions = LLVMCompileOptions(passes: LLVMCompileOptions.tensorLevelPipeline),
                sim: SimRunOptions = SimRunOptions()) {
        self.kernelName = kernelName
        self.backend = backend
        self.dims = dims
        self.inputs = inputs
        self.iterations = iterations
        self.llvm = llvm
        self.sim = sim
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
    /// sim only: the machine time the simulator computed (the same every run).
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
    /// then compiles once (timed separately), runs once untimed, and times `iterations` runs. llvm times
    /// `PreparedCall.invoke()`: inputs are packed into native buffers beforehand, so only the kernel runs.
    /// sim times `Simulator.run` on the compiled bytecode and reports the simulated time as well.
    public static func bench(_ source: SourceFile, request: BenchRequest) -> BenchOutcome {
        let frontEnd = runFrontEnd(source)
        var outcome = BenchOutcome(frontEnd: frontEnd, diagnostics: frontEnd.diagnostics)
        guard let call = prepareCall(frontEnd, kernelName: request.kernelName, dims: request.dims, inputs: request.inputs,
                                     &outcome.diagnostics), let bound = call.bound else { return outcome }
        let kernel = call.kernel
        let (inputs, inputDiagnostics) = call.binding.bind(dims: bound, arrays: call.arrays)
        outcome.diagnostics.append(contentsOf: inputDiagnostics)
        guard let inputs else { return outcome }
        let iterations = max(1, request.iterations)
        switch request.backend {
        case .llvm:
            outcome.result = benchLLVM(source, kernel: kernel, dims: bound, inputs: inputs, options: request.llvm,
                                       iterations: iterations, &outcome.diagnostics)
        case .sim:
            outcome.result = benchSim(source, kernel: kernel, dims: bound, inputs: inputs, options: request.sim,
                                      iterations: iterations, &outcome.diagnostics)
        }
        return outcome
    }

    static func benchLLVM(_ source: SourceFile, kernel: CheckedKernel, dims: BoundDims, inputs: [String: Tensor],
                          options: LLVMCompileOptions, iterations: Int, _ diagnostics: inout DiagnosticBag) -> BenchResult? {
        let clock = ContinuousClock()
        let compileStart = clock.now
        guard let jit = jitKernel(source, kernel: kernel, dims: dims, options: options, &diagnostics) else { return nil }
        let compileSeconds = seconds(clock.now - compileStart)
        var wall: [Double] = []
        do {
            let call = try jit.prepare(inputs: llvmInputs(inputs, for: jit.signature))
            try call.invoke()
            for _ in 0..<iterations {
                let start = clock.now
                try call.invoke()
                wall.append(seconds(clock.now - start))
            }
        } catch {
            for diagnostic in error.diagnostics { diagnostics.report(diagnostic) }
            return nil
        }
        return BenchResult(kernel: kernel.name, backend: .llvm, pipeline: options.pipeline.passes ?? "default",
                           dims: dims.ordered, compileSeconds: compileSeconds, wallSeconds: wall)
    }

    static func benchSim(_ source: SourceFile, kernel: CheckedKernel, dims: BoundDims, inputs: [String: Tensor],
                         options: SimRunOptions, iterations: Int, _ diagnostics: inout DiagnosticBag) -> BenchResult? {
        var scalars: [String: Double] = [:]
        for param in kernel.params where param.type.isScalar {
            if let value = inputs[param.name]?.values.first { scalars[param.name] = value }
        }
        let clock = ContinuousClock()
        let compileStart = clock.now
        let compiled = compileToBytecode(source, dims: dims.sizes, options: PipelineOptions(target: options.target, passes: options.passes),
                                         kernel: kernel.name, scalars: scalars)
        let compileSeconds = seconds(clock.now - compileStart)
        guard let program = compiled.program else {
            diagnostics.report(DiagnosticCatalogue.simCompileFailed(kernel.name, detail: compiled.renderedDiagnostics(),
                                                                    at: kernel.syntax.name.span))
            return nil
        }
        let tensors = inputs.filter { name, _ in program.tensors.contains { $0.name == name && $0.role == .input } }
        var wall: [Double] = []
        var simulated = 0.0
        for run in 0...iterations {
            let start = clock.now
            guard let result = simulate(program, inputs: tensors, options: options.simulation, &diagnostics) else { return nil }
            if run > 0 { wall.append(seconds(clock.now - start)) }
            if run == 0 {
                for finding in result.findings { diagnostics.report(locate(finding, in: source)) }
                guard !result.hasErrors else { return nil }
            }
            simulated = result.stats.seconds
        }
        return BenchResult(kernel: kernel.name, backend: .sim, pipeline: options.passes ?? "default", dims: dims.ordered,
                           compileSeconds: compileSeconds, wallSeconds: wall, simulatedSeconds: simulated)
    }

    static func seconds(_ duration: Duration) -> Double {
        let (whole, attoseconds) = duration.components
        return Double(whole) + Double(attoseconds) * 1e-18
    }
}
