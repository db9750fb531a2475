// DiagnosticCatalogue+LLVMBackend.swift: the diagnostics KilnLLVMBackend emits (K5008-K5008) (ids in the ranges DiagnosticCatalogue.swift gives).

import KilnSource

extension DiagnosticCatalogue {
    /// `kiln run|verify|bench --backend llvm`: the kernel did not compile for the llvm backend; `detail` is the
    /// rendered diagnostics of the stage that failed (front end, pipeline, tile IR verifier or LLVM).
    public static func llvmCompileFailed(_ kernel: String, detail: String, at span: SourceSpan) -> Diagnostic {
        make("K5008", "llvm-compile-failed", .error, "kernel '\(kernel)' does not compile for the llvm backend:\n\(detail)", at: span)
    }
}
