// AffineCondition.swift: the value of an `if` condition, one definition for the interpreter and lowering.

import KilnSyntax

public enum AffineCondition {
    /// Evaluates a checked `if` condition (comparisons of integers joined by `&&`, `||`, `!`; K2160), given the
    /// value of each integer side of a comparison. `&&` and `||` do not evaluate their right side when the
    /// left decides. Nil for an expression the checker does not accept as a condition.
    public static func evaluate<E: Error>(_ expr: Expr, integer: (Expr) throws(E) -> Int) throws(E) -> Bool? {
        switch expr.kind {
        case .bool(let value):
            return value
        case .unary(.not, let operand):
            return try evaluate(operand, integer: integer).map { !$0 }
        case .binary(.and, let lhs, let rhs):
            guard let left = try evaluate(lhs, integer: integer) else { return nil }
            return left ? try evaluate(rhs, integer: integer) : false
        case .binary(.or, let lhs, let rhs):
            guard let left = try evaluate(lhs, integer: integer) else { return nil }
            return left ? true : try evaluate(rhs, integer: integer)
        case .binary(let op, let lhs, let rhs) where op.isComparison:
            let (a, b) = (try integer(lhs), try integer(rhs))
            switch op {
            case .equal: return a == b
            case .notEqual: return a != b
            case .less: return a < b
            case .lessEqual: return a <= b
            case .greater: return a > b
            default: return a >= b
            }
        default:
            return nil
        }
    }
}
