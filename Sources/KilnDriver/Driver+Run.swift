// Driver+Run.swift: `kiln run`, top to bottom: front end, kernel choice, inputs, dims, execution, outputs.

import Foundation
import KilnInterp
import KilnMachine
import KilnNpy
import KilnNumerics
import KilnPluginAPI
import KilnSema
import KilnSource

/// How a run on a tile IR backend (any but `ref`) compiles and executes: the target, the pipeline, and the
/// simulator's switches (passed to every backend as `ExecutionOptions`; the sim backend honours them).
public struct SimRunOptions: Sendable {
    /// `trn1` or `trn2`.
    public var target: String
    /// A pipeline string; nil runs the target's default pipeline.
    public var passes: String?
    /// The backend's switches (sim: `timingOnly`, `checks`, `recordTrace`).
    public var execution: ExecutionOptions

    public init(target: String = "trn1", passes: String? = nil, execution: ExecutionOptions = ExecutionOptions()) {
        self.target = target
        self.passes = passes
        self.execution = execution
    }
}

/// What one `kiln run` asks for.
public struct RunRequest: Sendable {
    /// `--kernel NAME`; nil picks the file's only kernel.
    public var kernelName: String?
    public var backend: RunBackend
    /// `--dim NAME=SIZE` flags.
    public var dims: [String: Int]
    /// `--dtype NAME=DTYPE` flags: the kernels' dtype parameters (`T: float`).
    public var dtypes: [String: DType] = [:]
    public var inputs: RunInputOptions
    /// Used by every backend but `ref`.
    public var sim: SimRunOptions

    public init(kernelName: String? = nil, backend: RunBackend = .ref, dims: [String: Int] = [:],
                inputs: RunInputOptions = RunInputOptions(), sim: SimRunOptions = SimRunOptions()) {
        self.kernelName = kernelName
        self.backend = backend
        self.dims = dims
        self.inputs = inputs
        self.sim = sim
    }
}

/// A kernel of a checked file ready to be given inputs (`Driver.prepareCall`): the kernel, its input
/// binding and `--input` arrays, and its dims once bound.
struct KernelCall {
    var kernel: CheckedKernel
    var binding: InputBinding
    var arrays: [String: NpyArray]
    var bound: BoundDims?
}

/// What a run produced: every diagnostic (located in the kernel source), and the outputs by
/// result name in declared order when it succeeded.
public struct RunOutcome: Sendable {
    public var frontEnd: FrontEndResult
    public var diagnostics: DiagnosticBag
    public var kernel: String?
    public var bound: BoundDims?
    /// Empty after a timing-only simulation.
    public var outputs: [(name: String, tensor: Tensor)]?
    /// What a tile IR backend's run produced (outputs, located findings, the backend's own details).
    public var execution: ExecutionResult?

    public var hasErrors: Bool { diagnostics.hasErrors || outputs == nil }

    public func renderedDiagnostics(showIDs: Bool = false) -> String {
        DiagnosticRenderer(showIDs: showIDs).render(diagnostics.sorted(), in: frontEnd.source)
    }
}

extension Driver {
    /// Runs one kernel of a file: parse and check; choose the kernel; read the `--input` files;
    /// bind dims (`--dim`, then input shapes, then defaults); make every input (files, `--scalar`,
    /// defaults, `--random`); execute on the backend. Each step runs only if the ones before it
    /// reported no error. `ref` runs on the reference interpreter, any other name on the registered
    /// executable backend of that name (`execute`).
    public static func run(_ source: SourceFile, request: RunRequest) -> RunOutcome {
        run(runFrontEnd(source, dtypes: request.dtypes, inputDTypes: inputDTypes(request.inputs)), request: request)
    }

    /// `run` from a front end that already ran (`verify` runs every executor from one).
    public static func run(_ frontEnd: FrontEndResult, request: RunRequest) -> RunOutcome {
        var outcome = RunOutcome(frontEnd: frontEnd, diagnostics: frontEnd.diagnostics)
        guard let call = prepareCall(frontEnd, kernelName: request.kernelName, dims: request.dims, inputs: request.inputs,
                                     &outcome.diagnostics) else { return outcome }
        let (kernel, binding, arrays) = (call.kernel, call.binding, call.arrays)
        outcome.kernel = kernel.name
        guard let bound = call.bound else { return outcome }
        outcome.bound = bound
        if request.backend != .ref, request.sim.execution.timingOnly {
            // Time does not depend on values: only the scalars (constants in the bytecode) are needed.
            execute(frontEnd, kernel: kernel, dims: bound, inputs: timingOnlyScalars(kernel, request.inputs), request: request,
                    into: &outcome)
            return outcome
        }
        let (inputs, inputDiagnostics) = binding.bind(dims: bound, arrays: arrays)
        outcome.diagnostics.append(contentsOf: inputDiagnostics)
        guard let inputs else { return outcome }
        if request.backend == .ref {
            outcome.outputs = interpret(frontEnd.program, kernel: kernel, dims: bound, inputs: inputs, &outcome.diagnostics)
        } else {
            execute(frontEnd, kernel: kernel, dims: bound, inputs: inputs, request: request, into: &outcome)
        }
        return outcome
    }

    /// The steps `run` and `bench` share before inputs are made: the kernel `kernelName` chooses (nil: the
    /// file's only kernel), its `--input` files read, and its dims bound (`--dim`, then input shapes, then
    /// defaults). Nil when the front end failed or no kernel was chosen; `bound` is nil when reading the
    /// files or binding the dims failed. Every diagnostic goes to `diagnostics`.
    static func prepareCall(_ frontEnd: FrontEndResult, kernelName: String?, dims: [String: Int], inputs: RunInputOptions,
                            _ diagnostics: inout DiagnosticBag) -> KernelCall? {
        guard !frontEnd.hasErrors,
              let kernel = chooseKernel(frontEnd, named: kernelName, &diagnostics) else { return nil }
        let binding = InputBinding(kernel: kernel, options: inputs)
        let (arrays, shapes, readDiagnostics) = binding.readFiles()
        diagnostics.append(contentsOf: readDiagnostics)
        var call = KernelCall(kernel: kernel, binding: binding, arrays: arrays)
        guard !readDiagnostics.hasErrors else { return call }
        let (bound, dimDiagnostics) = kernel.bindDims(dims, inputShapes: shapes)
        diagnostics.append(contentsOf: dimDiagnostics)
        call.bound = bound
        return call
    }

    /// The `ref` backend: the reference interpreter.
    static func interpret(_ program: CheckedProgram, kernel: CheckedKernel, dims: BoundDims, inputs: [String: Tensor],
                          _ diagnostics: inout DiagnosticBag) -> [(name: String, tensor: Tensor)]? {
        do {
            return try ReferenceInterpreter(program: program).run(kernel: kernel, dims: dims, inputs: inputs)
        } catch {
            diagnostics.report(error.diagnostic)
            return nil
        }
    }

    /// The scalar parameters of a timing-only run: `--scalar` values that parse, else defaults (a scalar
    /// with neither stays a parameter and the sim backend reports it).
    static func timingOnlyScalars(_ kernel: CheckedKernel, _ options: RunInputOptions) -> [String: Tensor] {
        var scalars: [String: Tensor] = [:]
        for param in kernel.params where param.type.isScalar {
            let dtype = param.type.dtype
            let given = options.scalars.last { $0.name == param.name }.flatMap { InputBinding.parseScalar($0.text, dtype: dtype) }
            if let value = given ?? param.defaultValue.map(InputBinding.value(of:)) {
                scalars[param.name] = Tensor(scalar: value, dtype: dtype)
            }
        }
        return scalars
    }

    /// The kernel `--kernel` names, or the file's only kernel.
    static func chooseKernel(_ frontEnd: FrontEndResult, named name: String?,
                             _ diagnostics: inout DiagnosticBag) -> CheckedKernel? {
        let program = frontEnd.program
        let fileStart = frontEnd.source.span(0, 0)
        let names = program.kernels.map(\.name)
        if let name {
            if let kernel = program.kernel(named: name) { return kernel }
            diagnostics.report(names.isEmpty ? DiagnosticCatalogue.noKernel(at: fileStart)
                                             : DiagnosticCatalogue.kernelNotFound(name, kernels: names, at: fileStart))
            return nil
        }
        switch program.kernels.count {
        case 0: diagnostics.report(DiagnosticCatalogue.noKernel(at: fileStart))
        case 1: return program.kernels[0]
        default: diagnostics.report(DiagnosticCatalogue.kernelAmbiguous(kernels: names, at: program.kernels[1].syntax.name.span))
        }
        return nil
    }

    /// Writes each output as `directory/NAME.npy` (atomically, one file at a time).
    public static func writeOutputs(_ outputs: [(name: String, tensor: Tensor)], to directory: String) throws(NpyError) {
        try writeArrays(outputs.map { (name: $0.name, array: NpyArray($0.tensor)) }, to: directory)
    }

    /// `writeOutputs` for arrays already encoded (e.g. the simulator's outputs as stored: `NpyArray(PackedTensor)`).
    public static func writeArrays(_ outputs: [(name: String, array: NpyArray)], to directory: String) throws(NpyError) {
        // The output folder is created (with its parents) as `mkdir -p` would; an existing file in the way
        // is reported by the write below.
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw NpyError(path: directory, "cannot create the output folder: \(error.localizedDescription)")
        }
        for (name, array) in outputs {
            try NpyFile.write(array, path: directory.hasSuffix("/") ? directory + name + ".npy" : "\(directory)/\(name).npy")
        }
    }
}
