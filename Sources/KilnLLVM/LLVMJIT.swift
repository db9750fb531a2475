// LLVMJIT.swift: an ORC LLJIT session that takes ownership of modules and looks up their compiled entry points.

internal import CLLVM
import KilnSource

/// Owns an `LLVMOrcLLJITRef`. Modules added to it are moved in (marked consumed, so their Swift owners do not
/// dispose them); symbols of the host process (libm, libc) resolve for the code it compiles.
final class LLVMJITSession {
    private let ref: LLVMOrcLLJITRef

    /// A JIT whose code generator uses `machine` (the same CPU and options the module was optimised for).
    init(machine: LLVMTargetMachineOwner) throws(LLVMBackendError) {
        let builder = LLVMOrcCreateLLJITBuilder()
        LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder, machine.consumeIntoJITBuilder())
        var jit: LLVMOrcLLJITRef?
        // LLVMOrcCreateLLJIT takes ownership of the builder whether or not it succeeds.
        if let failure = consumeLLVMError(LLVMOrcCreateLLJIT(&jit, builder)) {
            throw LLVMBackendError([DiagnosticCatalogue.llvmError("creating the JIT", failure)])
        }
        guard let jit else { throw LLVMBackendError([DiagnosticCatalogue.llvmError("creating the JIT", "no JIT returned")]) }
        ref = jit
        var generator: LLVMOrcDefinitionGeneratorRef?
        let prefix = LLVMOrcLLJITGetGlobalPrefix(jit)
        if let failure = consumeLLVMError(LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&generator, prefix, nil, nil)) {
            throw LLVMBackendError([DiagnosticCatalogue.llvmError("making host symbols visible to the JIT", failure)])
        }
        if let generator { LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(jit), generator) }
    }

    /// Moves `module` into the JIT. From here on the JIT owns it, whether adding succeeds or fails.
    func add(_ module: LLVMModuleOwner) throws(LLVMBackendError) {
        guard let threadSafeContext = module.context.threadSafeContext else {
            throw LLVMBackendError([DiagnosticCatalogue.llvmError("adding a module to the JIT",
                                                                  "the module was not built in a thread-safe context")])
        }
        let threadSafeModule = LLVMOrcCreateNewThreadSafeModule(module.ref, threadSafeContext)
        module.markConsumed()
        let dylib = LLVMOrcLLJITGetMainJITDylib(ref)
        if let failure = consumeLLVMError(LLVMOrcLLJITAddLLVMIRModule(ref, dylib, threadSafeModule)) {
            throw LLVMBackendError([DiagnosticCatalogue.llvmError("adding a module to the JIT", failure)])
        }
    }

    /// The address of a compiled symbol (compiling it on first lookup).
    func address(of symbol: String) throws(LLVMBackendError) -> UInt64 {
        var address: LLVMOrcExecutorAddress = 0
        if let failure = consumeLLVMError(LLVMOrcLLJITLookup(ref, &address, symbol)) {
            throw LLVMBackendError([DiagnosticCatalogue.llvmSymbolMissing(symbol, failure)])
        }
        guard address != 0 else { throw LLVMBackendError([DiagnosticCatalogue.llvmSymbolMissing(symbol, "address 0")]) }
        return address
    }

    deinit {
        _ = consumeLLVMError(LLVMOrcDisposeLLJIT(ref))
    }
}
