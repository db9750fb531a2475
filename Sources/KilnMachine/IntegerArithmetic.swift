// IntegerArithmetic.swift: i32 `+ - *` as the language defines them (wrapping), once, for the reference and the simulator.

/// The i32 arithmetic operators that can overflow: two's complement, wrapping to 32 bits (Docs/numerics.md,
/// "Rounding": i32 arithmetic), exact for every pair of i32 operands (a product is formed in 64 bits, not in a
/// double, which holds only 53). Values come and go as exact doubles, as the executors hold them. The LLVM backend
/// emits the same operations on integers (`ScalarMathIR.binary`).
public enum IntegerArithmetic: String, CaseIterable, Sendable {
    case add, sub, mul

    /// The operation on two integer-valued doubles, wrapped to i32; nil when an operand is not an integer.
    public func apply(_ a: Double, _ b: Double) -> Double? {
        guard let x = Int64(exactly: a), let y = Int64(exactly: b) else { return nil }
        switch self {
        case .add: return Double(Int32(truncatingIfNeeded: x &+ y))
        case .sub: return Double(Int32(truncatingIfNeeded: x &- y))
        case .mul: return Double(Int32(truncatingIfNeeded: x &* y))
        }
    }

    /// An integer-valued double (a sum of i32 values, say) wrapped to i32; any other value unchanged.
    public static func wrap(_ value: Double) -> Double {
        guard let x = Int64(exactly: value) else { return value }
        return Double(Int32(truncatingIfNeeded: x))
    }
}
