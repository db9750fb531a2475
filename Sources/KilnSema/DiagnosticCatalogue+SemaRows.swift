// DiagnosticCatalogue+SemaRows.swift: KilnSema's diagnostics of strided slices, topk and scatter_add (K2163-K2168), bn_stats and bn_aggr (K2171-K2172).

import KilnMachine
import KilnSource

extension DiagnosticCatalogue {
    public static func sliceStep(_ step: String, reason: String, at span: SourceSpan) -> Diagnostic {
        make("K2163", "slice-step", .error,
             "slice step '\(step)' \(reason); a step is a positive integer constant or dim expression (x[:, 0 : W : 2])",
             at: span)
    }
    public static func stridedSliceSize(_ slice: String, extent: String, step: String, at span: SourceSpan) -> Diagnostic {
        make("K2164", "strided-slice-size", .error,
             "the size of '\(slice)' is ceil(\(extent) / \(step)), which is not a dim expression; make the extent a "
                + "multiple of the step as written (declare the dim as '2 * Ho' and slice 0 : 2 * Ho : 2)", at: span)
    }
    public static func stridedSliceNotWhole(_ slice: String, at span: SourceSpan) -> Diagnostic {
        make("K2165", "strided-slice-not-whole", .error,
             "'\(slice)' has a step, which only a whole-tensor slice may have; load(...), store(...) and tile slices "
                + "take contiguous ranges (slice the loaded tile's source as a whole tensor instead)", at: span)
    }
    public static func topkCount(_ callee: String, _ count: String, at span: SourceSpan) -> Diagnostic {
        make("K2166", "topk-count", .error,
             "'\(callee)' takes k as an integer literal from 1 to \(TopK.maxCount) (one max8 instruction finds the 8 largest "
                + "of a row), found '\(count)'", at: span)
    }
    public static func topkRow(_ callee: String, row: Int, k: Int, at span: SourceSpan) -> Diagnostic {
        make("K2167", "topk-row", .error,
             "'\(callee)' searches rows of \(TopK.minRow) to \(TopK.maxRow) elements (and at least k = \(k)); this row has "
                + "\(row)", at: span)
    }
    public static func bnStatsFree(_ free: Int, at span: SourceSpan) -> Diagnostic {
        make("K2171", "bn-stats-free", .error,
             "'bn_stats' reads 1 to \(BatchNormStats.maxFree) elements per partition (the vector engine's bn_stats_fmax); "
                + "this tile has \(free): call it on column chunks of \(BatchNormStats.maxFree) and combine them with bn_aggr",
             at: span)
    }
    public static func bnAggrTuples(_ free: Int, at span: SourceSpan) -> Diagnostic {
        make("K2172", "bn-aggr-tuples", .error,
             "'bn_aggr' reads whole (count, mean, variance * count) tuples: a positive multiple of 3 elements per partition "
                + "(the columns of bn_stats results), found \(free)", at: span)
    }
    public static func scatterValues(_ found: String, expected: String, at span: SourceSpan) -> Diagnostic {
        make("K2168", "scatter-values", .error,
             "'scatter_add' adds one row of values per index: they must be \(expected) (the indices' shape plus the table's "
                + "row length, in the table's dtype), found \(found)", at: span)
    }
}
