// LLVMTargetMachine.swift: host target initialisation, target machines (host or pinned CPU), O3 passes, object emission.

internal import CLLVM
import KilnSource

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Initialises LLVM's native target (info, target, MC, asm printer) exactly once per process, and installs a
/// fatal error handler: an error LLVM cannot return (it would abort with a backtrace) is printed as
/// `kiln: error: LLVM: REASON` and the process exits with status 1.
enum NativeTarget {
    private static let initialised: Bool = {
        let failed = LLVMInitializeNativeTarget() != 0
        _ = LLVMInitializeNativeAsmPrinter()
        _ = LLVMInitializeNativeAsmParser()
        LLVMInstallFatalErrorHandler { reason in
            let text = "kiln: error: LLVM: \(reason.map { String(cString: $0) } ?? "unknown fatal error") "
                + "(nothing was written)\n"
            _ = text.withCString { write(2, $0, strlen($0)) }
            exit(1)
        }
        return !failed
    }()

    /// True when the host's target is compiled into this LLVM.
    static func initialise() -> Bool { initialised }

    /// The host's target triple, normalised.
    static var hostTriple: String {
        let raw = consumeLLVMMessage(LLVMGetDefaultTargetTriple())
        return raw.withCString { consumeLLVMMessage(LLVMNormalizeTargetTriple($0)) }
    }
}

/// Which CPU code is generated for: the host's own CPU (name and features detected), or a named CPU pinned
/// with `--cpu` (its default features), so output is reproducible across machines.
public enum CPUSelection: Sendable, Hashable {
    case host
    case named(String)
}

/// Owns an `LLVMTargetMachineRef` until it is handed to the JIT's target machine builder.
final class LLVMTargetMachineOwner {
    private(set) var ref: LLVMTargetMachineRef
    let triple: String
    let cpu: String
    let features: String
    private var isConsumed = false

    /// A target machine for the host triple at -O3; `positionIndependent` for objects linked into programs.
    static func make(cpu selection: CPUSelection, positionIndependent: Bool) throws(LLVMBackendError) -> LLVMTargetMachineOwner {
        guard NativeTarget.initialise() else {
            throw LLVMBackendError([DiagnosticCatalogue.llvmTargetUnavailable(NativeTarget.hostTriple,
                                                                              "the host's native target is not built into LLVM")])
        }
        let triple = NativeTarget.hostTriple
        var target: LLVMTargetRef?
        var message: UnsafeMutablePointer<CChar>?
        if LLVMGetTargetFromTriple(triple, &target, &message) != 0 || target == nil {
            throw LLVMBackendError([DiagnosticCatalogue.llvmTargetUnavailable(triple, consumeLLVMMessage(message))])
        }
        let cpu: String
        let features: String
        switch selection {
        case .host:
            cpu = consumeLLVMMessage(LLVMGetHostCPUName())
            features = consumeLLVMMessage(LLVMGetHostCPUFeatures())
        case .named(let name):
            // A pinned CPU brings its own features; on x86-64 `+64bit` is added so that a name LLVM does not
            // know (it warns "not a recognized processor" and uses a generic CPU) still targets 64-bit code.
            cpu = name
            features = triple.hasPrefix("x86_64") ? "+64bit" : ""
        }
        let reloc = positionIndependent ? LLVMRelocPIC : LLVMRelocDefault
        guard let machine = LLVMCreateTargetMachine(target, triple, cpu, features, LLVMCodeGenLevelAggressive, reloc,
                                                    LLVMCodeModelDefault) else {
            throw LLVMBackendError([DiagnosticCatalogue.llvmTargetUnavailable(triple, "cannot make a target machine for CPU '\(cpu)'")])
        }
        return LLVMTargetMachineOwner(ref: machine, triple: triple, cpu: cpu, features: features)
    }

    private init(ref: LLVMTargetMachineRef, triple: String, cpu: String, features: String) {
        self.ref = ref
        self.triple = triple
        self.cpu = cpu
        self.features = features
    }

    /// Sets the module's triple and data layout to this machine's, as the optimiser and code generator expect.
    func configure(_ module: LLVMModuleOwner) {
        LLVMSetTarget(module.ref, triple)
        let layout = LLVMCreateTargetDataLayout(ref)
        LLVMSetModuleDataLayout(module.ref, layout)
        LLVMDisposeTargetData(layout)
    }

    /// Runs the new pass manager's `default<O3>` pipeline (or `passes`) on the module for this machine.
    func optimise(_ module: LLVMModuleOwner, passes: String = "default<O3>") throws(LLVMBackendError) {
        let options = LLVMCreatePassBuilderOptions()
        defer { LLVMDisposePassBuilderOptions(options) }
        LLVMPassBuilderOptionsSetLoopVectorization(options, 1)
        // O3's function passes (the SLP vectorizer's tree search, loop rotation) grow faster than linearly with a
        // function's length: a kernel whose tile IR is long straight-line code (an on-chip attention chain with its
        // masked windows skipped, one body per block of queries: ~40K engine ops at S = 4096) took over 20 minutes.
        // A module that large gets `default<O1>` without SLP instead; the engine ops' element loops stay compiled.
        let large = Self.instructionCount(module, atMost: Self.largeModule) >= Self.largeModule
        let pipeline = large && passes == "default<O3>" ? "default<O1>" : passes
        LLVMPassBuilderOptionsSetSLPVectorization(options, large ? 0 : 1)
        LLVMPassBuilderOptionsSetLoopUnrolling(options, 1)
        if let failure = consumeLLVMError(LLVMRunPasses(module.ref, pipeline, ref, options)) {
            throw LLVMBackendError([DiagnosticCatalogue.llvmError("running the pass pipeline '\(passes)'", failure)])
        }
    }

    /// Modules with this many LLVM instructions or more are optimised at O1 (`optimise`).
    static let largeModule = 100_000

    /// The number of instructions in the module's functions, counted up to `limit`.
    static func instructionCount(_ module: LLVMModuleOwner, atMost limit: Int) -> Int {
        var count = 0
        var function = LLVMGetFirstFunction(module.ref)
        while let current = function, count < limit {
            var block = LLVMGetFirstBasicBlock(current)
            while let basicBlock = block, count < limit {
                var instruction = LLVMGetFirstInstruction(basicBlock)
                while let value = instruction, count < limit {
                    count += 1
                    instruction = LLVMGetNextInstruction(value)
                }
                block = LLVMGetNextBasicBlock(basicBlock)
            }
            function = LLVMGetNextFunction(current)
        }
        return count
    }

    /// Emits the module as a relocatable object file, in memory.
    func emitObject(_ module: LLVMModuleOwner) throws(LLVMBackendError) -> [UInt8] {
        var message: UnsafeMutablePointer<CChar>?
        var buffer: LLVMMemoryBufferRef?
        if LLVMTargetMachineEmitToMemoryBuffer(ref, module.ref, LLVMObjectFile, &message, &buffer) != 0 {
            throw LLVMBackendError([DiagnosticCatalogue.llvmError("emitting an object file", consumeLLVMMessage(message))])
        }
        guard let buffer else {
            throw LLVMBackendError([DiagnosticCatalogue.llvmError("emitting an object file", "no output buffer")])
        }
        defer { LLVMDisposeMemoryBuffer(buffer) }
        let size = LLVMGetBufferSize(buffer)
        guard size > 0, let start = LLVMGetBufferStart(buffer) else { return [] }
        return start.withMemoryRebound(to: UInt8.self, capacity: size) { Array(UnsafeBufferPointer(start: $0, count: size)) }
    }

    /// Hands the machine to the JIT: returns a target machine builder that owns it; we no longer dispose it.
    func consumeIntoJITBuilder() -> LLVMOrcJITTargetMachineBuilderRef {
        isConsumed = true
        return LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(ref)
    }

    deinit {
        if !isConsumed { LLVMDisposeTargetMachine(ref) }
    }
}
