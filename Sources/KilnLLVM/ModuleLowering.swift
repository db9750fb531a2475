// ModuleLowering.swift: a tile IR module to an LLVM module: one function per tile IR function, packed wrappers, verification.

internal import CLLVM
import KilnSource
import KilnTileIR

/// Lowers a whole module.
///
/// Algorithm. First every function is declared (`kiln_NAME`, pointers `noalias`: buffers must not overlap),
/// so calls can refer to any of them; then each body is lowered (`FunctionLowering`) under its debug-info
/// subprogram; then each function gets a packed wrapper `kiln_NAME_packed(void **args)` that loads its
/// arguments from the array (the JIT's single calling shape). Debug info is finalised and the module is
/// checked with `LLVMVerifyModule`; a failure is a Kiln bug and is reported as K5001, never a crash.
enum ModuleLowering {
    static func lower(_ module: Module, into llvmModule: LLVMModuleOwner, kernelSource: SourceFile?,
                      machine: LLVMTargetMachineOwner) throws(LLVMBackendError)
        -> [EntrySignature] {
        let debugInfo = DebugInfoEmitter(module: llvmModule, sourcePath: module.sourcePath ?? kernelSource?.path ?? "kernel.kiln",
                                         source: kernelSource)
        let lowering = LoweringContext(module: llvmModule, debugInfo: debugInfo, cpuFeatures: machine.features)
        var diagnostics: [Diagnostic] = []
        var declared: [String: LoweredFunction] = [:]
        for function in module.functions {
            let (signature, problem) = EntrySignature.of(function)
            guard let signature else {
                diagnostics.append(DiagnosticCatalogue.llvmUnsupported("function '\(function.name)': \(problem ?? "")", at: function.span))
                continue
            }
            declared[function.name] = declare(signature, lowering, machine: machine)
        }
        guard diagnostics.isEmpty else { throw LLVMBackendError(diagnostics) }
        for function in module.functions {
            guard let lowered = declared[function.name] else { continue }
            let functionLowering = FunctionLowering(lowering: lowering, function: function, lowered: lowered, callees: declared)
            functionLowering.lower()
            debugInfo.leave(lowering: lowering)
            diagnostics += functionLowering.diagnostics
        }
        for function in module.functions {
            guard let lowered = declared[function.name] else { continue }
            emitPackedWrapper(lowered, lowering)
        }
        debugInfo.finalize()
        guard diagnostics.isEmpty else { throw LLVMBackendError(diagnostics) }
        if let failure = llvmModule.verificationFailure() {
            throw LLVMBackendError([DiagnosticCatalogue.llvmVerifierFailed(module.functions.map(\.name).joined(separator: ", "),
                                                                           failure)])
        }
        return module.functions.compactMap { declared[$0.name]?.signature }
    }

    private static func declare(_ signature: EntrySignature, _ lowering: LoweringContext,
                                machine: LLVMTargetMachineOwner) -> LoweredFunction {
        let type = signature.functionType(lowering.types)
        let function = LLVMAddFunction(lowering.module.ref, signature.symbol, type)!
        let noalias = lowering.enumAttribute("noalias")
        let nounwind = lowering.enumAttribute("nounwind")
        let functionIndex = LLVMAttributeIndex(truncatingIfNeeded: LLVMAttributeFunctionIndex)
        LLVMAddAttributeAtIndex(function, functionIndex, nounwind)
        // The CPU the code is for, recorded in the IR as clang does, so llc and the JIT generate the same code.
        for (key, value) in [("target-cpu", machine.cpu), ("target-features", machine.features)] where !value.isEmpty {
            let attribute = LLVMCreateStringAttribute(lowering.context, key, UInt32(key.utf8.count), value, UInt32(value.utf8.count))
            LLVMAddAttributeAtIndex(function, functionIndex, attribute)
        }
        for (index, argument) in signature.arguments.enumerated() {
            LLVMSetValueName2(LLVMGetParam(function, UInt32(index)), argument.name, argument.name.utf8.count)
            guard case .buffer = argument.kind else { continue }
            LLVMAddAttributeAtIndex(function, LLVMAttributeIndex(index + 1), noalias)
        }
        return LoweredFunction(signature: signature, function: function, type: type)
    }

    private static func emitPackedWrapper(_ lowered: LoweredFunction, _ lowering: LoweringContext) {
        let types = lowering.types
        var parameters: [LLVMTypeRef?] = [types.pointer]
        let wrapperType = LLVMFunctionType(types.i32, &parameters, 1, 0)!
        let wrapper = LLVMAddFunction(lowering.module.ref, lowered.signature.packedSymbol, wrapperType)!
        let b = lowering.b
        LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(lowering.context, wrapper, "entry"))
        let array = LLVMGetParam(wrapper, 0)!
        var args: [LLVMValueRef?] = []
        for (index, argument) in lowered.signature.arguments.enumerated() {
            let slot = lowering.elementAddress(array, storage: types.pointer, index: lowering.int64(index))
            let pointer = LLVMBuildLoad2(b, types.pointer, slot, "")!
            switch argument.kind {
            case .buffer: args.append(pointer)
            case .scalar: args.append(LLVMBuildLoad2(b, types.scalarArgument(argument.element), pointer, ""))
            }
        }
        let status = LLVMBuildCall2(b, lowered.type, lowered.function, &args, UInt32(args.count), "")
        LLVMBuildRet(b, status)
    }
}
