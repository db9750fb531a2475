// LLVMBackendLibrary.swift: the llvm backend as a backend library (libKilnLLVMBackend.so), loaded by kiln on first use.

import KilnBackendLibraryABI
import KilnLLVM
import KilnNumerics
import KilnSource

/// `llvm`: tile IR to LLVM IR for the host CPU (optimised with `default<O3>` unless asked not to), an
/// object file with its C header (`obj`), or a kernel JIT-compiled by ORC LLJIT. kiln does not link this
/// library, so libLLVM is loaded only by the commands that use the backend; kiln wraps the interface in a
/// `Backend` of its own (KilnBuiltinBackends' `LibraryBackend`, named by its catalogue entry).
public enum LLVMBackendLibrary {
    public static let interface = BackendLibraryInterface(
        variants: ["obj"],
        // Scalars stay arguments of the entry point, so one compiled kernel serves any scalar values.
        bindsScalarParameters: false,
        emit: emit, prepare: prepare,
        compileFailed: { kernel, detail, span in DiagnosticCatalogue.llvmCompileFailed(kernel, detail: detail, at: span) })

    /// `obj`: the object (`o`) and its header (`h`), whose include guard derives from `stem`. Any other
    /// variant (kiln asks for `llvm`, the main one): the IR text for the request's CPU.
    static func emit(variant: String, request: LibraryRequest, stem: String) -> LibraryResult<[LibraryArtifact]> {
        do {
            guard variant == "obj" else {
                return .success([LibraryArtifact(fileExtension: "ll",
                                                 text: try LLVMBackend.emitIR(module: request.module, options: options(request)))])
            }
            let output = try LLVMBackend.emitObject(module: request.module, headerName: stem, options: options(request))
            return .success([LibraryArtifact(fileExtension: "o", bytes: output.object),
                             LibraryArtifact(fileExtension: "h", text: output.header)])
        } catch {
            return .failure(error.diagnostics)
        }
    }

    /// JIT-compiles the request's entry function for its CPU.
    static func prepare(_ request: LibraryRequest) -> LibraryResult<LibraryKernel> {
        do {
            let prepared = PreparedJIT(kernel: try LLVMBackend.jit(module: request.module, entry: request.function,
                                                                    options: options(request)))
            return .success(LibraryKernel(run: prepared.run, time: prepared.time))
        } catch {
            return .failure(error.diagnostics)
        }
    }

    static func options(_ request: LibraryRequest) -> LLVMBackendOptions {
        LLVMBackendOptions(cpu: request.cpu.map(CPUSelection.named) ?? .host, optimise: request.optimise,
                           kernelSource: request.kernelSource)
    }
}

/// The library's entry point (`BackendLibraryABI`): the descriptor of `LLVMBackendLibrary.interface`.
@_cdecl("kiln_backend_library_entry")
public func kilnBackendLibraryEntry() -> UnsafeRawPointer {
    BackendLibraryABI.descriptor(LLVMBackendLibrary.interface)
}
