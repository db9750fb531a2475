// LLVMBackend.swift: the llvm backend's public API: LLVM IR text, object file + C header, JIT-compiled kernels.

internal import CLLVM
import KilnSource
import KilnTileIR

/// Diagnostics from the llvm backend (K5xxx, or the tile IR verifier's when the input is invalid).
public struct LLVMBackendError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public var description: String { diagnostics.map { "\($0.id): \($0.message)" }.joined(separator: "\n") }
}

/// How the backend generates code.
public struct LLVMBackendOptions: Sendable {
    /// The CPU to generate code for: the host's (default), or a named one (`--cpu`) for reproducible output.
    public var cpu: CPUSelection
    /// Run the optimisation pipeline (`passes`) before emitting or JIT-compiling.
    public var optimise: Bool
    /// The new pass manager pipeline; `default<O3>` unless changed.
    public var passes: String
    /// The kernel source the module's spans point into; with it, debug locations carry line:col.
    public var kernelSource: SourceFile?

    public init(cpu: CPUSelection = .host, optimise: Bool = true, passes: String = "default<O3>", kernelSource: SourceFile? = nil) {
        self.cpu = cpu
        self.optimise = optimise
        self.passes = passes
        self.kernelSource = kernelSource
    }
}

/// An object file and the C header declaring its entry points.
public struct LLVMObjectOutput: Sendable {
    public var object: [UInt8]
    public var header: String
    public var signatures: [EntrySignature]
}

/// The backend's entry points. Each verifies the tile IR first (its diagnostics are thrown, under K5007),
/// lowers every function of the module (see `ModuleLowering`, `FunctionLowering`), verifies the LLVM module,
/// optimises it for the chosen CPU and then prints it, emits an object, or JIT-compiles it.
public enum LLVMBackend {
    /// Textual LLVM IR (what `opt-19 -passes=verify` and `llc-19` accept), optimised unless `options.optimise` is off.
    public static func emitIR(module: Module, options: LLVMBackendOptions = LLVMBackendOptions()) throws(LLVMBackendError) -> String {
        let (llvmModule, _) = try build(module, options: options, context: LLVMContextOwner(), positionIndependent: true)
        return llvmModule.printed()
    }

    /// A relocatable object file (position independent) and a C header declaring `kiln_NAME` and `kiln_NAME_packed`
    /// for each function; link with `-lm`.
    public static func emitObject(module: Module, headerName: String = "kernel",
                                  options: LLVMBackendOptions = LLVMBackendOptions()) throws(LLVMBackendError) -> LLVMObjectOutput {
        let context = LLVMContextOwner()
        let machine = try LLVMTargetMachineOwner.make(cpu: options.cpu, positionIndependent: true)
        let (llvmModule, signatures) = try build(module, options: options, context: context, machine: machine)
        let object = try machine.emitObject(llvmModule)
        return LLVMObjectOutput(object: object, header: CHeader.text(for: signatures, guardName: headerName), signatures: signatures)
    }

    /// JIT-compiles the module and returns its entry kernel, ready to run. `entry` names the function; nil
    /// picks the one function no other function calls.
    public static func jit(module: Module, entry: String? = nil,
                           options: LLVMBackendOptions = LLVMBackendOptions()) throws(LLVMBackendError) -> JITKernel {
        let name = try entryName(module, entry)
        let context = LLVMContextOwner(threadSafe: ())
        let machine = try LLVMTargetMachineOwner.make(cpu: options.cpu, positionIndependent: false)
        let (llvmModule, signatures) = try build(module, options: options, context: context, machine: machine)
        guard let signature = signatures.first(where: { $0.kernelName == name }) else {
            throw LLVMBackendError([DiagnosticCatalogue.llvmEntryNotFound("no function '\(name)' was lowered",
                                                                          functions: module.functions.map(\.name))])
        }
        let session = try LLVMJITSession(machine: machine)
        try session.add(llvmModule)
        let address = try session.address(of: signature.packedSymbol)
        return JITKernel(signature: signature, session: session, address: address)
    }

    /// The CPU LLVM would generate code for on this machine (`--cpu` default), e.g. `znver3`.
    public static var hostCPU: String {
        _ = NativeTarget.initialise()
        return consumeLLVMMessage(LLVMGetHostCPUName())
    }

    private static func build(_ module: Module, options: LLVMBackendOptions, context: LLVMContextOwner,
                              positionIndependent: Bool) throws(LLVMBackendError) -> (LLVMModuleOwner, [EntrySignature]) {
        let machine = try LLVMTargetMachineOwner.make(cpu: options.cpu, positionIndependent: positionIndependent)
        return try build(module, options: options, context: context, machine: machine)
    }

    private static func build(_ module: Module, options: LLVMBackendOptions, context: LLVMContextOwner,
                              machine: LLVMTargetMachineOwner) throws(LLVMBackendError) -> (LLVMModuleOwner, [EntrySignature]) {
        let problems = TileIR.verify(module).filter { $0.severity == .error }
        if !problems.isEmpty {
            throw LLVMBackendError([DiagnosticCatalogue.llvmInvalidTileIR(errors: problems.count)] + problems)
        }
        let llvmModule = LLVMModuleOwner(name: module.sourcePath ?? "kiln", context: context)
        machine.configure(llvmModule)
        let signatures = try ModuleLowering.lower(module, into: llvmModule, kernelSource: options.kernelSource, machine: machine)
        if options.optimise {
            try machine.optimise(llvmModule, passes: options.passes)
            if let failure = llvmModule.verificationFailure() {
                throw LLVMBackendError([DiagnosticCatalogue.llvmVerifierFailed("the optimised module", failure)])
            }
        }
        return (llvmModule, signatures)
    }

    private static func entryName(_ module: Module, _ entry: String?) throws(LLVMBackendError) -> String {
        let names = module.functions.map(\.name)
        if let entry {
            guard names.contains(entry) else {
                throw LLVMBackendError([DiagnosticCatalogue.llvmEntryNotFound("no function named '\(entry)'", functions: names)])
            }
            return entry
        }
        var called: Set<String> = []
        for function in module.functions {
            function.body.walk { op in if case .call(let callee, _) = op.kind { called.insert(callee) } }
        }
        let roots = names.filter { !called.contains($0) }
        guard roots.count == 1, let root = roots.first else {
            throw LLVMBackendError([DiagnosticCatalogue.llvmEntryNotFound(
                roots.isEmpty ? "no function is a kernel (every one is called by another)"
                    : "more than one function could be the kernel; name one", functions: names)])
        }
        return root
    }
}
