// Checker+Positions.swift: `iota` (positions), the scans `cumsum` and `scan`, `argmax`/`argmin`, and the axis-literal reader.

import KilnSource
import KilnSyntax

extension Checker {
    /// `iota(shape, axis: k)`: an i32 tensor of `shape` (one dim expression, or a tuple of them: `(S, D)`)
    /// whose element at (i0, ..., in) is i_k; `axis` is an integer literal, negative from the end, the last
    /// by default. An axis before the last two of a rank-3/4 shape (a batch axis) is not supported: make the
    /// positions of the last two axes and let them broadcast over the batch dims.
    func checkIota(_ shapeArgument: Expr, axis: Expr?, expr: Expr) -> ValueType? {
        guard let shape = shapeOperand(shapeArgument) else { return nil }
        var index = shape.count - 1
        if let axis {
            guard let (value, normalized) = axisIndex(axis, of: "iota", rank: shape.count) else { return nil }
            index = normalized
            if index < shape.count - 2 {
                report(DiagnosticCatalogue.iotaOverBatchAxis(axis: value, rank: shape.count, at: axis.span))
                return nil
            }
        }
        reductionAxes[expr.id] = [index]
        if context.kind == .kernel && context.tileForm {
            // In the tile-level form, positions are a tile made on chip: [P, F], the partitions first.
            guard shape.count == 2 else {
                report(DiagnosticCatalogue.rankRequirement("iota", "a shape (P, F) in a tile-level kernel (positions are an "
                                                           + "sbuf i32[P, F] tile there)", what: "its shape",
                                                           found: "'\(text(shapeArgument.span))'", at: shapeArgument.span))
                return nil
            }
            let type = ValueType(.i32, shape, space: .sbuf)
            checkPartition(type, span: shapeArgument.span)
            return type
        }
        return ValueType(.i32, shape, space: .value)
    }
}

extension Checker {
    /// A shape written as an argument (`iota`, `broadcast_to`): one dim expression, or a tuple of them
    /// (`(S, D)`), of rank 1 to `RankLimit.tensor`.
    func shapeOperand(_ shapeArgument: Expr) -> [Dim]? {
        var items = [shapeArgument]
        if case .tuple(let listed) = shapeArgument.kind { items = listed }
        var shape: [Dim] = []
        for item in items {
            guard let dim = resolveDim(item, mode: .known) else { return nil }
            shape.append(dim)
            // A dim used as a value is an i32 (the AST dump and tools see each item typed, `2 * W`'s operands too).
            typeDimExpression(item)
        }
        guard shape.count <= RankLimit.tensor else {
            report(DiagnosticCatalogue.rankTooHigh(text(shapeArgument.span), rank: shape.count, limit: RankLimit.tensor,
                                                   tile: false, at: shapeArgument.span))
            return nil
        }
        return shape
    }

    /// Types a dim expression and each of its operands as an i32 scalar.
    private func typeDimExpression(_ expr: Expr) {
        if expr.id >= 0 && expr.id < types.count { types[expr.id] = .scalar(.i32) }
        expr.forEachChild(typeDimExpression)
    }
}

extension Checker {
    /// `cumsum(x, axis: k)` / `scan(a, b, axis: k)` (already broadcast to `type`): a float tensor of rank 2 or
    /// more, scanned along its last axis (an `axis` given must name it: a literal, negative from the end).
    /// On tiles (`checkTileScan`) it is one `dve.tensor_scan` per partition and may start from `initial:`.
    func checkScan(_ name: String, _ type: ValueType, operands: [ValueType], axis: Expr?,
                   initial: (expr: Expr, type: ValueType)?, expr: Expr) -> ValueType? {
        guard type.dtype.isFloat else {
            report(DiagnosticCatalogue.operandDType(name, "float", found: type.description, hint: "convert with 'as f32'",
                                                    at: expr.span))
            return nil
        }
        if type.isTile {
            guard checkTileScan(name, type, operands: operands, initial: initial, expr: expr) else { return nil }
        } else if let initial {
            report(DiagnosticCatalogue.scanInitialOnTensor(name, at: initial.expr.span))
            return nil
        }
        guard type.rank >= 2 else {
            report(DiagnosticCatalogue.scanRank(name, type: type.description, at: expr.span))
            return nil
        }
        if let axis {
            guard let (value, normalized) = axisIndex(axis, of: name, rank: type.rank) else { return nil }
            if normalized != type.rank - 1 {
                report(DiagnosticCatalogue.scanAxis(name, axis: value, type: type.description, at: axis.span))
                return nil
            }
        }
        reductionAxes[expr.id] = [type.rank - 1]
        return computed(type)
    }
}

extension Checker {
    /// A tile scan: a rank-2 tile `[P, F]` scanned along F in each partition (`dve.tensor_scan`). Each operand is
    /// a tile of that shape, a per-partition `[P, 1]` tile or a scalar (repeated along F), and `initial:` (the
    /// state before the first element, default 0) a scalar or a `[P, 1]` tile.
    func checkTileScan(_ name: String, _ type: ValueType, operands: [ValueType], initial: (expr: Expr, type: ValueType)?,
                       expr: Expr) -> Bool {
        guard type.rank == 2 else {
            report(DiagnosticCatalogue.rankRequirement(name, "rank-2 tiles [P, F]", what: "its tile operands",
                                                       found: type.description, at: expr.span))
            return false
        }
        let column: [Dim] = [type.shape[0], .constant(1)]
        let roles = operands.count == 1 ? ["x"] : ["a", "b"]
        var ok = true
        for (role, operand) in zip(roles, operands) where !operand.isScalar && operand.shape != type.shape && operand.shape != column {
            report(DiagnosticCatalogue.tileScanOperand(name, role: "'\(role)'", found: operand.description,
                                                       shape: type.shapeDescription, partitions: type.shape[0].description,
                                                       at: expr.span))
            ok = false
        }
        if let initial, !(initial.type.dtype.isNumeric && (initial.type.isScalar || (initial.type.isTile && initial.type.shape == column))) {
            report(DiagnosticCatalogue.tileScanInitial(name, found: initial.type.description, partitions: type.shape[0].description,
                                                       at: initial.expr.span))
            ok = false
        }
        return ok
    }
}

extension Checker {
    /// `argmax(x, axis: k)` / `argmin`: a numeric whole tensor; the axis (a literal, default the last; one of the
    /// last two for rank 3/4) is kept with size 1, and the result is `i32`.
    func checkArgReduction(_ name: String, _ type: ValueType, axis: Expr?, expr: Expr) -> ValueType? {
        guard type.dtype.isNumeric else {
            report(DiagnosticCatalogue.operandDType(name, "numeric", found: type.description, at: expr.span))
            return nil
        }
        guard type.isWholeTensor else {
            report(DiagnosticCatalogue.rankRequirement(name, "a whole tensor", what: "its argument", found: type.description,
                                                       at: expr.span))
            return nil
        }
        var index = type.rank - 1
        if let axis {
            guard let (value, normalized) = axisIndex(axis, of: name, rank: type.rank) else { return nil }
            index = normalized
            if index < type.rank - 2 {
                report(DiagnosticCatalogue.argReductionOverBatchAxis(name, axis: value, type: type.description, at: axis.span))
                return nil
            }
        }
        reductionAxes[expr.id] = [index]
        var shape = type.shape
        shape[index] = .constant(1)
        return ValueType(.i32, shape, space: .value)
    }
}

extension Checker {
    /// `topk(x, k)` / `argtopk(x, k)`: a float whole tensor whose last axis (each row) is searched, k an integer literal
    /// from 1 to 8 and at most the row's length, which is 8 to 16,384 elements (`dve.max8` reads one row per
    /// partition; a symbolic length is checked once dims are bound). The last dim becomes k; the values
    /// keep x's dtype, the indices are i32.
    func checkTopK(_ name: String, _ type: ValueType, count: Expr, indices: Bool, expr: Expr) -> ValueType? {
        guard type.dtype.isFloat else {
            report(DiagnosticCatalogue.operandDType(name, "float", found: type.description, hint: "convert with 'as f32'",
                                                    at: expr.span))
            return nil
        }
        guard type.isWholeTensor else {
            report(DiagnosticCatalogue.rankRequirement(name, "a whole tensor", what: "its argument", found: type.description,
                                                       at: expr.span))
            return nil
        }
        guard let k = Builtin.topkCount(count), (1...TopK.maxCount).contains(k) else {
            report(DiagnosticCatalogue.topkCount(name, text(count.span), at: count.span))
            return nil
        }
        if let row = type.shape.last?.constantValue {
            if let problem = limitViolation(StaticLimit(kind: .topkRow(callee: name, k: k), dim: .constant(row), span: expr.span),
                                            value: row) {
                report(problem)
                return nil
            }
        } else if let row = type.shape.last {
            context.limits.append(StaticLimit(kind: .topkRow(callee: name, k: k), dim: row, span: expr.span))
        }
        var shape = type.shape
        shape[shape.count - 1] = .constant(k)
        return ValueType(indices ? .i32 : type.dtype, shape, space: .value)
    }
}

/// The limits of `topk`: one `dve.max8` finds the 8 largest of 8 to 16,384 elements per partition (NKI's `max8`).
public enum TopK {
    public static let maxCount = 8
    public static let minRow = 8
    public static let maxRow = 16384
}

extension Builtin {
    /// The `k` of a `topk` / `argtopk` call: its second argument, an integer literal.
    public static func topkCount(_ argument: Expr) -> Int? {
        if case .integer(let k) = argument.kind { return k }
        return nil
    }
}

extension Checker {
    /// An axis argument: an integer literal (negative from the end) within `rank`. Returns the literal and the
    /// axis it names (non-negative), or nil after reporting K2044 / K2045.
    func axisIndex(_ axis: Expr, of name: String, rank: Int) -> (literal: Int, index: Int)? {
        let literal: Int?
        switch axis.kind {
        case .integer(let value): literal = value
        case .unary(.negate, let inner):
            if case .integer(let value) = inner.kind { literal = 0 &- value } else { literal = nil }
        default: literal = nil
        }
        guard let value = literal else {
            report(DiagnosticCatalogue.axisNotLiteral(name, at: axis.span))
            return nil
        }
        guard value >= -rank && value < rank else {
            report(DiagnosticCatalogue.axisOutOfRange(value, rank: rank, at: axis.span))
            return nil
        }
        return (value, value < 0 ? value + rank : value)
    }
}
