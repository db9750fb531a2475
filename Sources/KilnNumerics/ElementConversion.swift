// ElementConversion.swift: rounding values to an element type, and the bit patterns each type stores.

import KilnMachine

extension ElementType {
    /// The float format of a float type; nil for `i32` and `bool`.
    public var floatFormat: FloatFormat? { FloatFormat(self) }

    /// Converts `value` to this element type and returns it as a Double (which holds every
    /// value of every element type exactly). The rules, shared by every executor:
    /// - float types: round to nearest, ties to even (`FloatFormat.encode`); NaN stays NaN,
    ///   overflow goes to infinity (to NaN in `f8e4m3fn`, which has no infinities; `f4e2m1fn`, which has neither
    ///   infinities nor NaN, saturates to +-6 and takes a NaN to a zero of the other sign, as ml_dtypes does).
    /// - `i32`: truncate toward zero; NaN becomes 0; values beyond the i32 range saturate to
    ///   -2^31 or 2^31 - 1 (infinities too). Never a trap.
    /// - `bool`: true (1) for any nonzero value and for NaN, false (0) for zeros.
    public func convert(_ value: Double) -> Double {
        switch self {
        case .f32: Double(Float(value))   // one hardware RNE rounding, no compiler-rt helper
        case .bf16: FloatFormat.bf16.round(value)
        case .f16: FloatFormat.f16.round(value)
        case .f8e4m3: FloatFormat.f8e4m3.round(value)
        case .f8e4m3fn: FloatFormat.f8e4m3fn.round(value)
        case .f8e5m2: FloatFormat.f8e5m2.round(value)
        case .f4e2m1fn: FloatFormat.f4e2m1fn.round(value)
        case .i32: Self.truncateToInt32(value)
        case .bool: value == 0 ? 0 : 1
        }
    }

    /// Rounds a result computed in f64 as the machine would store it: first to f32 (the engines
    /// compute in fp32), then to this type. For f32 this is one rounding; for the narrow formats
    /// it is the double rounding f64 -> f32 -> narrow that fp32 hardware performs.
    public func storeComputed(_ value: Double) -> Double {
        isFloat ? convert(Double(Float(value))) : convert(value)
    }

    /// The stored bit pattern of `value` (already of this type), in the low `byteSize * 8` bits.
    public func bitPattern(of value: Double) -> UInt64 {
        switch self {
        case .f32: UInt64(Float(value).bitPattern)
        case .bf16: FloatFormat.bf16.encode(value)
        case .f16: FloatFormat.f16.encode(value)
        case .f8e4m3: FloatFormat.f8e4m3.encode(value)
        case .f8e4m3fn: FloatFormat.f8e4m3fn.encode(value)
        case .f8e5m2: FloatFormat.f8e5m2.encode(value)
        case .f4e2m1fn: FloatFormat.f4e2m1fn.encode(value)
        case .i32: UInt64(UInt32(bitPattern: Int32(Self.truncateToInt32(value))))
        case .bool: value == 0 ? 0 : 1
        }
    }

    /// The value stored as `bits` (the low `byteSize * 8` bits are used).
    public func value(fromBits bits: UInt64) -> Double {
        switch self {
        case .f32: Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
        case .bf16: FloatFormat.bf16.decode(bits & 0xFFFF)
        case .f16: FloatFormat.f16.decode(bits & 0xFFFF)
        case .f8e4m3: FloatFormat.f8e4m3.decode(bits & 0xFF)
        case .f8e4m3fn: FloatFormat.f8e4m3fn.decode(bits & 0xFF)
        case .f8e5m2: FloatFormat.f8e5m2.decode(bits & 0xFF)
        case .f4e2m1fn: FloatFormat.f4e2m1fn.decode(bits & 0xF)
        case .i32: Double(Int32(bitPattern: UInt32(truncatingIfNeeded: bits)))
        case .bool: bits & 0xFF == 0 ? 0 : 1
        }
    }

    /// Truncation toward zero with saturation; NaN gives 0.
    static func truncateToInt32(_ value: Double) -> Double {
        if value.isNaN { return 0 }
        if value >= 2_147_483_647 { return 2_147_483_647 }
        if value <= -2_147_483_648 { return -2_147_483_648 }
        return value.rounded(.towardZero)
    }
}
