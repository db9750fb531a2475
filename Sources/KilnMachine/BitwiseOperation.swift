// BitwiseOperation.swift: the i32 bitwise operators' one definition, for the reference, the simulator and folding.

/// The bitwise operators on i32 (two's complement). Shifts move by `b mod 32` bits: the left shift wraps, the right
/// shift is arithmetic (keeps the sign), as NumPy's on int32 for 0 <= b < 32. Values come and go as exact doubles.
public enum BitwiseOperation: String, CaseIterable, Sendable {
    case and, or, xor, shiftLeft, shiftRight

    public func apply(_ a: Int32, _ b: Int32) -> Int32 {
        switch self {
        case .and: a & b
        case .or: a | b
        case .xor: a ^ b
        case .shiftLeft: a << (b & 31)
        case .shiftRight: a >> (b & 31)
        }
    }

    /// The operation on two i32 values held as doubles (truncated toward zero, wrapped to 32 bits).
    public func apply(_ a: Double, _ b: Double) -> Double {
        func bits(_ value: Double) -> Int32 {
            guard value.isFinite else { return 0 }
            return Int32(truncatingIfNeeded: Int64(exactly: value.rounded(.towardZero)) ?? 0)
        }
        return Double(apply(bits(a), bits(b)))
    }
}
