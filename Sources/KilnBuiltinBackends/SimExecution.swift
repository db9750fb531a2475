// SimExecution.swift: the `sim` backend as an executable backend: bytecode run on the simulator (KilnSim).

import KilnBytecode
import KilnNumerics
import KilnPluginAPI
import KilnSim
import KilnSimBackend
import KilnSource
import KilnTileIR

extension SimBytecodeBackend: ExecutableBackend {
    /// The bytecode has no scalar registers: scalars become constants the passes fold into the engine ops.
    public var bindsScalarParameters: Bool { true }

    /// Lowers the scheduled module to bytecode (`SimBackend.lower`) for the simulator.
    public func prepare(module: Module, context: BackendContext,
                        options: ExecutionOptions) throws(BackendFailure) -> any PreparedKernel {
        let bytecode: BytecodeProgram
        do {
            bytecode = try SimBackend.lower(module: module, kernelSource: context.kernelSource, function: context.function)
        } catch {
            throw BackendFailure(error.diagnostics)
        }
        let simulation = SimulationOptions(timingOnly: options.timingOnly, checks: options.checks, recordTrace: options.recordTrace)
        do {
            return PreparedSimulation(program: try SimulationProgram(bytecode), options: simulation,
                                      kernelSource: context.kernelSource)
        } catch {
            throw BackendFailure(error.diagnostics)
        }
    }

    public func compileFailed(kernel: String, detail: String, at span: SourceSpan) -> Diagnostic {
        DiagnosticCatalogue.simCompileFailed(kernel, detail: detail, at: span)
    }
}

/// A bytecode program ready to simulate. `ExecutionResult.details` is the `SimulationResult` (stats, trace).
struct PreparedSimulation: PreparedKernel {
    /// Validated and decoded once, when the kernel is prepared.
    var program: SimulationProgram
    var options: SimulationOptions
    var kernelSource: SourceFile?

    /// Simulates once on the program's inputs among `inputs`; findings are located at their source lines.
    func run(inputs: [String: Tensor]) throws(BackendFailure) -> ExecutionResult {
        try run(packedInputs: inputs.mapValues(PackedTensor.init))
    }

    /// `run` on stored bit patterns: an input of its tensor's dtype becomes its HBM tensor without a copy.
    func run(packedInputs inputs: [String: PackedTensor]) throws(BackendFailure) -> ExecutionResult {
        let result = try simulate(inputs)
        return ExecutionResult(packedOutputs: result.packedOutputs, diagnostics: result.findings.map(locate), details: result)
    }

    /// One simulation reporting its findings (any error fails the timing), then `iterations` timed ones;
    /// the simulated time is the same every run.
    func time(inputs: [String: Tensor], iterations: Int) throws(BackendFailure) -> ExecutionTiming {
        let packed = inputs.mapValues(PackedTensor.init)
        let first = try simulate(packed)
        let findings = first.findings.map(locate)
        if first.hasErrors { throw BackendFailure(findings) }
        var wall: [Double] = []
        var simulated = first.stats.seconds
        for _ in 0..<iterations {
            var result: SimulationResult?
            wall.append(try ExecutionTiming.measure { () throws(BackendFailure) in result = try simulate(packed) })
            simulated = result?.stats.seconds ?? simulated
        }
        return ExecutionTiming(wallSeconds: wall, simulatedSeconds: simulated, diagnostics: findings)
    }

    private func simulate(_ inputs: [String: PackedTensor]) throws(BackendFailure) -> SimulationResult {
        let tensors = inputs.filter { name, _ in program.program.tensors.contains { $0.name == name && $0.role == .input } }
        do {
            return try Simulator.run(program, packedInputs: tensors, options: options)
        } catch {
            throw BackendFailure(error.diagnostics)
        }
    }

    /// A simulator finding as a diagnostic located in the kernel source: at the line:col of its first
    /// instruction with a known line (the bytecode's line table), the other instructions named in the message.
    func locate(_ finding: SimFinding) -> Diagnostic {
        var diagnostic = finding.diagnostic
        if let source = kernelSource, let site = finding.sites.first(where: { $0.line.isKnown }), site.line.line >= 1,
           site.line.line <= source.lineStarts.count {
            let start = source.lineStarts[site.line.line - 1] + max(0, site.line.column - 1)
            let lineEnd = site.line.line < source.lineStarts.count ? source.lineStarts[site.line.line] - 1 : source.bytes.count
            let clamped = min(start, lineEnd)
            diagnostic.span = source.span(clamped, min(clamped + 1, lineEnd))
        }
        return diagnostic
    }
}
