// Canonicalize+Folding.swift: the arithmetic `canonicalize` folds constants with, per element type.

import Foundation
import KilnMachine
import KilnNumerics
import KilnTileIR

/// Evaluates ops on constants as the machine would for the result's element type: f32 math functions as
/// `MathFunction.apply` (the executors' one definition) rounded to f32, other f32 arithmetic in single precision, i32 with wrapping-free integer arithmetic (nil when a result does not fit, or on division by
/// zero), bool as 0/1. Narrower floats (bf16, f16, fp8) compute as f32 does and round the result to their
/// format (RNE, `ElementType.convert`), as the backends compute in f32 and round on the store.
enum ConstantFolding {
    static func unary(_ function: UnaryFunction, _ value: Double, _ type: IRType) -> Double? {
        if let element = type.element, element.isFloat, element != .f32 {
            return unary(function, value, .scalar(.f32)).map(element.convert)
        }
        switch type.element {
        case .f32?:
            // The one definition every executor uses (KilnNumerics' `MathFunction.apply`: f64, then rounded to f32
            // as the reference interpreter stores it).
            if function == .not { return nil }
            return Double(Float(function.apply(Double(Float(value)))))
        case .i32?:
            guard let x = Int32(exactly: value) else { return nil }
            switch function {
            case .neg: return x == .min ? nil : Double(-x)
            case .abs: return x == .min ? nil : Double(Swift.abs(x))
            case .relu: return Double(Swift.max(x, 0))
            case .square:
                let (product, overflow) = x.multipliedReportingOverflow(by: x)
                return overflow ? nil : Double(product)
            case .sign: return Double(x.signum())
            default: return nil
            }
        case .bool?:
            return function == .not ? (value != 0 ? 0 : 1) : nil
        default:
            return nil
        }
    }

    /// `operand` is the operands' type (comparisons produce bool from numeric operands).
    static func binary(_ op: BinaryOperator, _ a: Double, _ b: Double, operand: IRType?, _ type: IRType) -> Double? {
        if let element = operand?.element, element.isFloat, element != .f32 {
            let result = type.element == .bool ? IRType.scalar(.bool) : IRType.scalar(.f32)
            guard let value = binary(op, a, b, operand: .scalar(.f32), result) else { return nil }
            return type.element.map { $0.isFloat ? $0.convert(value) : value } ?? value
        }
        switch operand?.element {
        case .f32?:
            let (x, y) = (Float(a), Float(b))
            if let comparison = compare(op, x, y) { return comparison }
            let result: Float
            switch op {
            case .add: result = x + y
            case .sub: result = x - y
            case .mul: result = x * y
            case .div: result = x / y
            case .max: result = Swift.max(x, y)
            case .min: result = Swift.min(x, y)
            case .pow: result = Foundation.pow(x, y)
            case .rem: result = Foundation.fmod(x, y)
            default: return nil
            }
            return Double(result)
        case .i32?:
            guard let x = Int32(exactly: a), let y = Int32(exactly: b) else { return nil }
            if let comparison = compare(op, x, y) { return comparison }
            let result: (Int32, Bool)
            switch op {
            case .add: result = x.addingReportingOverflow(y)
            case .sub: result = x.subtractingReportingOverflow(y)
            case .mul: result = x.multipliedReportingOverflow(by: y)
            case .div: if y == 0 { return nil } else { result = x.dividedReportingOverflow(by: y) }
            case .rem: if y == 0 { return nil } else { result = x.remainderReportingOverflow(dividingBy: y) }
            case .max: result = (Swift.max(x, y), false)
            case .min: result = (Swift.min(x, y), false)
            case .bitwiseAnd, .bitwiseOr, .bitwiseXor, .shiftLeft, .shiftRight:
                return op.bitwise(Double(x), Double(y))
            default: return nil
            }
            return result.1 ? nil : Double(result.0)
        case .bool?:
            let (x, y) = (a != 0, b != 0)
            switch op {
            case .and: return x && y ? 1 : 0
            case .or: return x || y ? 1 : 0
            case .eq: return x == y ? 1 : 0
            case .ne: return x != y ? 1 : 0
            default: return nil
            }
        default:
            return nil
        }
    }

    private static func compare<T: Comparable>(_ op: BinaryOperator, _ x: T, _ y: T) -> Double? {
        let result: Bool
        switch op {
        case .eq: result = x == y
        case .ne: result = x != y
        case .lt: result = x < y
        case .le: result = x <= y
        case .gt: result = x > y
        case .ge: result = x >= y
        default: return nil
        }
        return result ? 1 : 0
    }

    /// A constant converted to the result's element type (f32 rounds; i32 truncates toward zero and must fit).
    static func cast(_ value: Double, to type: IRType) -> Double? {
        switch type.element {
        case .f32?: return Double(Float(value))
        case .i32?:
            guard value.isFinite, let integer = Int32(exactly: value.rounded(.towardZero)) else { return nil }
            return Double(integer)
        case .bool?: return value != 0 ? 1 : 0
        // A weak scalar's coercion into a bf16/fp8 tensor is a broadcast, never a cast (it stays an f32
        // immediate, Docs/numerics.md), so a cast to a narrow float is a conversion: it rounds.
        case let element?: return element.convert(value)
        default: return nil
        }
    }

    /// A reduction of a splat: `count` equal elements.
    static func reduce(_ kind: ReduceKind, _ value: Double, count: Int, _ type: IRType) -> Double? {
        switch kind {
        case .max, .min: return value
        case .mean: return type.element == .f32 ? value : nil
        case .sum:
            guard type.element == .f32 else { return nil }
            return Double(Float(value) * Float(count))
        }
    }
}
