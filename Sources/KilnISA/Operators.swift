// Operators.swift: the operator and reduction enums every layer shares, from the language down to the bytecode.

import KilnMachine

/// A two-operand elementwise operator: the tensor level's binary ops, the vector engine's ALU, the bytecode's
/// operator byte (`code`, the position in `allCases`: append new cases at the end).
public enum BinaryOperator: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case add, sub, mul, div, max, min, pow, eq, ne, lt, le, gt, ge, and, or
    /// The remainder of a division, the language's `%` (sign of the dividend, as C's fmod / integer `%`).
    case rem
    /// Bitwise operators on i32 (`BitwiseOperation` in KilnMachine defines them).
    case bitwiseAnd = "bitwise_and", bitwiseOr = "bitwise_or", bitwiseXor = "bitwise_xor"
    case shiftLeft = "shift_left", shiftRight = "shift_right"

    public var description: String { rawValue }
    /// Comparisons produce `bool`.
    public var isComparison: Bool { [.eq, .ne, .lt, .le, .gt, .ge].contains(self) }
    /// `and` and `or` take and produce `bool`.
    public var isLogical: Bool { self == .and || self == .or }
    /// a op b == b op a.
    public var isCommutative: Bool {
        [.add, .mul, .max, .min, .eq, .ne, .and, .or, .bitwiseAnd, .bitwiseOr, .bitwiseXor].contains(self)
    }
    /// The bitwise operators, on i32 only.
    public var isBitwise: Bool { [.bitwiseAnd, .bitwiseOr, .bitwiseXor, .shiftLeft, .shiftRight].contains(self) }

    /// The bitwise operation, for the bitwise operators (its one definition is KilnMachine's).
    public var bitwiseOperation: BitwiseOperation? {
        switch self {
        case .bitwiseAnd: .and
        case .bitwiseOr: .or
        case .bitwiseXor: .xor
        case .shiftLeft: .shiftLeft
        case .shiftRight: .shiftRight
        default: nil
        }
    }

    /// A bitwise operator on two i32 values (given as exact doubles); nil for other operators.
    public func bitwise(_ a: Double, _ b: Double) -> Double? { bitwiseOperation?.apply(a, b) }

    /// `add`, `sub` or `mul` of two i32 values (given as exact doubles), wrapped to i32; nil for other operators.
    public func wrappingInteger(_ a: Double, _ b: Double) -> Double? {
        switch self {
        case .add: IntegerArithmetic.add.apply(a, b)
        case .sub: IntegerArithmetic.sub.apply(a, b)
        case .mul: IntegerArithmetic.mul.apply(a, b)
        default: nil
        }
    }
}

/// A reduction an engine performs along the free axis (`dve.reduce`, `act.activate ... reduce`). The bytecode
/// code is the position in `allCases`.
public enum EngineReduceOp: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case add, max, min
    public var description: String { rawValue }
}

/// The stable one-byte codes of the closed sets the bytecode stores (the position in `allCases`, or in the
/// explicit table for types whose order is not the bytecode's).
public enum StableCode {
    public static func code<T: Equatable>(of value: T, in table: [T]) -> UInt8 {
        UInt8(truncatingIfNeeded: table.firstIndex(of: value) ?? 0)
    }

    public static func value<T>(_ code: UInt8, in table: [T]) -> T? {
        Int(code) < table.count ? table[Int(code)] : nil
    }
}
