// Driver+Run.swift: `kiln run`, top to bottom: front end, kernel choice, inputs, dims, execution, outputs.

import KilnInterp
import KilnNpy
import KilnNumerics
import KilnSema
import KilnSource

/// The executors `kiln run` can use. Backends add their case here (`sim`, `llvm`) and a branch in
/// `Driver.execute`.
public enum RunBackend: String, CaseIterable, Sendable {
    /// The reference interpreter (`KilnInterp`): the oracle.
    case ref
}

/// What one `kiln run` asks for.
public struct RunRequest: Sendable {
    /// `--kernel NAME`; nil picks the file's only kernel.
    public var kernelName: String?
    public var backend: RunBackend
    /// `--dim NAME=SIZE` flags.
    public var dims: [String: Int]
    public var inputs: RunInputOptions

    public init(kernelName: String? = nil, backend: RunBackend = .ref, dims: [String: Int] = [:],
                inputs: RunInputOptions = RunInputOptions()) {
        self.kernelName = kernelName
        self.backend = backend
        self.dims = dims
        self.inputs = inputs
    }
}

/// What a run produced: every diagnostic (located in the kernel source), and the outputs by
/// result name in declared order when it succeeded.
public struct RunOutcome: Sendable {
    public var frontEnd: FrontEndResult
    public var diagnostics: DiagnosticBag
    public var kernel: String?
    public var bound: BoundDims?
    public var outputs: [(name: String, tensor: Tensor)]?

    public var hasErrors: Bool { diagnostics.hasErrors || outputs == nil }

    public func renderedDiagnostics(showIDs: Bool = false) -> String {
        DiagnosticRenderer(showIDs: showIDs).render(diagnostics.sorted(), in: frontEnd.source)
    }
}

extension Driver {
    /// Runs one kernel of a file: parse and check; choose the kernel; read the `--input` files;
    /// bind dims (`--dim`, then input shapes, then defaults); make every input (files, `--scalar`,
    /// defaults, `--random`); execute on the backend. Each step runs only if the ones before it
    /// reported no error.
    public static func run(_ source: SourceFile, request: RunRequest) -> RunOutcome {
        let frontEnd = runFrontEnd(source)
        var outcome = RunOutcome(frontEnd: frontEnd, diagnostics: frontEnd.diagnostics)
        guard !frontEnd.hasErrors else { return outcome }
        guard let kernel = chooseKernel(frontEnd.program, named: request.kernelName, &outcome.diagnostics) else { return outcome }
        outcome.kernel = kernel.name
        let binding = InputBinding(kernel: kernel, options: request.inputs)
        let (arrays, shapes, readDiagnostics) = binding.readFiles()
        outcome.diagnostics.append(contentsOf: readDiagnostics)
        guard !readDiagnostics.hasErrors else { return outcome }
        let (bound, dimDiagnostics) = kernel.bindDims(request.dims, inputShapes: shapes)
        outcome.diagnostics.append(contentsOf: dimDiagnostics)
        guard let bound else { return outcome }
        outcome.bound = bound
        let (inputs, inputDiagnostics) = binding.bind(dims: bound, arrays: arrays)
        outcome.diagnostics.append(contentsOf: inputDiagnostics)
        guard let inputs else { return outcome }
        outcome.outputs = execute(frontEnd.program, kernel: kernel, dims: bound, inputs: inputs,
                                  backend: request.backend, &outcome.diagnostics)
        return outcome
    }

    /// Executes a kernel on one backend.
    static func execute(_ program: CheckedProgram, kernel: CheckedKernel, dims: BoundDims, inputs: [String: Tensor],
                        backend: RunBackend, _ diagnostics: inout DiagnosticBag) -> [(name: String, tensor: Tensor)]? {
        switch backend {
        case .ref:
            do {
                return try ReferenceInterpreter(program: program).run(kernel: kernel, dims: dims, inputs: inputs)
            } catch {
                diagnostics.report(error.diagnostic)
                return nil
            }
        }
    }

    /// The kernel `--kernel` names, or the file's only kernel.
    static func chooseKernel(_ program: CheckedProgram, named name: String?,
                             _ diagnostics: inout DiagnosticBag) -> CheckedKernel? {
        let fileStart = SourceSpan(start: 0, end: 0)
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
        for (name, tensor) in outputs {
            try NpyFile.write(NpyArray(tensor), path: directory.hasSuffix("/") ? directory + name + ".npy" : "\(directory)/\(name).npy")
        }
    }
}
