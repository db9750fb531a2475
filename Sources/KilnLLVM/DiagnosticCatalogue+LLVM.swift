// DiagnosticCatalogue+LLVM.swift: the diagnostics KilnLLVM emits (K5000-K5007) (ids in the ranges DiagnosticCatalogue.swift gives).

import KilnSource

extension DiagnosticCatalogue {
    /// An error LLVM reported (an `LLVMErrorRef` or a failed C API call), with what Kiln was doing.
    public static func llvmError(_ action: String, _ message: String, at span: SourceSpan = .unknown) -> Diagnostic {
        make("K5000", "llvm-error", .error, "LLVM failed while \(action): \(message)", at: span)
    }
    public static func llvmGatherIndexOutOfRange(at span: SourceSpan) -> Diagnostic {
        make("K5009", "llvm-gather-index-out-of-range", .error,
             "a gather read an index outside its table's rows (the kernel stopped; its outputs are not written)", at: span)
    }
    public static func llvmScatterIndexOutOfRange(at span: SourceSpan) -> Diagnostic {
        make("K5010", "llvm-scatter-index-out-of-range", .error,
             "a scatter_add wrote an index outside its table's rows (the kernel stopped; its outputs are not written)",
             at: span)
    }
    /// `LLVMVerifyModule` rejected the module Kiln generated: a bug in the lowering, reported instead of a crash.
    public static func llvmVerifierFailed(_ function: String, _ message: String, at span: SourceSpan = .unknown) -> Diagnostic {
        make("K5001", "llvm-verifier-failed", .error,
             "the LLVM IR generated for '\(function)' is invalid (a bug in Kiln's llvm backend): \(message)", at: span)
    }
    /// No LLVM target for the host triple (or a pinned CPU's target) is available in this LLVM build.
    public static func llvmTargetUnavailable(_ triple: String, _ message: String) -> Diagnostic {
        make("K5002", "llvm-target-unavailable", .error, "no LLVM target for '\(triple)': \(message)", at: .unknown)
    }
    /// The tile IR holds an op or a type this backend cannot lower, with the reason.
    public static func llvmUnsupported(_ what: String, at span: SourceSpan) -> Diagnostic {
        make("K5003", "llvm-unsupported", .error, "the llvm backend cannot lower \(what)", at: span)
    }
    /// The entry function to run or emit could not be chosen.
    public static func llvmEntryNotFound(_ problem: String, functions: [String]) -> Diagnostic {
        let known = functions.isEmpty ? "the module has no functions"
            : "its functions are " + functions.map { "'\($0)'" }.joined(separator: ", ")
        return make("K5004", "llvm-entry-not-found", .error, "\(problem); \(known)", at: .unknown)
    }
    /// An input given to a JIT-compiled kernel does not fit its parameter.
    public static func llvmInputMismatch(_ parameter: String, _ problem: String) -> Diagnostic {
        make("K5005", "llvm-input-mismatch", .error, "input '\(parameter)': \(problem)", at: .unknown)
    }
    /// The JIT could not find a symbol it compiled (should not happen; reported, never a crash).
    public static func llvmSymbolMissing(_ symbol: String, _ message: String) -> Diagnostic {
        make("K5006", "llvm-symbol-missing", .error, "the JIT has no symbol '\(symbol)': \(message)", at: .unknown)
    }
    /// The module to lower failed the tile IR verifier; its diagnostics follow this one.
    public static func llvmInvalidTileIR(errors: Int) -> Diagnostic {
        make("K5007", "llvm-invalid-tile-ir", .error,
             "the tile IR given to the llvm backend has \(errors) verifier error\(errors == 1 ? "" : "s"); nothing was generated",
             at: .unknown)
    }
}
