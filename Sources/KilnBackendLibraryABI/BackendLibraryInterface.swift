// BackendLibraryInterface.swift: what a backend library (libKilnLLVMBackend.so) hands kiln: its operations as closures.

import KilnMachine
import KilnNumerics
import KilnSource
import KilnTileIR

/// What a backend library compiles: the module after the pass pipeline, the machine, the kernel source its
/// spans point into, the entry function (nil: the module's kernel), and the switches that apply to it.
public struct LibraryRequest: Sendable {
    public var module: Module
    public var target: MachineTarget
    public var kernelSource: SourceFile?
    public var function: String?
    /// The CPU to generate code for (nil: the host's).
    public var cpu: String?
    public var optimise: Bool

    public init(module: Module, target: MachineTarget, kernelSource: SourceFile?, function: String?, cpu: String?,
                optimise: Bool) {
        self.module = module
        self.target = target
        self.kernelSource = kernelSource
        self.function = function
        self.cpu = cpu
        self.optimise = optimise
    }
}

/// One file an emission writes: its extension and its text or bytes.
public struct LibraryArtifact: Sendable {
    public var fileExtension: String
    public var text: String?
    public var bytes: [UInt8]

    public init(fileExtension: String, text: String) {
        self.fileExtension = fileExtension
        self.text = text
        self.bytes = []
    }

    public init(fileExtension: String, bytes: [UInt8]) {
        self.fileExtension = fileExtension
        self.text = nil
        self.bytes = bytes
    }
}

/// What an operation of a backend library returns: its value, or the diagnostics saying why there is none.
public enum LibraryResult<Value: Sendable>: Sendable {
    case success(Value)
    case failure([Diagnostic])
}

/// A kernel a backend library compiled for execution: run once on named inputs (the outputs, by name),
/// or timed (`iterations` wall-clock seconds, each call alone).
public struct LibraryKernel: Sendable {
    public var run: @Sendable (_ inputs: [String: Tensor]) -> LibraryResult<[(name: String, tensor: Tensor)]>
    public var time: @Sendable (_ inputs: [String: Tensor], _ iterations: Int) -> LibraryResult<[Double]>

    public init(run: @escaping @Sendable ([String: Tensor]) -> LibraryResult<[(name: String, tensor: Tensor)]>,
                time: @escaping @Sendable ([String: Tensor], Int) -> LibraryResult<[Double]>) {
        self.run = run
        self.time = time
    }
}

/// A backend library's operations. kiln wraps them in a `Backend` of its own (KilnBuiltinBackends'
/// `LibraryBackend`), so the protocols a backend conforms to, and the casts to them, stay kiln's.
public struct BackendLibraryInterface: Sendable {
    /// The extra outputs `emit` accepts besides the backend's name (its main output), e.g. `obj`.
    public var variants: [String]
    /// Whether scalar parameters must be bound to constants before `prepare` (else they stay arguments).
    public var bindsScalarParameters: Bool
    /// The output `variant` of the request, its files named after `stem` where they name themselves.
    public var emit: @Sendable (_ variant: String, _ request: LibraryRequest, _ stem: String) -> LibraryResult<[LibraryArtifact]>
    /// The request's entry function compiled for execution.
    public var prepare: @Sendable (_ request: LibraryRequest) -> LibraryResult<LibraryKernel>
    /// The backend's one located error for a kernel that did not compile, carrying every stage's diagnostics.
    public var compileFailed: @Sendable (_ kernel: String, _ detail: String, _ span: SourceSpan) -> Diagnostic

    public init(variants: [String], bindsScalarParameters: Bool,
                emit: @escaping @Sendable (String, LibraryRequest, String) -> LibraryResult<[LibraryArtifact]>,
                prepare: @escaping @Sendable (LibraryRequest) -> LibraryResult<LibraryKernel>,
                compileFailed: @escaping @Sendable (String, String, SourceSpan) -> Diagnostic) {
        self.variants = variants
        self.bindsScalarParameters = bindsScalarParameters
        self.emit = emit
        self.prepare = prepare
        self.compileFailed = compileFailed
    }
}
