// DiagnosticCatalogue+Sema.swift: the diagnostics KilnSema emits (K2001-K4512) (ids in the ranges DiagnosticCatalogue.swift gives).

import KilnSource

extension DiagnosticCatalogue {
    public static func sliceOutOfBounds(_ what: String, start: Int, size: Int, at span: SourceSpan) -> Diagnostic {
        make("K4512", "run-slice-out-of-bounds", .error,
             "slice of \(what) starts at \(start), outside its size \(size)", at: span)
    }
    public static func undefinedName(_ name: String, at span: SourceSpan) -> Diagnostic {
        make("K2001", "undefined-name", .error, "undefined name '\(name)'", at: span)
    }
    /// `context`: "in this block", "at top level", "in kernel 'k'".
    public static func duplicateName(_ name: String, _ context: String, at span: SourceSpan,
                                     previous: SourceSpan?) -> Diagnostic {
        make("K2002", "duplicate-name", .error, "'\(name)' is already defined \(context)", at: span,
             notes: previous.map { [DiagnosticNote("'\(name)' first defined here", at: $0)] } ?? [])
    }
    public static func unknownDType(_ name: String, at span: SourceSpan) -> Diagnostic {
        make("K2003", "unknown-dtype", .error, "unknown dtype '\(name)'; expected one of \(dtypeNames)", at: span)
    }
    /// `what`: "a function", "a dtype", "a kernel".
    public static func notAValue(_ name: String, _ what: String, hint: String, at span: SourceSpan) -> Diagnostic {
        make("K2004", "not-a-value", .error, "'\(name)' is \(what), not a value; \(hint)", at: span)
    }
    public static func resultNotReadable(_ name: String, at span: SourceSpan, declared: SourceSpan?) -> Diagnostic {
        make("K2005", "result-not-readable", .error,
             "result '\(name)' cannot be read; a kernel result is only written, with store(\(name)[...], tile)",
             at: span, notes: declaredHere(name, declared))
    }
    public static func undefinedFunction(_ name: String, hint: String? = nil, at span: SourceSpan) -> Diagnostic {
        make("K2006", "undefined-function", .error,
             "undefined function '\(name)'" + (hint.map { "; \($0)" } ?? ""), at: span)
    }
    /// `what`: "kernel 'k'", "let 'x'".
    public static func notCallable(_ what: String, reason: String, at span: SourceSpan,
                                   declared: SourceSpan? = nil) -> Diagnostic {
        make("K2007", "not-callable", .error, "\(what) cannot be called; \(reason)", at: span,
             notes: declared.map { [DiagnosticNote("declared here", at: $0)] } ?? [])
    }
    public static func builtinNameClash(_ kind: String, _ name: String, at span: SourceSpan) -> Diagnostic {
        make("K2008", "builtin-name-clash", .error,
             "\(kind) '\(name)' has the name of a builtin function; choose another name", at: span)
    }
    public static var dtypeNames: String { DType.allNames }

    // MARK: types and shapes (K201x-K202x)
    public static func rankTooHigh(_ type: String, rank: Int, limit: Int, tile: Bool, at span: SourceSpan) -> Diagnostic {
        make("K2010", "rank-too-high", .error,
             tile ? "'\(type)' has rank \(rank); tiles have rank 1 to \(limit) (a partition dim and up to \(limit - 1) free dims)"
                  : "'\(type)' has rank \(rank); tensors have rank 1 to \(limit)", at: span)
    }
    public static func invalidDimExpression(found: String, at span: SourceSpan) -> Diagnostic {
        make("K2011", "invalid-dim-expression", .error,
             "a shape dim must be an integer, a dim name, or + - * of them; found \(found)", at: span)
    }
    public static func nonAffineDim(_ text: String, at span: SourceSpan) -> Diagnostic {
        make("K2012", "non-affine-expression", .error,
             "'\(text)' multiplies two non-constant values; dims and indices may only be multiplied by integers",
             at: span)
    }
    public static func integerOverflow(_ text: String, at span: SourceSpan) -> Diagnostic {
        make("K2013", "integer-overflow", .error, "'\(text)' overflows 64-bit integers", at: span)
    }
    public static func nonPositiveDim(_ text: String, value: Int, at span: SourceSpan) -> Diagnostic {
        make("K2014", "non-positive-dim", .error, "dim '\(text)' is \(value); a dim size must be positive", at: span)
    }
    public static func unknownDim(_ name: String, at span: SourceSpan) -> Diagnostic {
        make("K2015", "unknown-dim", .error,
             "unknown dim '\(name)'; declare it in the <...> list or use it in a parameter shape", at: span)
    }
    public static func resultDimNotIntroduced(_ name: String, kind: String, at span: SourceSpan) -> Diagnostic {
        make("K2016", "result-dim-not-introduced", .error,
             "result shape uses dim '\(name)' that no parameter shape or the \(kind)'s <...> list introduces",
             at: span)
    }
    /// `what`: "parameter 'x'" or "result 'out'".
    public static func kernelTensorSpace(_ what: String, space: String, at span: SourceSpan) -> Diagnostic {
        make("K2017", "kernel-tensor-space", .error,
             "kernel \(what) cannot be in \(space); kernel tensors live in hbm (load tiles from them with 'load')",
             at: span)
    }
    public static func functionTypeSpace(_ what: String, space: String, at span: SourceSpan) -> Diagnostic {
        make("K2018", "function-type-space", .error,
             "\(what) of a helper function takes no memory space; remove '\(space)' (helpers work on whole tensors)",
             at: span)
    }
    public static func varNeedsTileSpace(_ name: String, found: String, at span: SourceSpan) -> Diagnostic {
        make("K2019", "var-needs-tile-space", .error,
             "'var \(name)' is a tile buffer and needs an sbuf or psum type, e.g. 'sbuf f32[128, 512]'; found '\(found)'",
             at: span)
    }
    public static func spaceNeedsShape(_ type: String, at span: SourceSpan) -> Diagnostic {
        make("K2020", "space-needs-shape", .error,
             "'\(type)' places a scalar in memory; only tensors and tiles have a memory space", at: span)
    }
    public static func defaultOnTensor(_ name: String, at span: SourceSpan) -> Diagnostic {
        make("K2021", "default-on-tensor", .error,
             "only scalar parameters take a default value; '\(name)' is a tensor", at: span)
    }
    public static func invalidDefault(_ name: String, _ reason: String, at span: SourceSpan) -> Diagnostic {
        make("K2022", "invalid-default", .error, "default value of '\(name)' \(reason)", at: span)
    }
    public static func scalarKernelResult(_ name: String, _ type: String, at span: SourceSpan) -> Diagnostic {
        make("K2023", "scalar-kernel-result", .error,
             "kernel result '\(name)' is the scalar '\(type)'; kernel results are tensors (use '\(type)[1]')",
             at: span)
    }
    public static func dimDefaultNotPositive(_ name: String, value: Int, at span: SourceSpan) -> Diagnostic {
        make("K2025", "dim-default-not-positive", .error,
             "default size of dim '\(name)' is \(value); a dim size must be positive", at: span)
    }
    public static func unbindableFunctionDim(_ name: String, function: String, at span: SourceSpan) -> Diagnostic {
        make("K2026", "unbindable-function-dim", .error,
             "dim '\(name)' of function '\(function)' appears in no parameter shape and has no default, so calls cannot bind it",
             at: span)
    }

    // MARK: operators and builtins (K203x-K205x)
    public static func dtypeMismatch(_ op: String, _ lhs: String, _ rhs: String, hint: String,
                                     at span: SourceSpan) -> Diagnostic {
        make("K2030", "dtype-mismatch", .error, "operands of '\(op)' have different dtypes: \(lhs) and \(rhs); \(hint)",
             at: span)
    }
    /// `axis` counts from the end (-1 is the last axis), as broadcasting aligns shapes on the right.
    public static func broadcastMismatch(_ op: String, _ lhs: String, _ rhs: String, _ a: String, _ b: String,
                                         axis: Int, at span: SourceSpan) -> Diagnostic {
        make("K2031", "broadcast-mismatch", .error,
             "operands of '\(op)' do not broadcast: \(lhs) and \(rhs) (axis \(axis): \(a) != \(b))", at: span)
    }
    /// `requirement`: "numeric", "bool", "float".
    public static func operandDType(_ op: String, _ requirement: String, found: String, hint: String? = nil,
                                    at span: SourceSpan) -> Diagnostic {
        make("K2032", "invalid-operand-dtype", .error,
             "'\(op)' needs \(requirement) operands, found \(found)" + (hint.map { "; \($0)" } ?? ""), at: span)
    }
    public static func tileTensorMix(_ op: String, tile: String, tensor: String, at span: SourceSpan) -> Diagnostic {
        make("K2033", "tile-tensor-mix", .error,
             "'\(op)' mixes the tile \(tile) with the whole tensor \(tensor); load it first with load(...)", at: span)
    }
    public static func matmulInnerMismatch(_ a: String, _ aType: String, _ b: String, _ bType: String,
                                           _ k1: String, _ k2: String, at span: SourceSpan) -> Diagnostic {
        make("K2034", "matmul-inner-mismatch", .error,
             "matmul inner dimensions differ: \(a) is \(aType) but \(b) is \(bType) (\(k1) != \(k2))", at: span)
    }
    public static func matmulBatchMismatch(_ a: String, _ aType: String, _ b: String, _ bType: String, axis: Int,
                                           _ x: String, _ y: String, at span: SourceSpan) -> Diagnostic {
        make("K2088", "matmul-batch-mismatch", .error,
             "matmul batch dims do not broadcast: \(a) is \(aType) but \(b) is \(bType) (result axis \(axis): \(x) != \(y))",
             at: span)
    }
    public static func reductionOverBatchAxis(_ op: String, axis: Int, type: String, at span: SourceSpan) -> Diagnostic {
        make("K2089", "reduction-over-batch-axis", .error,
             "'\(op)' over axis \(axis) of \(type) is not supported: over a batch axis (one before the last two) "
                + "reductions take float tensors, or i32 for sum, max and min", at: span)
    }
    public static func tileRankMismatch(_ op: String, _ a: String, _ b: String, at span: SourceSpan) -> Diagnostic {
        make("K2141", "tile-rank-mismatch", .error,
             "operands of '\(op)' are tiles of different ranks: \(a) and \(b); tiles broadcast only between equal "
                + "ranks (axis 0 is the partition dim of both): write a per-partition value as [P, 1, 1], keeping the "
                + "dims of a reduction", at: span)
    }
    public static func tileReshape(_ source: String, _ target: String, at span: SourceSpan) -> Diagnostic {
        make("K2142", "tile-reshape-partitions", .error,
             "cannot reshape the tile \(source) to \(target): a tile's reshape keeps its partition dim (axis 0: "
                + "the first dims differ) and regroups only its free dims", at: span)
    }
    public static func axisRepeated(_ op: String, axis: Int, at span: SourceSpan) -> Diagnostic {
        make("K2086", "axis-repeated", .error, "axis \(axis) of '\(op)' is listed twice (or as itself from the end)", at: span)
    }
    public static func tileReductionAxes(_ op: String, axes: [Int], type: String, at span: SourceSpan) -> Diagnostic {
        make("K2095", "tile-reduction-axes", .error,
             "'\(op)' of a tile reduces its trailing free axes (the last ones, e.g. axis: (1, 2) of a rank-3 tile); "
                + "axes (\(axes.map(String.init).joined(separator: ", "))) of \(type) are not: reduce them one after the other",
             at: span)
    }
    public static func tileReductionAcrossPartitions(_ op: String, axis: Int, type: String, at span: SourceSpan) -> Diagnostic {
        make("K2138", "tile-reduction-across-partitions", .error,
             "'\(op)' of a tile reduces its last (free) axis; axis \(axis) of \(type) "
                + (axis == 0 ? "runs across partitions, which the vector engine does not combine" : "is not the last")
                + ": transpose the tile with nc_transpose and reduce its free axis, or reduce the whole tensor", at: span)
    }
    public static func tupleNotAllowed(at span: SourceSpan) -> Diagnostic {
        make("K2085", "tuple-not-allowed", .error,
             "a tuple '(a, b)' is only allowed as the axes of a reduction, e.g. 'sum(x, axis: (2, 3))'", at: span)
    }
    public static func rankRequirement(_ op: String, _ requirement: String, what: String, found: String,
                                       at span: SourceSpan) -> Diagnostic {
        make("K2035", "invalid-rank", .error, "'\(op)' needs \(requirement), but \(what) is \(found)", at: span)
    }
    public static func matmulDType(_ op: String, _ aType: String, _ bType: String, at span: SourceSpan) -> Diagnostic {
        make("K2036", "matmul-dtype", .error,
             "'\(op)' operands must have the same float dtype, found \(aType) and \(bType); convert with 'as'",
             at: span)
    }
    public static func unknownMember(_ name: String, at span: SourceSpan) -> Diagnostic {
        make("K2037", "unknown-member", .error, "unknown member '.\(name)'; the only member is '.T' (transpose)",
             at: span)
    }
    public static func wholeTensorOnly(_ op: String, hint: String, at span: SourceSpan) -> Diagnostic {
        make("K2038", "whole-tensor-only", .error, "'\(op)' works on whole tensors, not on tiles; \(hint)", at: span)
    }
    public static func wrongArity(_ callee: String, expected: String, given: Int, at span: SourceSpan) -> Diagnostic {
        make("K2040", "wrong-argument-count", .error,
             "'\(callee)' takes \(expected) but \(given) \(given == 1 ? "was" : "were") given", at: span)
    }
    public static func argumentCount(_ n: Int) -> String { count(n, "argument") }
    public static func unexpectedLabel(_ callee: String, _ label: String, at span: SourceSpan) -> Diagnostic {
        make("K2041", "unexpected-argument-label", .error, "'\(callee)' has no argument labelled '\(label)'", at: span)
    }
    public static func conditionNotAffine(_ text: String, at span: SourceSpan) -> Diagnostic {
        make("K2160", "condition-not-affine", .error,
             "the condition of an 'if' compares integers affine in loop variables and dims, decided at compile time; "
                + "'\(text)' is not one (to choose between values elementwise, use select(cond, a, b))", at: span)
    }
    public static func scanInitialOnTensor(_ callee: String, at span: SourceSpan) -> Diagnostic {
        make("K2135", "scan-initial-on-tensor", .error,
             "'initial:' is the state a tile scan starts from (the carry from the previous chunk); a scan of whole "
                + "tensors starts from 0 along the whole axis, so '\(callee)' of a tensor takes no 'initial:'", at: span)
    }
    public static func tileScanOperand(_ callee: String, role: String, found: String, shape: String, partitions: String,
                                       at span: SourceSpan) -> Diagnostic {
        make("K2136", "tile-scan-operand", .error,
             "\(role) of '\(callee)' on tiles is a tile of the scan's shape \(shape), a per-partition [\(partitions), 1] "
                + "tile or a scalar; found \(found)", at: span)
    }
    public static func tileScanInitial(_ callee: String, found: String, partitions: String, at span: SourceSpan) -> Diagnostic {
        make("K2137", "tile-scan-initial", .error,
             "'initial:' of '\(callee)' is the state each partition starts from: a scalar or a per-partition "
                + "[\(partitions), 1] tile; found \(found)", at: span)
    }
    public static func repeatedLabel(_ callee: String, _ label: String, at span: SourceSpan) -> Diagnostic {
        make("K2133", "repeated-argument-label", .error, "'\(callee)' is given '\(label):' more than once", at: span)
    }
    public static func missingLabel(_ callee: String, position: Int, label: String, at span: SourceSpan) -> Diagnostic {
        make("K2042", "missing-argument-label", .error,
             "argument \(position) of '\(callee)' must be labelled: write '\(label): ...'", at: span)
    }
    public static func wrongArgumentLabel(_ callee: String, position: Int, label: String, expected: String,
                                          at span: SourceSpan) -> Diagnostic {
        make("K2043", "wrong-argument-label", .error,
             "argument \(position) of '\(callee)' is labelled '\(label)' but that parameter is '\(expected)'", at: span)
    }
    public static func axisNotLiteral(_ callee: String, at span: SourceSpan) -> Diagnostic {
        make("K2044", "axis-not-literal", .error,
             "the axis of '\(callee)' must be an integer literal, e.g. 'axis: 1' or 'axis: -1'", at: span)
    }
    public static func iotaOverBatchAxis(axis: Int, rank: Int, at span: SourceSpan) -> Diagnostic {
        make("K2120", "iota-batch-axis", .error,
             "'iota' counts along one of the last two axes of a rank-\(rank) shape, not axis \(axis); make the "
                + "positions of the last two axes and let them broadcast over the batch dims", at: span)
    }
    public static func scanAxis(_ op: String, axis: Int, type: String, at span: SourceSpan) -> Diagnostic {
        make("K2121", "scan-axis", .error,
             "'\(op)' runs along the last axis, not axis \(axis) of \(type); transpose the tensor so that the "
                + "scanned axis is last", at: span)
    }
    public static func scanRank(_ op: String, type: String, at span: SourceSpan) -> Diagnostic {
        make("K2122", "scan-rank", .error,
             "'\(op)' takes a tensor of rank 2 to \(RankLimit.tensor) (rows scanned along the last axis), found \(type); "
                + "write a row vector as [1, N]", at: span)
    }
    public static func argReductionOverBatchAxis(_ op: String, axis: Int, type: String, at span: SourceSpan) -> Diagnostic {
        make("K2123", "arg-reduction-batch-axis", .error,
             "'\(op)' over axis \(axis) of \(type) is not supported: it finds indices along one of the last two axes",
             at: span)
    }
    public static func tileSliceNotLeadingPartitions(_ slice: String, at span: SourceSpan) -> Diagnostic {
        make("K2161", "tile-slice-partition-offset", .error,
             "'\(slice)' starts inside the tile's partitions; a tile's slice keeps its leading partitions (start the "
                + "partition slice at 0), since an engine reads a tile from partition 0", at: span)
    }
    public static func tileSliceNotContiguous(_ slice: String, at span: SourceSpan) -> Diagnostic {
        make("K2162", "tile-slice-not-contiguous", .error,
             "'\(slice)' is not one contiguous run of each partition: after the first free dim not taken whole, take "
                + "every dim whole (or reshape the tile first)", at: span)
    }
    public static func windowAssignOutsideSBUF(_ target: String, found: String, at span: SourceSpan) -> Diagnostic {
        make("K2170", "window-assign-not-sbuf", .error,
             "'\(target)' assigns into a window of \(found); a window is written only in an sbuf 'var' buffer (accumulate "
                + "a whole psum buffer, then add it into the sbuf window)", at: span)
    }
    public static func wholeSliceBound(_ slice: String, loopVariable: String, at span: SourceSpan) -> Diagnostic {
        make("K2125", "whole-slice-bound", .error,
             "'\(slice)' is a whole-tensor slice, whose bounds are constants and dims; it uses the loop variable "
                + "'\(loopVariable)' (a slice moving with a loop is read with load(...))", at: span)
    }
    public static func sliceEndOutOfBounds(end: String, dim: String, value: String = "", at span: SourceSpan) -> Diagnostic {
        make("K2126", "slice-end-out-of-bounds", .error,
             "slice ends at \(end), past the end of a dim of size \(dim)\(value); a whole-tensor slice is never clipped",
             at: span)
    }
    public static func activationFunctionName(_ allowed: String, at span: SourceSpan) -> Diagnostic {
        make("K2130", "activation-function", .error,
             "the first argument of 'activation' names the function the scalar engine applies: one of \(allowed)",
             at: span)
    }
    public static func activationScaleNotConstant(found: String, partitions: String, rank: Int = 2,
                                                  at span: SourceSpan) -> Diagnostic {
        let ones = Array(repeating: "1", count: max(1, rank - 1)).joined(separator: ", ")
        return make("K2131", "activation-scale-not-constant", .error,
                    "'scale:' of 'activation' is a constant number (the engine's immediate) or a per-partition float "
                        + "[\(partitions), \(ones)] tile, found \(found); to scale by another value, multiply the tile first",
                    at: span)
    }
    public static func activationBias(found: String, partitions: String, rank: Int = 2, at span: SourceSpan) -> Diagnostic {
        let ones = Array(repeating: "1", count: max(1, rank - 1)).joined(separator: ", ")
        return make("K2132", "activation-bias", .error,
                    "'bias:' of 'activation' is a scalar or a per-partition [\(partitions), \(ones)] tile, found \(found)",
                    at: span)
    }
    public static func concatMismatch(_ first: String, _ other: String, detail: String, at span: SourceSpan) -> Diagnostic {
        make("K2127", "concat-mismatch", .error, "'concat' cannot join \(first) and \(other): \(detail)", at: span)
    }
    public static func transposePerm(_ perm: String, of type: String, detail: String, at span: SourceSpan) -> Diagnostic {
        make("K2139", "transpose-perm", .error,
             "perm \(perm) is not a permutation of the axes of \(type): \(detail)", at: span)
    }
    public static func reshapeMismatch(_ source: String, _ target: String, detail: String, at span: SourceSpan) -> Diagnostic {
        make("K2140", "reshape-mismatch", .error, "cannot reshape \(source) to \(target): \(detail)", at: span)
    }
    public static func broadcastToMismatch(_ source: String, _ target: String, detail: String, at span: SourceSpan) -> Diagnostic {
        make("K2128", "broadcast-to-mismatch", .error,
             "\(source) does not broadcast to \(target) (\(detail)); aligned on the right, each dim must match or be 1",
             at: span)
    }
    public static func axisOutOfRange(_ axis: Int, rank: Int, at span: SourceSpan) -> Diagnostic {
        let axes = rank == 1 ? "the only axis is 0, or -1"
            : rank == 2 ? "axes are 0 and 1, or -1 and -2" : "axes are 0 to \(rank - 1), or -1 to -\(rank)"
        return make("K2045", "axis-out-of-range", .error,
                    "axis \(axis) is out of range for a rank-\(rank) value (\(axes))", at: span)
    }
    public static func loadSource(found: String, at span: SourceSpan) -> Diagnostic {
        make("K2046", "load-source", .error,
             "'load' reads an hbm tensor (a kernel parameter) or a slice of one, found \(found)", at: span)
    }
    public static func storeDestination(results: [String], at span: SourceSpan) -> Diagnostic {
        let names = results.map { "'\($0)'" }.joined(separator: ", ")
        return make("K2047", "store-destination", .error,
                    "the destination of 'store' must be a kernel result or a slice of one (results: \(names))",
                    at: span)
    }
    public static func storeFromPSUM(_ type: String, at span: SourceSpan) -> Diagnostic {
        make("K2048", "store-from-psum", .error,
             "cannot store the PSUM tile \(type) to HBM; copy it to SBUF first with copy(...)", at: span)
    }
    /// `what`: "the tile to store", "the stationary operand of 'nc_matmul'".
    public static func needsSBUFTile(_ what: String, found: String, hint: String, at span: SourceSpan) -> Diagnostic {
        make("K2049", "needs-sbuf-tile", .error, "\(what) must be an sbuf tile, found \(found); \(hint)", at: span)
    }
    public static func contractionMismatch(_ sType: String, _ mType: String, _ k1: String, _ k2: String,
                                           at span: SourceSpan) -> Diagnostic {
        make("K2051", "nc-matmul-contraction-mismatch", .error,
             "nc_matmul contraction dims differ: stationary is \(sType) but moving is \(mType) (\(k1) != \(k2))",
             at: span)
    }
    /// `which`: "K (contraction)", "M (stationary free dim)", "N (moving free dim)".
    public static func tensorEngineLimit(_ which: String, dim: String, value: Int, limit: Int,
                                        at span: SourceSpan) -> Diagnostic {
        let shown = dim == String(value) ? dim : "\(dim) = \(value)"
        return make("K2052", "tensor-engine-limit", .error,
                    "nc_matmul \(which) is \(shown), above the limit of \(limit)", at: span)
    }
    public static func tileOpInFunction(_ op: String, at span: SourceSpan) -> Diagnostic {
        make("K2053", "tile-op-in-function", .error,
             "'\(op)' is tile-level and can only be used in a kernel; helper functions work on whole tensors",
             at: span)
    }
    public static func noValue(_ callee: String, at span: SourceSpan) -> Diagnostic {
        make("K2054", "no-value", .error, "'\(callee)' produces no value; call it as a statement", at: span)
    }
    public static func unusedResult(_ callee: String, at span: SourceSpan) -> Diagnostic {
        make("K2055", "unused-result", .warning, "the result of '\(callee)' is unused", at: span)
    }
    public static func unusedExpression(at span: SourceSpan) -> Diagnostic {
        make("K2056", "unused-expression", .error,
             "expression is unused; only calls such as store(...) can stand alone as statements", at: span)
    }
    public static func unaryMathDType(_ op: String, found: String, at span: SourceSpan) -> Diagnostic {
        make("K2057", "math-needs-float", .error,
             "'\(op)' needs a float argument, found \(found); convert it with 'as f32'", at: span)
    }

    // MARK: slices (K206x)
    public static func indexCount(_ type: String, rank: Int, given: Int, at span: SourceSpan) -> Diagnostic {
        make("K2060", "index-count", .error,
             "\(type) has rank \(rank) but \(count(given, "index item")) \(given == 1 ? "was" : "were") given; give one per dim",
             at: span)
    }
    public static func notSliceable(_ type: String, reason: String, at span: SourceSpan) -> Diagnostic {
        make("K2061", "not-sliceable", .error, "cannot slice \(type): \(reason)", at: span)
    }
    /// `what`: "slice bound", "loop bound".
    public static func nonAffineIndex(_ what: String, reason: String, at span: SourceSpan) -> Diagnostic {
        make("K2062", "non-affine-index", .error,
             "\(what) must be affine in loop variables, dims and integers; \(reason)", at: span)
    }
    public static func sliceSizeNotStatic(_ size: String, loopVariable: String, at span: SourceSpan) -> Diagnostic {
        make("K2063", "slice-size-not-static", .error,
             "slice size '\(size)' depends on loop variable '\(loopVariable)'; it must simplify to a constant or a dim (e.g. 'i : i + 128')",
             at: span)
    }
    public static func emptySlice(size: String, at span: SourceSpan) -> Diagnostic {
        make("K2064", "empty-slice", .error, "slice size is \(size); a slice must have at least one element", at: span)
    }
    public static func sliceOutOfBounds(start: Int, dim: String, at span: SourceSpan) -> Diagnostic {
        make("K2065", "slice-out-of-bounds", .error, "slice starts at \(start), outside a dim of size \(dim)", at: span)
    }
    public static func indexNotInteger(_ what: String, found: String, at span: SourceSpan) -> Diagnostic {
        make("K2066", "index-not-integer", .error, "\(what) must be an i32 scalar, found \(found)", at: span)
    }

    // MARK: statements (K207x-K208x)
    public static func annotationMismatch(_ name: String, declared: String, found: String, hint: String,
                                          at span: SourceSpan) -> Diagnostic {
        make("K2070", "annotation-mismatch", .error,
             "'\(name)' is annotated \(declared) but its value is \(found)\(hint)", at: span)
    }
    public static func unusedLet(_ name: String, at span: SourceSpan) -> Diagnostic {
        make("K2071", "unused-let", .warning, "'\(name)' is never used; remove it or name it '_\(name)'", at: span)
    }
    public static func assignToImmutable(_ noun: String, _ name: String, at span: SourceSpan,
                                         declared: SourceSpan?) -> Diagnostic {
        make("K2072", "assign-to-immutable", .error,
             "cannot assign to \(noun) '\(name)'; only a 'var' tile buffer can be assigned", at: span,
             notes: declaredHere(name, declared))
    }
    public static func assignMismatch(_ target: String, _ op: String, targetType: String, valueType: String,
                                      hint: String, at span: SourceSpan) -> Diagnostic {
        make("K2073", "assign-type-mismatch", .error,
             "'\(target) \(op)' needs a value of type \(targetType), found \(valueType)\(hint)", at: span)
    }
    public static func assignNeedsTile(_ target: String, found: String, at span: SourceSpan) -> Diagnostic {
        make("K2074", "assign-needs-tile", .error,
             "'\(target)' is a tile buffer but the value is the whole tensor \(found); load it first with load(...)",
             at: span)
    }
    public static func invalidFill(_ name: String, found: String, at span: SourceSpan) -> Diagnostic {
        make("K2075", "invalid-fill", .error,
             "the fill value of 'var \(name)' must be a scalar of a compatible dtype (like 0.0), found \(found)",
             at: span)
    }
    public static func invalidLoopStep(found: String, at span: SourceSpan) -> Diagnostic {
        make("K2076", "invalid-loop-step", .error, "a loop step must be a positive integer literal, found \(found)",
             at: span)
    }
    public static func returnNotLast(_ kind: String, at span: SourceSpan) -> Diagnostic {
        make("K2077", "return-not-last", .error,
             "'return' must be the last statement of the \(kind)'s body, outside any loop", at: span)
    }
    public static func returnCount(_ what: String, expected: Int, given: Int, at span: SourceSpan) -> Diagnostic {
        make("K2078", "return-count", .error,
             "\(what) returns \(count(expected, "value")) but 'return' gives \(given)", at: span)
    }
    public static func returnTypeMismatch(_ what: String, declared: String, found: String, hint: String,
                                          at span: SourceSpan) -> Diagnostic {
        make("K2079", "return-type-mismatch", .error, "\(what) is \(declared) but the returned value is \(found)\(hint)",
             at: span)
    }
    public static func missingReturn(kernel: String, result: String, at span: SourceSpan) -> Diagnostic {
        make("K2080", "missing-return", .error,
             "kernel '\(kernel)' never returns its result '\(result)'; end it with 'return' or write it with 'store'",
             at: span)
    }
    public static func functionMissingReturn(_ name: String, type: String, at span: SourceSpan) -> Diagnostic {
        make("K2081", "function-missing-return", .error,
             "function '\(name)' must end with 'return' of one \(type) value", at: span)
    }
    public static func storeAndReturn(kernel: String, at span: SourceSpan) -> Diagnostic {
        make("K2082", "store-and-return", .error,
             "kernel '\(kernel)' writes results with 'store' and also returns; a tile-form kernel writes every result with 'store'",
             at: span)
    }
    public static func returnTile(_ type: String, at span: SourceSpan) -> Diagnostic {
        make("K2083", "return-tile", .error,
             "cannot return the tile \(type); write it to a result with store(out[...], tile)", at: span)
    }
    public static func tileVarInFunction(_ name: String, at span: SourceSpan) -> Diagnostic {
        make("K2084", "var-in-function", .error,
             "'var \(name)' declares a tile buffer, which only kernels can; helper functions work on whole tensors",
             at: span)
    }

    // MARK: helper functions (K209x)
    public static func recursiveFunction(_ name: String, path: [String], at span: SourceSpan) -> Diagnostic {
        let through = path.isEmpty ? "" : " through " + path.map { "'\($0)'" }.joined(separator: ", ")
        return make("K2090", "recursive-function", .error,
                    "function '\(name)' calls itself\(through); helper functions are inlined and cannot be recursive",
                    at: span)
    }
    public static func callArgumentType(_ callee: String, _ param: String, expected: String, found: String,
                                        at span: SourceSpan) -> Diagnostic {
        make("K2091", "argument-type-mismatch", .error,
             "argument '\(param)' of '\(callee)' must be \(expected), found \(found)", at: span)
    }
    public static func callDimConflict(_ callee: String, dim: String, first: String, second: String,
                                       at span: SourceSpan) -> Diagnostic {
        make("K2092", "dim-conflict", .error,
             "call to '\(callee)' binds dim '\(dim)' to \(first) and also to \(second)", at: span)
    }
    public static func callTileArgument(_ callee: String, _ param: String, found: String, at span: SourceSpan) -> Diagnostic {
        make("K2093", "tile-argument", .error,
             "argument '\(param)' of '\(callee)' is the tile \(found); helper functions take whole tensors and scalars",
             at: span)
    }
    public static func dimNotInferable(_ callee: String, dim: String, at span: SourceSpan) -> Diagnostic {
        make("K2094", "dim-not-inferable", .error,
             "cannot infer dim '\(dim)' of '\(callee)' from the arguments; use it alone in a parameter shape",
             at: span)
    }

    // MARK: attributes (K210x)
    public static func unknownAttribute(_ name: String, at span: SourceSpan) -> Diagnostic {
        make("K2100", "unknown-attribute", .error, "unknown attribute '@\(name)'; the only attribute is '@schedule'",
             at: span)
    }
    public static func unknownAttributeArgument(_ attribute: String, _ name: String, expected: [String],
                                                at span: SourceSpan) -> Diagnostic {
        make("K2101", "unknown-attribute-argument", .error,
             "'@\(attribute)' has no argument '\(name)'; expected \(expected.joined(separator: ", "))", at: span)
    }
    public static func attributeValue(_ name: String, at span: SourceSpan) -> Diagnostic {
        make("K2102", "invalid-attribute-value", .error, "'\(name)' must be a positive integer literal", at: span)
    }
    public static func attributeOnFunction(_ name: String, at span: SourceSpan) -> Diagnostic {
        make("K2103", "attribute-on-function", .error, "'@\(name)' applies to kernels only, not to helper functions",
             at: span)
    }
    public static func duplicateAttribute(_ what: String, at span: SourceSpan) -> Diagnostic {
        make("K2104", "duplicate-attribute", .error, "\(what) is given twice", at: span)
    }
    public static func unlabelledAttributeArgument(_ attribute: String, at span: SourceSpan) -> Diagnostic {
        make("K2105", "unlabelled-attribute-argument", .error,
             "arguments of '@\(attribute)' are labelled, e.g. '@\(attribute)(tile_m: 128)'", at: span)
    }

    // MARK: dim binding (K211x)
    public static func unknownDimFlag(_ name: String, kernel: String, dims: [String]) -> Diagnostic {
        let known = dims.isEmpty ? "it has no dims" : "its dims are " + dims.joined(separator: ", ")
        return make("K2110", "unknown-dim-flag", .error,
                    "--dim \(name)=...: kernel '\(kernel)' has no dim '\(name)' (\(known))", at: .unknown)
    }
    public static func dimFlagNotPositive(_ name: String, value: Int) -> Diagnostic {
        make("K2111", "dim-size-not-positive", .error,
             "--dim \(name)=\(value): a dim size must be positive", at: .unknown)
    }
    public static func unboundDim(_ name: String, kernel: String, at span: SourceSpan) -> Diagnostic {
        make("K2112", "unbound-dim", .error,
             "dim '\(name)' of kernel '\(kernel)' has no size; pass --dim \(name)=SIZE or give it a default in the kernel's <...> list",
             at: span)
    }
    public static func boundDimInvalid(_ expr: String, bindings: String, problem: String, at span: SourceSpan) -> Diagnostic {
        make("K2113", "bound-dim-invalid", .error, "with \(bindings), '\(expr)' \(problem)", at: span)
    }
    public static func inputShapeMismatch(_ input: String, _ message: String, at span: SourceSpan) -> Diagnostic {
        make("K2114", "input-shape-mismatch", .error, "input '\(input)' \(message)", at: span)
    }

    private static func declaredHere(_ name: String, _ span: SourceSpan?) -> [DiagnosticNote] {
        guard let span, span.isKnown else { return [] }
        return [DiagnosticNote("'\(name)' declared here", at: span)]
    }

    /// "1 argument", "2 arguments".
    private static func count(_ n: Int, _ noun: String) -> String { n == 1 ? "1 \(noun)" : "\(n) \(noun)s" }

    // MARK: names (K200x)
    public static func shapeMismatch(_ context: String, expected: String, found: String, at span: SourceSpan) -> Diagnostic {
        make("K2050", "shape-mismatch", .error, "shape mismatch in \(context): expected \(expected), found \(found)",
             at: span)
    }
}
