// Checker+Layout.swift: `transpose(x, perm:)` and `reshape(x, shape)`, whole-tensor builtins that move or regroup elements.

import KilnSource
import KilnSyntax

extension Checker {
    /// `transpose(x, perm: (0, 2, 1, 3))`: NumPy's `transpose(x, perm)` on a whole tensor of rank 1 to 4; result axis i
    /// is `x`'s axis `perm[i]`. The perm is a tuple of integer literals (one for rank 1), negative from the end,
    /// naming every axis once (`transpose-perm`, K2139, names the shape and the perm). The normalised perm is kept
    /// with the call (`reductionAxes`) for the lowering and the interpreter.
    func checkPermute(_ type: ValueType, perm argument: Expr, expr: Expr) -> ValueType? {
        guard type.isWholeTensor else {
            report(DiagnosticCatalogue.rankRequirement("transpose", "a whole tensor", what: "its operand",
                                                       found: type.description, at: expr.span))
            return nil
        }
        var items = [argument]
        if case .tuple(let listed) = argument.kind { items = listed }
        let written = text(argument.span)
        func fail(_ detail: String) -> ValueType? {
            report(DiagnosticCatalogue.transposePerm(written, of: type.description, detail: detail, at: argument.span))
            return nil
        }
        var perm: [Int] = []
        for item in items {
            var literal: Int?
            if case .integer(let value) = item.kind { literal = value }
            if case .unary(.negate, let inner) = item.kind, case .integer(let value) = inner.kind { literal = 0 &- value }
            if item.id >= 0 && item.id < types.count { types[item.id] = .scalar(.i32) }
            guard let value = literal else { return fail("each axis is an integer literal") }
            guard value >= -type.rank && value < type.rank else {
                return fail("axis \(value) is out of range (axes are 0 to \(type.rank - 1), or negative from the end)")
            }
            let axis = value < 0 ? value + type.rank : value
            if perm.contains(axis) { return fail("axis \(axis) is listed twice") }
            perm.append(axis)
        }
        guard perm.count == type.rank else {
            return fail("it names \(perm.count) axes; a rank-\(type.rank) value needs all \(type.rank), each once")
        }
        reductionAxes[expr.id] = perm
        return ValueType(type.dtype, perm.map { type.shape[$0] }, space: .value)
    }

    /// `reshape(x, shape)`: the same row-major elements with a new shape (dims, as `broadcast_to`'s), a view of the
    /// contiguous data. The element counts must be equal, and the reshape must merge adjacent dims or split a dim
    /// (NumPy's reshape of a contiguous array, restricted to what a strided access pattern can address): the two
    /// shapes, without their 1s, are cut into consecutive groups of equal product where one side of each group is a
    /// single dim (or every dim of the group is a constant and the finer boundaries nest). Otherwise
    /// `reshape-mismatch` (K2140) names both shapes.
    func checkReshape(_ source: ValueType, shape argument: Expr, expr: Expr) -> ValueType? {
        guard let shape = shapeOperand(argument) else { return nil }
        guard source.isWholeTensor || source.isTile else {
            report(DiagnosticCatalogue.rankRequirement("reshape", "a whole tensor or a tile", what: "its operand",
                                                       found: source.description, at: expr.span))
            return nil
        }
        // A tile regroups its free dims only (`[P, F1, F2]` to `[P, F1 * F2]`); the result is a new sbuf tile.
        let target = ValueType(source.dtype, shape, space: source.isTile ? .sbuf : .value)
        if source.isTile, shape.first != source.shape.first {
            report(DiagnosticCatalogue.tileReshape(source.description, target.description, at: expr.span))
            return nil
        }
        if source.isTile, shape.count > RankLimit.tile {
            report(DiagnosticCatalogue.rankTooHigh(text(argument.span), rank: shape.count, limit: RankLimit.tile,
                                                   tile: true, at: argument.span))
            return nil
        }
        if let detail = ReshapeGroups.mismatch(source.shape, shape) {
            report(DiagnosticCatalogue.reshapeMismatch(source.description, target.description, detail: detail, at: expr.span))
            return nil
        }
        return target
    }
}

/// The element-count and merge/split rule of `reshape`, on symbolic dims: each dim is a constant factor times a
/// *core* (the affine expression divided by the gcd of its coefficients, e.g. `2 * D` is 2 x `D`); a product is a
/// constant and a multiset of cores, so two products are equal when both parts are.
enum ReshapeGroups {
    struct Product: Equatable {
        var constant = 1
        var cores: [String] = []
        init() {}
        init(_ dim: Dim) {
            if let value = dim.constantValue { constant = value; return }
            let affine = dim.affine
            let divisor = max(1, (Array(affine.terms.values) + [affine.constant]).reduce(0) { gcd($0, abs($1)) })
            constant = divisor
            cores = [AffineExpr(terms: affine.terms.mapValues { $0 / divisor }, constant: affine.constant / divisor).description]
        }
        func times(_ other: Product) -> Product {
            var result = self
            result.constant = constant.multipliedReportingOverflow(by: other.constant).partialValue
            result.cores = (cores + other.cores).sorted()
            return result
        }
        /// True when `other` is this product times something (a multiset subset and a divisor).
        func divides(_ other: Product) -> Bool {
            guard constant != 0, other.constant % constant == 0 else { return false }
            var rest = other.cores
            for core in cores {
                guard let index = rest.firstIndex(of: core) else { return false }
                rest.remove(at: index)
            }
            return true
        }
        /// `64 * B * S`, `B * H`, `24`.
        var description: String {
            ((constant == 1 && !cores.isEmpty ? [] : [String(constant)]) + cores).joined(separator: " * ")
        }
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    /// Why `source` does not reshape to `target`, or nil when it does.
    static func mismatch(_ source: [Dim], _ target: [Dim]) -> String? {
        let total = { (dims: [Dim]) in dims.reduce(Product()) { $0.times(Product($1)) } }
        let (a, b) = (total(source), total(target))
        guard a == b else {
            return "their element counts \(a.description) and \(b.description) differ (dims count by name, whatever sizes they are bound to)"
        }
        let left = source.filter { !$0.isOne }, right = target.filter { !$0.isOne }
        var (i, j) = (0, 0)
        while i < left.count && j < right.count {
            var (groupLeft, groupRight) = ([left[i]], [right[j]])
            var (x, y) = (Product(left[i]), Product(right[j]))
            i += 1
            j += 1
            while x != y {
                if x.divides(y), i < left.count {
                    x = x.times(Product(left[i])); groupLeft.append(left[i]); i += 1
                } else if y.divides(x), j < right.count {
                    y = y.times(Product(right[j])); groupRight.append(right[j]); j += 1
                } else {
                    return "its dims cannot be grouped into merges and splits of adjacent dims"
                }
            }
            if groupLeft.count > 1 && groupRight.count > 1 {
                let constants = (groupLeft + groupRight).compactMap(\.constantValue)
                guard constants.count == groupLeft.count + groupRight.count,
                      nests(groupLeft.map { $0.constantValue! }, groupRight.map { $0.constantValue! }) else {
                    return "[\(groupLeft.map(\.description).joined(separator: ", "))] and "
                        + "[\(groupRight.map(\.description).joined(separator: ", "))] are not a merge or a split of adjacent dims"
                }
            }
        }
        return nil
    }

    /// True when the suffix products of both constant shapes, together, form a chain where each divides the next.
    static func nests(_ a: [Int], _ b: [Int]) -> Bool {
        func suffixes(_ s: [Int]) -> [Int] { s.indices.map { s[$0...].reduce(1, *) } }
        let chain = Set(suffixes(a) + suffixes(b) + [1]).sorted()
        return zip(chain, chain.dropFirst()).allSatisfy { $1 % $0 == 0 }
    }
}
