// BuiltinBackends.swift: the sim backend as a `Backend` value, registered like any plugin's (llvm: KilnLLVMBackend).

import KilnPluginAPI
import KilnSimBackend
import KilnTileIR

/// `sim`: scheduled tile IR to simulator bytecode (`.kbc`), through `SimBackend.emit`.
public struct SimBytecodeBackend: Backend {
    public init() {}
    public var name: String { "sim" }
    public var summary: String { "simulator bytecode (.kbc) for `kiln sim`, with a line table back to the kernel source" }
    public var fileExtension: String { "kbc" }
    public var outputKind: BackendOutputKind { .binary }

    public func emit(module: Module, context: BackendContext) throws(BackendFailure) -> BackendOutput {
        do {
            return .binary(try SimBackend.emit(module: module, kernelSource: context.kernelSource, function: context.function))
        } catch {
            throw BackendFailure(error.diagnostics)
        }
    }
}

/// The built-in backends linked into `kiln`. The llvm backend is built in too, but into a shared library of
/// its own (`BackendLibrary.llvm`), which the driver loads on first use so that `kiln` starts without libLLVM.
public enum BuiltinBackends {
    public static let all: [any Backend] = [SimBytecodeBackend()]

    /// The built-in backends' registration callback, of exactly the shape a plugin's has.
    public static let registerFunction: KilnPlugin.RegisterFunction = { raw in
        let registrar = PluginRegistrar.fromOpaque(raw)
        for backend in all { registrar.register(backend: backend) }
    }
}
