// LLVMHandles.swift: Swift owners of LLVM C API handles (context, module, builder), each disposed exactly once.

internal import CLLVM

/// Owns an `LLVMContextRef`. A context made for the JIT belongs to an ORC thread-safe context, which keeps
/// it alive for as long as a module of it lives in the JIT; disposing the owner releases our reference only.
final class LLVMContextOwner {
    let ref: LLVMContextRef
    private let threadSafe: LLVMOrcThreadSafeContextRef?

    /// A plain context (for IR text and object emission).
    init() {
        ref = LLVMContextCreate()
        threadSafe = nil
    }

    /// A context owned by an ORC thread-safe context (for modules handed to the JIT).
    init(threadSafe: Void) {
        let tsc = LLVMOrcCreateNewThreadSafeContext()!
        self.threadSafe = tsc
        ref = LLVMOrcThreadSafeContextGetContext(tsc)
    }

    /// The thread-safe context, for wrapping a module of this context as a ThreadSafeModule.
    var threadSafeContext: LLVMOrcThreadSafeContextRef? { threadSafe }

    deinit {
        if let threadSafe {
            LLVMOrcDisposeThreadSafeContext(threadSafe)
        } else {
            LLVMContextDispose(ref)
        }
    }
}

/// Owns an `LLVMModuleRef` until it is handed to the JIT (`markConsumed`), after which the JIT owns it and
/// this object no longer disposes it. Keeps its context alive.
final class LLVMModuleOwner {
    let context: LLVMContextOwner
    private(set) var ref: LLVMModuleRef
    private(set) var isConsumed = false

    init(name: String, context: LLVMContextOwner) {
        self.context = context
        ref = LLVMModuleCreateWithNameInContext(name, context.ref)
    }

    /// Called when ownership passes to LLVM (a ThreadSafeModule / the JIT): we must not dispose it any more.
    func markConsumed() { isConsumed = true }

    /// The module as textual LLVM IR.
    func printed() -> String {
        guard let text = LLVMPrintModuleToString(ref) else { return "" }
        defer { LLVMDisposeMessage(text) }
        return String(cString: text)
    }

    /// `LLVMVerifyModule`: nil when the module is valid, else the verifier's message.
    func verificationFailure() -> String? {
        var message: UnsafeMutablePointer<CChar>?
        let failed = LLVMVerifyModule(ref, LLVMReturnStatusAction, &message) != 0
        defer { if let message { LLVMDisposeMessage(message) } }
        guard failed else { return nil }
        return message.map { String(cString: $0) } ?? "the LLVM verifier rejected the module"
    }

    deinit {
        if !isConsumed { LLVMDisposeModule(ref) }
    }
}

/// Owns an `LLVMBuilderRef` (an instruction builder).
final class LLVMBuilderOwner {
    let ref: LLVMBuilderRef

    init(context: LLVMContextOwner) {
        ref = LLVMCreateBuilderInContext(context.ref)
    }

    deinit { LLVMDisposeBuilder(ref) }
}

/// Owns an `LLVMDIBuilderRef`; `finalize` must run before the module is verified or emitted.
final class LLVMDebugInfoBuilderOwner {
    let ref: LLVMDIBuilderRef
    private var finalized = false

    init(module: LLVMModuleOwner) {
        ref = LLVMCreateDIBuilder(module.ref)
    }

    func finalize() {
        guard !finalized else { return }
        LLVMDIBuilderFinalize(ref)
        finalized = true
    }

    deinit { LLVMDisposeDIBuilder(ref) }
}

/// Takes an `LLVMErrorRef` (consuming it) and returns its message; nil for success.
func consumeLLVMError(_ error: LLVMErrorRef?) -> String? {
    guard let error else { return nil }
    guard let message = LLVMGetErrorMessage(error) else { return "unknown LLVM error" }
    defer { LLVMDisposeErrorMessage(message) }
    return String(cString: message)
}

/// Takes an LLVM-allocated message (consuming it) and returns it as a Swift string.
func consumeLLVMMessage(_ message: UnsafeMutablePointer<CChar>?) -> String {
    guard let message else { return "" }
    defer { LLVMDisposeMessage(message) }
    return String(cString: message)
}
