// LibraryBackend.swift: a loaded backend library (llvm) as kiln's own executable, multi-artifact `Backend`.

import KilnBackendLibraryABI
import KilnNumerics
import KilnPluginAPI
import KilnSource
import KilnTileIR

/// A backend library's interface (`BackendLibraryInterface`, closures the library made) as a `Backend`
/// of kiln's: this type and its conformances are kiln's, so the driver's casts to `ExecutableBackend` and
/// `MultiArtifactBackend` hold, and the library needs no KilnPluginAPI type (BackendLibraryABI says why).
/// Name, summary and output come from the catalogue entry `library`.
public struct LibraryBackend: ExecutableBackend, MultiArtifactBackend {
    public var library: BackendLibrary
    public var interface: BackendLibraryInterface

    public init(library: BackendLibrary, interface: BackendLibraryInterface) {
        self.library = library
        self.interface = interface
    }

    public var name: String { library.name }
    public var summary: String { library.summary }
    public var fileExtension: String { library.fileExtension }
    public var outputKind: BackendOutputKind { library.outputKind }
    public var variants: [String] { interface.variants }
    public var bindsScalarParameters: Bool { interface.bindsScalarParameters }

    /// The main output (the variant named like the backend) with the default options.
    public func emit(module: Module, context: BackendContext) throws(BackendFailure) -> BackendOutput {
        let artifacts = try emit(variant: name, module: module, context: context, options: ExecutionOptions(), stem: "kernel")
        guard let main = artifacts.first else { throw BackendFailure([]) }
        return main.output
    }

    public func emit(variant: String, module: Module, context: BackendContext, options: ExecutionOptions,
                     stem: String) throws(BackendFailure) -> [BackendArtifact] {
        let artifacts = try Self.value(interface.emit(variant, Self.request(module, context, options), stem))
        return artifacts.map { artifact in
            BackendArtifact(fileExtension: artifact.fileExtension, output: artifact.text.map { .text($0) } ?? .binary(artifact.bytes))
        }
    }

    public func prepare(module: Module, context: BackendContext,
                        options: ExecutionOptions) throws(BackendFailure) -> any PreparedKernel {
        PreparedLibraryKernel(kernel: try Self.value(interface.prepare(Self.request(module, context, options))))
    }

    public func compileFailed(kernel: String, detail: String, at span: SourceSpan) -> Diagnostic {
        interface.compileFailed(kernel, detail, span)
    }

    static func request(_ module: Module, _ context: BackendContext, _ options: ExecutionOptions) -> LibraryRequest {
        LibraryRequest(module: module, target: context.target, kernelSource: context.kernelSource, function: context.function,
                       cpu: options.cpu, optimise: options.optimise)
    }

    static func value<Value>(_ result: LibraryResult<Value>) throws(BackendFailure) -> Value {
        switch result {
        case .success(let value): return value
        case .failure(let diagnostics): throw BackendFailure(diagnostics)
        }
    }
}

/// A kernel a backend library compiled, run and timed through its closures.
struct PreparedLibraryKernel: PreparedKernel {
    var kernel: LibraryKernel

    func run(inputs: [String: Tensor]) throws(BackendFailure) -> ExecutionResult {
        ExecutionResult(outputs: try LibraryBackend.value(kernel.run(inputs)))
    }

    func time(inputs: [String: Tensor], iterations: Int) throws(BackendFailure) -> ExecutionTiming {
        ExecutionTiming(wallSeconds: try LibraryBackend.value(kernel.time(inputs, iterations)))
    }
}
