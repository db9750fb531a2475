// DiagnosticCatalogue+Lowering.swift: the diagnostics KilnLowering emits (K3501-K3506) (ids in the ranges DiagnosticCatalogue.swift gives).

import KilnSource

extension DiagnosticCatalogue {
    /// A construct the checker accepts that lowering cannot express in tile IR yet.
    public static func loweringUnsupported(_ what: String, reason: String, at span: SourceSpan) -> Diagnostic {
        make("K3501", "lowering-unsupported", .error, "cannot lower \(what): \(reason)", at: span)
    }
    /// A loop unrolled to decide control flow with too many iterations, or too many copies with its outer loops.
    public static func loweringUnrollLimit(iterations: Int, copies: Int, limit: Int, copiesLimit: Int,
                                           at span: SourceSpan) -> Diagnostic {
        make("K3507", "lowering-unroll-limit", .error,
             "cannot unroll this loop: its variable decides control flow (an inner loop's trip count or an 'if') or is used "
                + "as a value, so each of its \(iterations) iterations is a copy of the body (the limit is \(limit) per loop and "
                + "\(copiesLimit) copies with the unrolled loops around it; these make \(copies == Int.max ? "too many" : String(copies)))",
             at: span)
    }
    /// A loop whose bounds are not known once dims are bound.
    public static func loweringLoopBounds(_ reason: String, at span: SourceSpan) -> Diagnostic {
        make("K3502", "lowering-loop-bounds", .error, "cannot lower this loop: \(reason)", at: span)
    }
    /// A `+=` into a PSUM accumulator that does not form one accumulation group per loop.
    public static func loweringAccumulation(_ name: String, reason: String, at span: SourceSpan) -> Diagnostic {
        make("K3503", "lowering-accumulation", .error, "cannot lower the accumulation into '\(name)': \(reason)", at: span)
    }
    /// Remainder iterations of a loop that cannot be peeled into straight-line code.
    public static func loweringRemainder(_ reason: String, at span: SourceSpan) -> Diagnostic {
        make("K3504", "lowering-remainder", .error, "cannot lower the remainder tiles of this loop: \(reason)", at: span)
    }
    /// A size or value that overflows once dims are bound.
    public static func loweringOverflow(_ what: String, at span: SourceSpan) -> Diagnostic {
        make("K3505", "lowering-overflow", .error, "\(what) overflows 64-bit integers once dims are bound", at: span)
    }
    /// An expression the checker left without a type (lowering runs only on programs without errors).
    public static func loweringUntyped(at span: SourceSpan) -> Diagnostic {
        make("K3506", "lowering-untyped", .error, "cannot lower an expression the checker did not type; fix the errors reported before",
             at: span)
    }
}
