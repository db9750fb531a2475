// Checker+Joins.swift: `concat` (whole tensors joined along an axis), `broadcast_to` (NumPy's stretch), `gather` (rows).

import KilnSource
import KilnSyntax

extension Checker {
    /// `concat(a, b, ..., axis: k)`: two or more whole tensors of one dtype and rank whose dims are equal but
    /// along `axis` (a literal, negative from the end, 0 by default, as NumPy's); the result's `axis` dim is
    /// the sum of theirs. Shape errors name both shapes and the axis that disagrees.
    func checkConcat(_ operands: [ValueType], _ arguments: [Expr], axis: Expr?, expr: Expr) -> ValueType? {
        for (type, argument) in zip(operands, arguments) where !type.isWholeTensor {
            report(DiagnosticCatalogue.rankRequirement("concat", "whole tensors", what: "an argument",
                                                       found: type.description, at: argument.span))
            return nil
        }
        let first = operands[0]
        var index = 0
        if let axis {
            guard let (_, normalized) = axisIndex(axis, of: "concat", rank: first.rank) else { return nil }
            index = normalized
        }
        var joined = first.shape[index].affine
        for (type, argument) in zip(operands, arguments).dropFirst() {
            guard type.dtype == first.dtype else {
                report(DiagnosticCatalogue.concatMismatch(first.description, type.description,
                                                          detail: "their dtypes differ; convert with 'as'", at: argument.span))
                return nil
            }
            guard type.rank == first.rank else {
                report(DiagnosticCatalogue.concatMismatch(first.description, type.description,
                                                          detail: "their ranks differ", at: argument.span))
                return nil
            }
            if let other = type.shape.indices.first(where: { $0 != index && type.shape[$0] != first.shape[$0] }) {
                report(DiagnosticCatalogue.concatMismatch(first.description, type.description,
                    detail: "axis \(other): \(first.shape[other]) != \(type.shape[other]); only axis \(index) may differ",
                    at: argument.span))
                return nil
            }
            guard let sum = joined.adding(type.shape[index].affine) else {
                report(DiagnosticCatalogue.integerOverflow(text(expr.span), at: expr.span))
                return nil
            }
            joined = sum
        }
        reductionAxes[expr.id] = [index]
        var shape = first.shape
        shape[index] = Dim(joined)
        return ValueType(first.dtype, shape, space: .value)
    }

    /// `broadcast_to(x, shape)`: a whole tensor or a scalar stretched to `shape` (dims, as `iota`'s) by NumPy's
    /// rule: aligned on the right, each dim of `x` equals the target's or is 1, and the target may add leading dims.
    func checkBroadcastTo(_ source: ValueType, shape argument: Expr, expr: Expr) -> ValueType? {
        guard let shape = shapeOperand(argument) else { return nil }
        guard !source.isTile else {
            report(DiagnosticCatalogue.rankRequirement("broadcast_to", "a whole tensor or a scalar", what: "its argument",
                                                       found: source.description, at: expr.span))
            return nil
        }
        let target = ValueType(source.dtype, shape, space: .value)
        let lead = shape.count - source.rank
        guard lead >= 0 else {
            report(DiagnosticCatalogue.broadcastToMismatch(source.description, target.description,
                                                           detail: "the target has fewer dims", at: expr.span))
            return nil
        }
        for (axis, dim) in source.shape.enumerated() where !dim.isOne && dim != shape[lead + axis] {
            report(DiagnosticCatalogue.broadcastToMismatch(source.description, target.description,
                detail: "axis \(axis - source.rank): \(dim) != \(shape[lead + axis])", at: expr.span))
            return nil
        }
        return target
    }
}

extension Checker {
    /// `gather(table, indices)`: `table` a whole tensor of rank 2 (`T[V, D]`, any dtype), `indices` a whole i32
    /// tensor of rank 1 to 3; the result is `T[indices..., D]`, row `table[i]` for each index `i` (NumPy's
    /// `take(table, indices, axis=0)`). An index outside `0 ..< V` is a run-time error on every executor.
    func checkGather(_ table: ValueType, _ indices: ValueType, _ arguments: [Expr], expr: Expr,
                     callee: String = "gather") -> ValueType? {
        guard table.isWholeTensor, table.rank == 2 else {
            report(DiagnosticCatalogue.rankRequirement(callee, "a rank-2 whole tensor (a table of rows)", what: "its table",
                                                       found: table.description, at: arguments[0].span))
            return nil
        }
        guard indices.isWholeTensor, indices.rank + 1 <= RankLimit.tensor else {
            report(DiagnosticCatalogue.rankRequirement(callee, "whole-tensor indices of rank 1 to \(RankLimit.tensor - 1)",
                                                       what: "the index tensor", found: indices.description, at: arguments[1].span))
            return nil
        }
        guard indices.dtype == .i32 else {
            report(DiagnosticCatalogue.operandDType(callee, "i32 indices as the second of its", found: indices.description,
                                                    hint: "convert them with 'as i32'", at: arguments[1].span))
            return nil
        }
        return ValueType(table.dtype, indices.shape + [table.shape[1]], space: .value)
    }

    /// `scatter_add(table, indices, values)`: a float rank-2 table, i32 indices as `gather`'s, and values shaped as
    /// what `gather(table, indices)` would give (the indices' shape plus the row length, the table's dtype); the
    /// result is the table's type.
    func checkScatterAdd(_ table: ValueType, _ indices: ValueType, _ values: ValueType, _ arguments: [Expr],
                         expr: Expr) -> ValueType? {
        guard let rows = checkGather(table, indices, arguments, expr: expr, callee: "scatter_add") else { return nil }
        guard table.dtype.isFloat else {
            report(DiagnosticCatalogue.operandDType("scatter_add", "a float table as the first of its", found: table.description,
                                                    hint: "convert it with 'as f32'", at: arguments[0].span))
            return nil
        }
        guard values.isWholeTensor, values.dtype == table.dtype, values.shape == rows.shape else {
            report(DiagnosticCatalogue.scatterValues(values.description, expected: rows.description, at: arguments[2].span))
            return nil
        }
        return ValueType(table.dtype, table.shape, space: .value)
    }
}
