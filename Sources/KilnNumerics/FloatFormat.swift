// FloatFormat.swift: the binary float formats Kiln stores, and round-to-nearest-even conversion by integer bit manipulation.

import KilnMachine

/// A binary floating-point storage format in the IEEE style: a sign bit, `exponentBits` of biased
/// exponent (bias `2^(exponentBits-1) - 1`) and `mantissaBits` of fraction, with subnormals, signed
/// zeros, and the all-ones exponent reserved for infinities (fraction 0) and NaNs (fraction != 0).
///
/// All of Kiln's float dtypes are of this kind, including `f8e4m3`, which Kiln defines as the
/// IEEE-style variant with infinities and NaNs (as NKI's `float8_e4m3`), so its largest finite
/// value is 1.875 * 2^7 = 240 (not the 448 of the "fn" variant without infinities).
///
/// Conversions are written with integer arithmetic only: they do not depend on the host's
/// half-precision support or on compiler-rt helpers, so every backend gets the same bits.
public struct FloatFormat: Sendable, Hashable {
    public let exponentBits: Int
    public let mantissaBits: Int

    public init(exponentBits: Int, mantissaBits: Int) {
        self.exponentBits = exponentBits
        self.mantissaBits = mantissaBits
    }

    public static let f32 = FloatFormat(exponentBits: 8, mantissaBits: 23)
    public static let bf16 = FloatFormat(exponentBits: 8, mantissaBits: 7)
    public static let f16 = FloatFormat(exponentBits: 5, mantissaBits: 10)
    public static let f8e4m3 = FloatFormat(exponentBits: 4, mantissaBits: 3)
    public static let f8e5m2 = FloatFormat(exponentBits: 5, mantissaBits: 2)

    /// The format of a float element type; nil for `i32` and `bool`.
    public init?(_ type: ElementType) {
        switch type {
        case .f32: self = .f32
        case .bf16: self = .bf16
        case .f16: self = .f16
        case .f8e4m3: self = .f8e4m3
        case .f8e5m2: self = .f8e5m2
        case .i32, .bool: return nil
        }
    }

    /// Total width in bits (1 + exponent + mantissa).
    public var bitWidth: Int { 1 + exponentBits + mantissaBits }
    public var bias: Int { (1 << (exponentBits - 1)) - 1 }
    /// The biased exponent field of infinities and NaNs (all ones).
    var maxExponentField: UInt64 { (1 << UInt64(exponentBits)) - 1 }
    var signBit: UInt64 { 1 << UInt64(exponentBits + mantissaBits) }

    /// The largest finite value (240 for f8e4m3, 57344 for f8e5m2, 65504 for f16).
    public var largestFinite: Double {
        decode(((maxExponentField - 1) << UInt64(mantissaBits)) | ((1 << UInt64(mantissaBits)) - 1))
    }

    /// Encodes `value` in this format, rounding to nearest with ties to even. NaN stays NaN
    /// (quiet, sign kept); values beyond the largest finite that round up overflow to infinity;
    /// signed zeros and subnormals are kept. The result is in the low `bitWidth` bits.
    public func encode(_ value: Double) -> UInt64 {
        let bits = value.bitPattern
        let sign: UInt64 = (bits >> 63) != 0 ? signBit : 0
        let magnitude = bits & 0x7FFF_FFFF_FFFF_FFFF
        let mantissaShift = UInt64(mantissaBits)
        if magnitude >= 0x7FF0_0000_0000_0000 {
            if magnitude == 0x7FF0_0000_0000_0000 { return sign | (maxExponentField << mantissaShift) }
            return sign | (maxExponentField << mantissaShift) | (1 << (mantissaShift - 1))
        }
        if magnitude == 0 { return sign }
        // value = significand * 2^exponent, with an integer significand of up to 53 bits.
        let doubleExponentField = Int(magnitude >> 52)
        let doubleFraction = magnitude & 0x000F_FFFF_FFFF_FFFF
        let significand = doubleExponentField == 0 ? doubleFraction : doubleFraction | (1 << 52)
        let exponent = doubleExponentField == 0 ? -1074 : doubleExponentField - 1075
        // The value's own binary exponent, floor(log2(value)).
        let valueExponent = exponent + (63 - significand.leadingZeroBitCount)
        // The exponent of one unit in the last place of the target format at this magnitude.
        let minNormalExponent = 1 - bias
        let quantumExponent = max(valueExponent, minNormalExponent) - mantissaBits
        var rounded = Self.shiftRightRoundingToEven(significand, by: quantumExponent - exponent)
        var resultQuantum = quantumExponent
        if rounded >> (mantissaShift + 1) != 0 {   // rounding carried into a new binade
            rounded >>= 1
            resultQuantum += 1
        }
        if rounded == 0 { return sign }
        if rounded < (1 << mantissaShift) { return sign | rounded }   // subnormal
        let exponentField = resultQuantum + mantissaBits + bias
        if exponentField >= Int(maxExponentField) { return sign | (maxExponentField << mantissaShift) }
        return sign | (UInt64(exponentField) << mantissaShift) | (rounded - (1 << mantissaShift))
    }

    /// Decodes the low `bitWidth` bits of `bits` to the exact value they represent.
    public func decode(_ bits: UInt64) -> Double {
        let mantissaShift = UInt64(mantissaBits)
        let negative = bits & signBit != 0
        let exponentField = (bits >> mantissaShift) & maxExponentField
        let fraction = bits & ((1 << mantissaShift) - 1)
        let magnitude: Double
        if exponentField == maxExponentField {
            magnitude = fraction == 0 ? .infinity : .nan
        } else if exponentField == 0 {
            magnitude = Self.scale(fraction, by: 1 - bias - mantissaBits)
        } else {
            magnitude = Self.scale(fraction | (1 << mantissaShift), by: Int(exponentField) - bias - mantissaBits)
        }
        return negative ? -magnitude : magnitude
    }

    /// Rounds `value` to the nearest value of this format (ties to even), returned as a Double.
    public func round(_ value: Double) -> Double { decode(encode(value)) }

    /// `significand * 2^exponent` for a significand below 2^53 and an exponent small enough for
    /// the result to be a normal or subnormal Double, built from bits (exact).
    static func scale(_ significand: UInt64, by exponent: Int) -> Double {
        if significand == 0 { return 0 }
        let topBit = 63 - significand.leadingZeroBitCount
        let valueExponent = exponent + topBit
        if valueExponent >= -1022 {
            let fraction = (significand << UInt64(52 - topBit)) & 0x000F_FFFF_FFFF_FFFF
            return Double(bitPattern: (UInt64(valueExponent + 1023) << 52) | fraction)
        }
        return Double(bitPattern: significand << UInt64(exponent + 1074))   // Double subnormal
    }

    /// `value / 2^shift`, rounded to the nearest integer with ties to even (`shift` may be <= 0).
    static func shiftRightRoundingToEven(_ value: UInt64, by shift: Int) -> UInt64 {
        if shift <= 0 { return value << UInt64(-shift) }
        if shift >= 64 { return 0 }   // value < 2^53, so value / 2^shift < 1/2
        let kept = value >> UInt64(shift)
        let remainder = value & ((1 << UInt64(shift)) - 1)
        let half: UInt64 = 1 << UInt64(shift - 1)
        if remainder > half || (remainder == half && kept & 1 == 1) { return kept + 1 }
        return kept
    }
}
