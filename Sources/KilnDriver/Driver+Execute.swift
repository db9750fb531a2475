// Driver+Execute.swift: a kernel through any registered executable backend, by name: compile, prepare, run or time.

import KilnMachine
import KilnNumerics
import KilnPluginAPI
import KilnSema
import KilnSource
import KilnTileIR

/// An executor of `kiln run`, `kiln verify` and `kiln bench`, by name: `ref`, the reference interpreter
/// (it runs the checked AST, not tile IR, so it is no registered backend and the driver keeps it as its
/// one special case), or the name of any registered `ExecutableBackend` (`sim`, `llvm`, a plugin's).
public struct RunBackend: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    /// The reference interpreter (`KilnInterp`): the oracle.
    public static let ref: RunBackend = "ref"
    /// The registered `sim` backend: the sim backend's bytecode on the simulator.
    public static let sim: RunBackend = "sim"
    /// The registered `llvm` backend: the tile IR JIT-compiled by KilnLLVM on the host.
    public static let llvm: RunBackend = "llvm"

    public var description: String { rawValue }
}

/// The executors `kiln bench` can time: any registered executable backend (not `ref`).
public typealias BenchBackend = RunBackend

extension Driver {
    /// The names of the registered backends that can execute kernels, sorted: backend libraries not loaded
    /// yet included (every backend library can), without loading them.
    public static func executableBackendNames() -> [String] {
        makeBackendRegistry().all.compactMap { entry in
            entry.backend is any ExecutableBackend || entry.backend is CataloguedBackend ? entry.backend.name : nil
        }
    }

    /// The executors `kiln run` and `kiln verify` accept: `ref`, then every executable backend.
    public static func runBackendNames() -> [String] {
        [RunBackend.ref.rawValue] + executableBackendNames()
    }

    /// Compiles `kernel` for the executable backend `backendName` and prepares it: `compile` (with the
    /// scalar inputs among `inputs` bound to constants when the backend needs that, else every scalar a
    /// parameter), then the backend's `prepare` for the kernel's function. A backend library is loaded
    /// first (K6011 when it cannot be); an unknown or non-executable name is a K6010 error; a failed
    /// compile is the backend's one located error carrying every stage's rendered diagnostics
    /// (`ExecutableBackend.compileFailed`).
    static func prepareKernel(_ frontEnd: FrontEndResult, kernel: CheckedKernel, dims: BoundDims, inputs: [String: Tensor],
                              backend backendName: String, pipeline: PipelineOptions, options: ExecutionOptions,
                              _ diagnostics: inout DiagnosticBag) -> (any PreparedKernel)? {
        let (passes, backends, loadFailure) = makeRegistries(loading: backendName)
        if let loadFailure {
            diagnostics.report(loadFailure)
            return nil
        }
        guard let backend = backends.backend(named: backendName) as? any ExecutableBackend else {
            diagnostics.report(DiagnosticCatalogue.backendNotExecutable(backendName, executable: executableBackendNames()))
            return nil
        }
        var scalars: [String: Double]?
        if backend.bindsScalarParameters {
            var values: [String: Double] = [:]
            for param in kernel.params where param.type.isScalar {
                if let value = inputs[param.name]?.values.first { values[param.name] = value }
            }
            scalars = values
        }
        let source = frontEnd.source
        var emission = BackendEmission(compilation: compile(frontEnd, dims: dims.sizes, options: pipeline, registry: passes,
                                                            scalars: scalars))
        if !emission.compilation.hasErrors, let module = emission.compilation.module,
           let target = MachineTarget.named(pipeline.target) {
            do {
                return try backend.prepare(module: module, context: BackendContext(target: target, kernelSource: source,
                                                                                   function: kernel.name), options: options)
            } catch {
                emission.backendDiagnostics = error.diagnostics
            }
        }
        diagnostics.report(backend.compileFailed(kernel: kernel.name, detail: emission.renderedDiagnostics(),
                                                 at: kernel.syntax.name.span))
        return nil
    }

    /// A non-`ref` executor of `kiln run` and `kiln verify`: prepares the kernel (`prepareKernel`), runs it
    /// once on `inputs`, and stores its outputs, its findings and the result (`details`: sim's `SimulationResult`).
    static func execute(_ frontEnd: FrontEndResult, kernel: CheckedKernel, dims: BoundDims, inputs: [String: Tensor],
                        request: RunRequest, into outcome: inout RunOutcome) {
        guard let prepared = prepareKernel(frontEnd, kernel: kernel, dims: dims, inputs: inputs, backend: request.backend.rawValue,
                                           pipeline: PipelineOptions(target: request.sim.target, passes: request.sim.passes),
                                           options: request.sim.execution, &outcome.diagnostics) else { return }
        do {
            let result = try prepared.run(inputs: inputs)
            for diagnostic in result.diagnostics { outcome.diagnostics.report(diagnostic) }
            outcome.execution = result
            outcome.outputs = result.outputs
        } catch {
            for diagnostic in error.diagnostics { outcome.diagnostics.report(diagnostic) }
        }
    }
}
