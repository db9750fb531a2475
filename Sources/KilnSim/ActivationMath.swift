// ActivationMath.swift: the scalar engine's functions and the vector engine's operators, one definition each.

import Foundation
import KilnBytecode
import KilnISA
import KilnMachine
import KilnNumerics

/// Function and operator definitions. The functions are `MathFunction.apply` (KilnNumerics: the reference
/// interpreter's definitions, exact-erf gelu, x*sigmoid(x) silu, ...); the operators are defined here.
enum ActivationMath {
    static func apply(_ function: ActivationFunction, _ x: Double) -> Double {
        function.apply(x)
    }

    /// `apply(function, _)` chosen once, for a loop over a tile (the per-element switch is taken out of the loop).
    static func function(_ function: ActivationFunction) -> (Double) -> Double {
        switch function {
        case .identity: { $0 }
        case .exp: { MathFunction.exp.apply($0) }
        case .relu: { MathFunction.relu.apply($0) }
        case .square: { MathFunction.square.apply($0) }
        case .reciprocal: { MathFunction.reciprocal.apply($0) }
        default: { function.apply($0) }
        }
    }

    /// `apply(op, _, _)` chosen once, for a loop over a tile.
    static func binary(_ op: BinaryOperator) -> (Double, Double) -> Double {
        switch op {
        case .add: { $0 + $1 }
        case .sub: { $0 - $1 }
        case .mul: { $0 * $1 }
        case .div: { $0 / $1 }
        default: { apply(op, $0, $1) }
        }
    }

    /// `apply(op, a, b)`, or for i32 operands (`integer`) the language's wrapping `+ - *` (`IntegerArithmetic`).
    static func apply(_ op: BinaryOperator, _ a: Double, _ b: Double, integer: Bool) -> Double {
        integer ? op.wrappingInteger(a, b) ?? apply(op, a, b) : apply(op, a, b)
    }

    /// The vector engine's two-operand operators; comparisons and logic give 1 or 0; `rem` has the sign of
    /// the dividend (C's fmod); integer results are truncated when stored.
    static func apply(_ op: BinaryOperator, _ a: Double, _ b: Double) -> Double {
        switch op {
        case .add: a + b
        case .sub: a - b
        case .mul: a * b
        case .div: a / b
        case .max: a.isNaN || b.isNaN ? .nan : Swift.max(a, b)
        case .min: a.isNaN || b.isNaN ? .nan : Swift.min(a, b)
        case .pow: Foundation.pow(a, b)
        case .eq: a == b ? 1 : 0
        case .ne: a != b ? 1 : 0
        case .lt: a < b ? 1 : 0
        case .le: a <= b ? 1 : 0
        case .gt: a > b ? 1 : 0
        case .ge: a >= b ? 1 : 0
        case .and: a != 0 && b != 0 ? 1 : 0
        case .or: a != 0 || b != 0 ? 1 : 0
        case .rem: Foundation.fmod(a, b)
        case .bitwiseAnd, .bitwiseOr, .bitwiseXor, .shiftLeft, .shiftRight: op.bitwise(a, b) ?? 0
        }
    }
}
