// FunctionLowering+Reductions.swift: argmax/argmin from tensor ops; a reduction over several axes as a chain of one-axis `reduce` ops.

import KilnMachine
import KilnSema
import KilnSource
import KilnSyntax
import KilnTileIR

extension FunctionLowering {
    /// `argmax(x, axis: k)` / `argmin`: from tensor ops, with NumPy's answer (the first largest element, or the
    /// first NaN): m = max(x) along k; the candidates are where x == m or x is NaN; the result is the smallest
    /// candidate position (`iota` along k, the axis length where not a candidate), an i32 `min` along k.
    func argReduce(_ largest: Bool, _ source: ValueID, axis: Int, _ expr: Expr) throws(LoweringFailed) -> Lowered {
        let result = try irType(checkedType(expr), at: expr.span)
        guard let tensor = valueTypes[source].flatMap({ $0.tensorType ?? $0.hbmType }) else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span))
        }
        let full = IRType.tensor(tensor), flags = IRType.tensor(TensorType(.bool, tensor.shape))
        let positions = IRType.tensor(TensorType(.i32, tensor.shape))
        var kept = tensor.shape
        kept[axis] = 1
        let extreme = value(.reduce(largest ? .max : .min, source, axis: axis), .tensor(TensorType(tensor.element, kept)), at: expr.span)
        let stretched = value(.broadcast(extreme), full, at: expr.span)
        var candidate = value(.binary(.eq, source, stretched), flags, at: expr.span)
        if tensor.element.isFloat {
            let isNaN = value(.binary(.ne, source, source), flags, at: expr.span)
            candidate = value(.binary(.or, candidate, isNaN), flags, at: expr.span)
        }
        let index = value(.iota(axis: axis), positions, at: expr.span)
        let beyond = value(.constant(Double(tensor.shape[axis])), positions, at: expr.span)
        let picked = value(.select(candidate, index, beyond), positions, at: expr.span)
        return .value(value(.reduce(.min, picked, axis: axis), result, at: expr.span), result)
    }

    /// `sum(x, axis: (j, k))`: one `reduce` per axis, last axis first. Narrow floats reduce in f32 and round once
    /// at the end; a mean is the sums divided once by the number of elements (Docs/numerics.md, "Reduction
    /// order"), for i32 truncating, as the reference's mean does, so it is not divided once per axis.
    func multiAxisReduce(_ kind: ReduceKind, _ source: ValueID, axes: [Int], _ expr: Expr) throws(LoweringFailed) -> Lowered {
        let result = try irType(checkedType(expr), at: expr.span)
        guard let element = result.element, var shape = valueTypes[source].flatMap({ ($0.tensorType ?? $0.hbmType)?.shape })
        else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
        let wide: ElementType = element.isFloat ? .f32 : element
        var current = source
        if valueTypes[source]?.element != wide { current = value(.cast(current), .tensor(TensorType(wide, shape)), at: expr.span) }
        let step: ReduceKind = kind == .mean ? .sum : kind
        var count = 1
        for axis in axes.sorted(by: >) {
            count *= shape[axis]
            shape[axis] = 1
            current = value(.reduce(step, current, axis: axis), .tensor(TensorType(wide, shape)), at: expr.span)
        }
        if kind == .mean {
            let divisor = value(.constant(Double(count)), .tensor(TensorType(wide, shape)), at: expr.span)
            current = value(.binary(.div, current, divisor), .tensor(TensorType(wide, shape)), at: expr.span)
        }
        if wide != element { current = value(.cast(current), result, at: expr.span) }
        return .value(current, result)
    }
}
