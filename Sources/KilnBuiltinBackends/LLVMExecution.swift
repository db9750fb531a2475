// LLVMExecution.swift: the `llvm` backend as an executable backend (ORC JIT on the host) and its `obj` variant.

import KilnLLVM
import KilnNumerics
import KilnPluginAPI
import KilnSource
import KilnTileIR

extension LLVMIRBackend: ExecutableBackend, MultiArtifactBackend {
    /// Scalars stay arguments of the entry point, so one compiled kernel serves any scalar values.
    public var bindsScalarParameters: Bool { false }

    /// JIT-compiles the entry `context.function` (nil: the module's kernel) for the CPU `options.cpu`.
    public func prepare(module: Module, context: BackendContext,
                        options: ExecutionOptions) throws(BackendFailure) -> any PreparedKernel {
        do {
            return PreparedJIT(kernel: try LLVMBackend.jit(module: module, entry: context.function,
                                                            options: Self.backendOptions(options, context)))
        } catch {
            throw BackendFailure(error.diagnostics)
        }
    }

    public func compileFailed(kernel: String, detail: String, at span: SourceSpan) -> Diagnostic {
        DiagnosticCatalogue.llvmCompileFailed(kernel, detail: detail, at: span)
    }

    /// `obj`: an object file and the C header declaring its entry points.
    public var variants: [String] { ["obj"] }

    /// `obj`: the object (`o`) and its header (`h`), whose include guard derives from `stem`. `llvm` (the
    /// main variant): the IR text for `options.cpu`, optimised unless `options.optimise` is off.
    public func emit(variant: String, module: Module, context: BackendContext, options: ExecutionOptions,
                     stem: String) throws(BackendFailure) -> [BackendArtifact] {
        do {
            let backendOptions = Self.backendOptions(options, context)
            guard variant == "obj" else {
                return [BackendArtifact(fileExtension: fileExtension,
                                        output: .text(try LLVMBackend.emitIR(module: module, options: backendOptions)))]
            }
            let output = try LLVMBackend.emitObject(module: module, headerName: stem, options: backendOptions)
            return [BackendArtifact(fileExtension: "o", output: .binary(output.object)),
                    BackendArtifact(fileExtension: "h", output: .text(output.header))]
        } catch {
            throw BackendFailure(error.diagnostics)
        }
    }

    static func backendOptions(_ options: ExecutionOptions, _ context: BackendContext) -> LLVMBackendOptions {
        LLVMBackendOptions(cpu: options.cpu.map(CPUSelection.named) ?? .host, optimise: options.optimise,
                           kernelSource: context.kernelSource)
    }
}

/// A JIT-compiled kernel. Inputs are converted to the entry arguments' dtypes (a `--input` array of another
/// dtype is rounded as the reference interpreter rounds it), scalars passed as rank-0 tensors.
struct PreparedJIT: PreparedKernel {
    var kernel: JITKernel

    func run(inputs: [String: Tensor]) throws(BackendFailure) -> ExecutionResult {
        do {
            return ExecutionResult(outputs: try kernel.run(inputs: converted(inputs)))
        } catch {
            throw BackendFailure(error.diagnostics)
        }
    }

    /// Packs the inputs into native buffers once, calls once untimed, then times each call alone.
    func time(inputs: [String: Tensor], iterations: Int) throws(BackendFailure) -> ExecutionTiming {
        do {
            let call = try kernel.prepare(inputs: converted(inputs))
            try call.invoke()
            var wall: [Double] = []
            for _ in 0..<iterations {
                wall.append(try ExecutionTiming.measure { () throws(LLVMBackendError) in try call.invoke() })
            }
            return ExecutionTiming(wallSeconds: wall)
        } catch {
            throw BackendFailure(error.diagnostics)
        }
    }

    private func converted(_ inputs: [String: Tensor]) -> [String: Tensor] {
        var converted = inputs
        for argument in kernel.signature.inputs {
            guard let tensor = inputs[argument.name], tensor.dtype != argument.element,
                  let retyped = Tensor(dtype: argument.element, shape: tensor.shape,
                                       values: tensor.values.map(argument.element.convert)) else { continue }
            converted[argument.name] = retyped
        }
        return converted
    }
}
