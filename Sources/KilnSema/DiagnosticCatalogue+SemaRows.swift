// DiagnosticCatalogue+SemaRows.swift: KilnSema's diagnostics of strided slices, topk, scatter_add, indirect loads,
// affine_select, bn_stats and bn_aggr (K2163-K2168, K2171-K2176), fp4 matmul operands (K2180), the MX builtins
// (K2181-K2185) and a matmul accumulated across nested loops (K2186).

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
             "'\(slice)' has a step, which only a whole-tensor slice may have, or a tile's slice on its last item "
                + "(t[:, 0 : D : 2]); load(...), store(...) and the windows of a var written by '=' or '+=' take contiguous "
                + "ranges (load the range, then slice the tile with the step)", at: span)
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
        make("K2175", "bn-stats-free", .error,
             "'bn_stats' reads 1 to \(BatchNormStats.maxFree) elements per partition (the vector engine's bn_stats_fmax); "
                + "this tile has \(free): call it on column chunks of \(BatchNormStats.maxFree) and combine them with bn_aggr",
             at: span)
    }
    public static func bnAggrTuples(_ free: Int, at span: SourceSpan) -> Diagnostic {
        make("K2176", "bn-aggr-tuples", .error,
             "'bn_aggr' reads whole (count, mean, variance * count) tuples: a positive multiple of 3 elements per partition "
                + "(the columns of bn_stats results), found \(free)", at: span)
    }
    public static func matmulFP4(_ op: String, _ type: String, at span: SourceSpan) -> Diagnostic {
        make("K2180", "matmul-fp4", .error,
             "'\(op)' cannot multiply \(type) operands: the tensor engine multiplies fp4 (f4e2m1fn) only block-scaled, in "
                + "its MX mode; convert the operands with 'as' (to bf16 or an fp8 dtype) before the matmul", at: span)
    }
    public static func mxBlocks(_ callee: String, _ size: Int, at span: SourceSpan) -> Diagnostic {
        make("K2181", "mx-blocks", .error,
             "'\(callee)' works on whole MX blocks of \(ElementType.mxBlockSize) elements (along each partition for "
                + "quantize_mx / scale_mx, along the contraction for nc_matmul_mx): the size must be a positive multiple of "
                + "\(ElementType.mxBlockSize), found \(size); pad the data with zeros to a whole block", at: span)
    }
    public static func psumAccumulationAcrossLoops(_ name: String, loops: Int, at span: SourceSpan) -> Diagnostic {
        make("K2186", "psum-accumulate-nested-loops", .error,
             "'\(name) += ...' accumulates a matmul into the psum 'var' across \(loops) nested loops; one loop (over K) "
                + "between the var and its '+=' is supported: make the inner loops one loop (for k in 0 ..< 8 over both) "
                + "or declare the var inside the outer loop", at: span)
    }
    public static func mxBlocksNotConstant(_ callee: String, _ size: String, at span: SourceSpan) -> Diagnostic {
        make("K2185", "mx-blocks-not-constant", .error,
             "'\(callee)' works on whole MX blocks of \(ElementType.mxBlockSize) elements: the size must be a constant "
                + "multiple of \(ElementType.mxBlockSize), found '\(size)'; slice the tile with constant bounds", at: span)
    }
    public static func mxElementDType(_ callee: String, found: String, at span: SourceSpan) -> Diagnostic {
        let names = ElementType.allCases.filter(\.isMXElement).map(\.rawValue).joined(separator: ", ")
        return make("K2182", "mx-element-dtype", .error,
                    "'\(callee)' takes the MX element dtype to quantize to as its second argument (\(names)), found \(found)",
                    at: span)
    }
    public static func mxOperandDType(_ role: String, found: String, at span: SourceSpan) -> Diagnostic {
        let names = ElementType.allCases.filter(\.isMXElement).map(\.rawValue).joined(separator: ", ")
        return make("K2183", "mx-operand-dtype", .error,
                    "the \(role) operand of 'nc_matmul_mx' must be a tile of an MX element dtype (\(names)), found \(found); "
                        + "make it with quantize_mx(t, dtype)", at: span)
    }
    public static func mxScaleShape(_ role: String, expected: String, found: String, at span: SourceSpan) -> Diagnostic {
        make("K2184", "mx-scale-shape", .error,
             "the \(role) operand of 'nc_matmul_mx' holds one scale per block of \(ElementType.mxBlockSize) contraction "
                + "elements and column: it must be \(expected), found \(found); make it with scale_mx(t, dtype) on the "
                + "untransposed data and transpose it like the data", at: span)
    }
    public static func scatterValues(_ found: String, expected: String, at span: SourceSpan) -> Diagnostic {
        make("K2168", "scatter-values", .error,
             "'scatter_add' adds one row of values per index: they must be \(expected) (the indices' shape plus the table's "
                + "row length, in the table's dtype), found \(found)", at: span)
    }
    public static func indirectLoadTable(_ found: String, at span: SourceSpan) -> Diagnostic {
        make("K2171", "indirect-load-table", .error,
             "an indirect load 'load(table[idx, lo : hi])' reads rows of a rank-2 hbm table, found \(found)", at: span)
    }
    public static func indirectLoadIndex(_ found: String, at span: SourceSpan) -> Diagnostic {
        make("K2172", "indirect-load-index", .error,
             "the row index of an indirect load is an sbuf i32 [P, 1] tile (one row per partition), found \(found)",
             at: span)
    }
}

extension DiagnosticCatalogue {
    public static func affineSelectOperand(found: String, at span: SourceSpan) -> Diagnostic {
        make("K2173", "affine-select-operand", .error,
             "'affine_select' selects on a rank-2 numeric sbuf or psum tile [P, F] (the gpsimd engine's partitions and "
                + "free index), found \(found)", at: span)
    }
    public static func affineSelectConstant(_ what: String, found: String, at span: SourceSpan) -> Diagnostic {
        make("K2174", "affine-select-constant", .error,
             "the \(what) of 'affine_select' is an instruction immediate: \(found)", at: span)
    }
}
