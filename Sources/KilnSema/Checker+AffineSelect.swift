// Checker+AffineSelect.swift: `affine_select(x, fill, partition:, free:, offset:)`, NKI's gpsimd affine select.

import KilnSource
import KilnSyntax

extension Checker {
    /// `affine_select(x, fill, partition: a, free: b, offset: c)`: `x` a rank-2 numeric tile (K2173); `fill` a
    /// constant number or `inf` / `-inf` (finite for an i32 tile), and `a`, `b` integer literals (K2174); `c` affine
    /// in loop variables and dims. The result is an sbuf tile of x's type: x where `c + a * p + b * f >= 0` (p the
    /// partition, f the free index), else fill. What the call keeps is recorded in `affineSelects`.
    func checkAffineSelect(_ positional: [Expr], _ labelled: [String: Expr], ok: Bool, expr: Expr) -> ValueType? {
        let operand = positional.first.flatMap { checkExpr($0) }
        let fillType = positional.count > 1 ? checkExpr(positional[1]) : nil
        let offset = labelled["offset"].flatMap { boundAffine($0, what: "the offset of 'affine_select'") }
        // The coefficients are typed (as every argument is) before their constant values are read.
        for label in ["partition", "free"] { if let argument = labelled[label] { checkExpr(argument) } }
        guard ok, let operand, positional.count == 2 else { return nil }
        guard operand.isTile, operand.rank == 2, operand.dtype != .bool else {
            report(DiagnosticCatalogue.affineSelectOperand(found: operand.description, at: positional[0].span))
            return nil
        }
        var steps: [Int] = []
        for label in ["partition", "free"] {
            guard let argument = labelled[label] else { steps.append(0); continue }
            guard let value = constantNumber(argument), value == value.rounded(), abs(value) < 2_147_483_648.0 else {
                report(DiagnosticCatalogue.affineSelectConstant("'\(label):' coefficient",
                                                                found: "write an integer literal, found '\(text(argument.span))'",
                                                                at: argument.span))
                return nil
            }
            steps.append(Int(value))
        }
        guard let fill = fillValue(positional[1]), fill.isFinite || operand.dtype.isFloat else {
            let found = fillType.map { "a \($0.description) value" } ?? "this expression"
            report(DiagnosticCatalogue.affineSelectConstant("fill", found: "write a constant number"
                + (operand.dtype.isFloat ? " or -inf" : " (finite, for an i32 tile)") + ", found \(found) '\(text(positional[1].span))'",
                at: positional[1].span))
            return nil
        }
        if labelled["offset"] != nil && offset == nil { return nil }
        affineSelects[expr.id] = AffineSelectCall(partition: steps[0], free: steps[1], fill: Double(Float(fill)),
                                                  offset: labelled["offset"]?.id, offsetAffine: offset ?? AffineExpr(constant: 0))
        return operand.with(space: .sbuf)
    }

    /// A constant number, or `inf` / `-inf` where `inf` is the builtin constant.
    private func fillValue(_ expr: Expr) -> Double? {
        if let value = constantNumber(expr) { return value }
        switch expr.kind {
        case .name where resolutions[expr.id] == .infinity: return .infinity
        case .unary(.negate, let operand): return fillValue(operand).map { -$0 }
        default: return nil
        }
    }
}
