// ExecutableBackend.swift: backends that also run what they compile (`kiln run`, `verify`, `bench`), and their options.

import KilnNumerics
import KilnSource
import KilnTileIR

/// A backend whose output can be executed: besides emitting, it prepares the IR after the pass pipeline
/// into a kernel that runs on named input tensors and returns named outputs. `kiln run --backend NAME`,
/// `kiln verify --backends ...,NAME` and `kiln bench --backend NAME` accept any registered backend that
/// conforms, a plugin's as well as the built-in `sim` and `llvm`. (`ref`, the reference interpreter, is not
/// a tile IR backend: it runs the checked AST, and the driver keeps it as its own special case.)
public protocol ExecutableBackend: Backend {
    /// Whether the module it is given must have its scalar parameters bound to constants (the run's
    /// scalar values, else their defaults) before the pass pipeline: true for a backend without scalar
    /// arguments (sim: the bytecode has no scalar registers); false keeps them parameters of the entry.
    var bindsScalarParameters: Bool { get }
    /// Compiles `module` (the IR after the pipeline) for `context.function` (nil: the module's kernel).
    func prepare(module: Module, context: BackendContext, options: ExecutionOptions) throws(BackendFailure) -> any PreparedKernel
    /// The one error a failed compile is reported as, at the kernel's name, carrying `detail` (every stage's
    /// rendered diagnostics). Backends without a code of their own use `DiagnosticCatalogue.backendCompileFailed`.
    func compileFailed(kernel: String, detail: String, at span: SourceSpan) -> Diagnostic
}

/// A compiled kernel, ready to run any number of times.
public protocol PreparedKernel {
    /// Runs once on `inputs` by parameter name (tensors of any dtype: the backend converts as it needs).
    func run(inputs: [String: Tensor]) throws(BackendFailure) -> ExecutionResult
    /// Runs once on inputs given as the stored bit patterns of their parameters' dtypes (an embedder's buffers,
    /// `.npy` data). The default decodes them and calls `run(inputs:)`; a backend that holds bit patterns takes
    /// them as they are.
    func run(packedInputs: [String: PackedTensor]) throws(BackendFailure) -> ExecutionResult
    /// Times the kernel: one untimed warm-up run (whose non-fatal diagnostics are returned), then
    /// `iterations` timed runs of the execution alone (inputs converted beforehand).
    func time(inputs: [String: Tensor], iterations: Int) throws(BackendFailure) -> ExecutionTiming
}

extension PreparedKernel {
    public func run(packedInputs: [String: PackedTensor]) throws(BackendFailure) -> ExecutionResult {
        try run(inputs: packedInputs.mapValues(\.tensor))
    }
}

/// How a kernel is executed. Fields a backend does not know are ignored by it.
public struct ExecutionOptions: Sendable {
    /// Compute time only, not values (sim: `--timing-only`); outputs are then empty.
    public var timingOnly: Bool
    /// Run the backend's own checks (sim: races, uninitialised reads, out-of-bounds accesses).
    public var checks: Bool
    /// Record a trace of the execution (sim: for `--trace`), returned in `ExecutionResult.details`.
    public var recordTrace: Bool
    /// The CPU to generate code for (llvm: `--cpu`); nil: the host's.
    public var cpu: String?
    /// Optimise the generated code (llvm: `default<O3>`; off with `--no-llvm-opt`).
    public var optimise: Bool
    /// Options for a plugin's backend, by name (no flag sets them yet; embedders may).
    public var settings: [String: String]

    public init(timingOnly: Bool = false, checks: Bool = true, recordTrace: Bool = false, cpu: String? = nil,
                optimise: Bool = true, settings: [String: String] = [:]) {
        self.timingOnly = timingOnly
        self.checks = checks
        self.recordTrace = recordTrace
        self.cpu = cpu
        self.optimise = optimise
        self.settings = settings
    }
}

/// What one run produced.
public struct ExecutionResult: Sendable {
    /// The outputs as the backend made them: decoded values, or stored bit patterns (the simulator's HBM bytes),
    /// converted only when a caller asks for the other form.
    private enum Values: Sendable {
        case decoded([(name: String, tensor: Tensor)])
        case packed([(name: String, tensor: PackedTensor)])
    }
    private var values: Values

    /// The outputs by result name in declared order (empty after a timing-only run).
    public var outputs: [(name: String, tensor: Tensor)] {
        get {
            switch values {
            case .decoded(let outputs): outputs
            case .packed(let outputs): outputs.map { ($0.name, $0.tensor.tensor) }
            }
        }
        set { values = .decoded(newValue) }
    }

    /// The outputs as stored bit patterns of their dtypes (what an embedder copies into its buffers).
    public var packedOutputs: [(name: String, tensor: PackedTensor)] {
        switch values {
        case .decoded(let outputs): outputs.map { ($0.name, PackedTensor($0.tensor)) }
        case .packed(let outputs): outputs
        }
    }

    /// Findings of the run located in the kernel source (errors among them fail the run).
    public var diagnostics: [Diagnostic]
    /// The backend's own record of the run (sim: `SimulationResult`, with stats and trace), for callers
    /// that know the backend's types; nil when it has none.
    public var details: (any Sendable)?

    public init(outputs: [(name: String, tensor: Tensor)], diagnostics: [Diagnostic] = [], details: (any Sendable)? = nil) {
        self.values = .decoded(outputs)
        self.diagnostics = diagnostics
        self.details = details
    }

    /// A result whose outputs are stored bit patterns (decoded only if `outputs` is read).
    public init(packedOutputs: [(name: String, tensor: PackedTensor)], diagnostics: [Diagnostic] = [],
                details: (any Sendable)? = nil) {
        self.values = .packed(packedOutputs)
        self.diagnostics = diagnostics
        self.details = details
    }
}

/// What `PreparedKernel.time` measured. Times are in seconds.
public struct ExecutionTiming: Sendable {
    /// Wall time of each timed run.
    public var wallSeconds: [Double]
    /// The machine time a simulating backend computed; nil for a backend that runs on the host.
    public var simulatedSeconds: Double?
    /// Non-fatal findings of the warm-up run.
    public var diagnostics: [Diagnostic]

    public init(wallSeconds: [Double], simulatedSeconds: Double? = nil, diagnostics: [Diagnostic] = []) {
        self.wallSeconds = wallSeconds
        self.simulatedSeconds = simulatedSeconds
        self.diagnostics = diagnostics
    }

    /// The wall time of `body`, in seconds.
    public static func measure<Failure: Error>(_ body: () throws(Failure) -> Void) throws(Failure) -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        let (whole, attoseconds) = (clock.now - start).components
        return Double(whole) + Double(attoseconds) * 1e-18
    }
}

/// A backend output made of several named files (llvm's `obj`: the object and its C header). Each
/// artifact's name is the extension of the file it is written to, next to the main output.
public struct BackendArtifact: Sendable, Equatable {
    public var fileExtension: String
    public var output: BackendOutput

    public init(fileExtension: String, output: BackendOutput) {
        self.fileExtension = fileExtension
        self.output = output
    }
}

/// A backend with output variants besides its main one (`kiln build --emit VARIANT`): llvm's `obj`.
public protocol MultiArtifactBackend: Backend {
    /// The variant names it emits, e.g. `["obj"]`.
    var variants: [String] { get }
    /// Emits `variant` of `module` as artifacts, the first being the main file; `stem` names the output
    /// file without its extension (the object's header derives its include guard from it).
    func emit(variant: String, module: Module, context: BackendContext, options: ExecutionOptions,
              stem: String) throws(BackendFailure) -> [BackendArtifact]
}
