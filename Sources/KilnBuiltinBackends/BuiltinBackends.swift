// BuiltinBackends.swift: the sim and llvm backends as `Backend` values, registered like any plugin's.

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

/// `llvm`: tile IR to optimised LLVM IR text for the host CPU: its main variant (`emit(variant:...)`,
/// LLVMExecution.swift) with the default options, the one path `--emit llvm` also takes.
public struct LLVMIRBackend: Backend {
    public init() {}
    public var name: String { "llvm" }
    public var summary: String { "LLVM IR text for the host CPU, optimised with default<O3> (LLVM 19 C API)" }
    public var fileExtension: String { "ll" }
    public var outputKind: BackendOutputKind { .text }

    public func emit(module: Module, context: BackendContext) throws(BackendFailure) -> BackendOutput {
        let artifacts = try emit(variant: name, module: module, context: context, options: ExecutionOptions(), stem: "kernel")
        guard let main = artifacts.first else { throw BackendFailure([]) }
        return main.output
    }
}

/// The built-in backends.
public enum BuiltinBackends {
    public static let all: [any Backend] = [SimBytecodeBackend(), LLVMIRBackend()]

    /// The built-in backends' registration callback, of exactly the shape a plugin's has.
    public static let registerFunction: KilnPlugin.RegisterFunction = { raw in
        let registrar = PluginRegistrar.fromOpaque(raw)
        for backend in all { registrar.register(backend: backend) }
    }
}
