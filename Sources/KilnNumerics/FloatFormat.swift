// FloatFormat.swift: the binary float formats Kiln stores, and round-to-nearest-even conversion by integer bit manipulation.

import KilnMachine

/// A binary floating-point storage format: a sign bit, `exponentBits` of biased exponent (bias
/// `2^(exponentBits-1) - 1`) and `mantissaBits` of fraction, with subnormals and signed zeros, in one of two
/// layouts of the all-ones exponent:
/// - IEEE style (`hasInfinities`): it holds infinities (fraction 0) and NaNs (fraction != 0). Kiln's `f32`,
///   `bf16`, `f16`, `f8e5m2`, and `f8e4m3`, the IEEE-style e4m3 of NKI's and ml_dtypes' `float8_e4m3`
///   (largest finite 1.875 * 2^7 = 240).
/// - finite-only ("fn", not `hasInfinities`): it holds finite values, but for the all-ones pattern, the one
///   NaN (with either sign). Kiln's `f8e4m3fn`, ml_dtypes' `float8_e4m3fn` (largest finite 1.75 * 2^8 = 448).
/// - finite without NaN (not `hasInfinities`, not `hasNaN`): every pattern is a finite value. Kiln's `f4e2m1fn`,
///   the MXFP4 element of the OCP Microscaling spec and ml_dtypes' `float4_e2m1fn` (codes 0, 0.5, 1, 1.5, 2, 3,
///   4, 6 and their negatives). Values beyond 6 and infinities saturate to +-6, and a NaN, which it cannot hold,
///   becomes a zero of the opposite sign, as ml_dtypes converts (bit for bit: +NaN -> 0x8, -NaN -> 0x0).
///
/// Conversions are written with integer arithmetic only: they do not depend on the host's
/// half-precision support or on compiler-rt helpers, so every backend gets the same bits.
public struct FloatFormat: Sendable, Hashable {
    public let exponentBits: Int
    public let mantissaBits: Int
    /// Whether the all-ones exponent is reserved for infinities and NaNs (IEEE style); false for the "fn"
    /// layout, whose only NaN is the all-ones pattern and which has no infinities.
    public let hasInfinities: Bool
    /// Whether the format holds a NaN (true but for `f4e2m1fn`, whose every pattern is finite).
    public let hasNaN: Bool

    public init(exponentBits: Int, mantissaBits: Int, hasInfinities: Bool = true, hasNaN: Bool = true) {
        self.exponentBits = exponentBits
        self.mantissaBits = mantissaBits
        self.hasInfinities = hasInfinities
        self.hasNaN = hasInfinities || hasNaN
    }

    public static let f32 = FloatFormat(exponentBits: 8, mantissaBits: 23)
    public static let bf16 = FloatFormat(exponentBits: 8, mantissaBits: 7)
    public static let f16 = FloatFormat(exponentBits: 5, mantissaBits: 10)
    public static let f8e4m3 = FloatFormat(exponentBits: 4, mantissaBits: 3)
    public static let f8e4m3fn = FloatFormat(exponentBits: 4, mantissaBits: 3, hasInfinities: false)
    public static let f8e5m2 = FloatFormat(exponentBits: 5, mantissaBits: 2)
    public static let f4e2m1fn = FloatFormat(exponentBits: 2, mantissaBits: 1, hasInfinities: false, hasNaN: false)

    /// The format of a float element type; nil for `i32` and `bool`.
    public init?(_ type: ElementType) {
        switch type {
        case .f32: self = .f32
        case .bf16: self = .bf16
        case .f16: self = .f16
        case .f8e4m3: self = .f8e4m3
        case .f8e4m3fn: self = .f8e4m3fn
        case .f8e5m2: self = .f8e5m2
        case .f4e2m1fn: self = .f4e2m1fn
        case .i32, .bool: return nil
        }
    }

    /// Total width in bits (1 + exponent + mantissa).
    public var bitWidth: Int { 1 + exponentBits + mantissaBits }
    public var bias: Int { (1 << (exponentBits - 1)) - 1 }
    /// The biased exponent field of infinities and NaNs (all ones).
    var maxExponentField: UInt64 { (1 << UInt64(exponentBits)) - 1 }
    var signBit: UInt64 { 1 << UInt64(exponentBits + mantissaBits) }
    /// The magnitude bits of the largest finite value.
    public var largestFiniteBits: UInt64 {
        let allOnesFraction: UInt64 = (1 << UInt64(mantissaBits)) - 1
        if !hasNaN { return (maxExponentField << UInt64(mantissaBits)) | allOnesFraction }
        return hasInfinities ? ((maxExponentField - 1) << UInt64(mantissaBits)) | allOnesFraction
                             : (maxExponentField << UInt64(mantissaBits)) | (allOnesFraction - 1)
    }
    /// The magnitude bits of the NaN every NaN encodes to: the quiet NaN (top fraction bit) of the IEEE layout,
    /// the all-ones pattern of the "fn" layout; zero in a format without NaN (whose encoding of a NaN also flips
    /// the sign, `encode`).
    public var nanBits: UInt64 {
        if !hasNaN { return 0 }
        return hasInfinities ? (maxExponentField << UInt64(mantissaBits)) | (1 << UInt64(mantissaBits - 1))
                             : (maxExponentField << UInt64(mantissaBits)) | ((1 << UInt64(mantissaBits)) - 1)
    }
    /// The magnitude bits a value beyond the largest finite rounds to: infinity, NaN in the "fn" layout, the
    /// largest finite (saturation) in a format without NaN.
    public var overflowBits: UInt64 {
        hasInfinities ? maxExponentField << UInt64(mantissaBits) : hasNaN ? nanBits : largestFiniteBits
    }

    /// The largest finite value (240 for f8e4m3, 448 for f8e4m3fn, 57344 for f8e5m2, 65504 for f16, 6 for
    /// f4e2m1fn).
    public var largestFinite: Double { decode(largestFiniteBits) }

    /// Encodes `value` in this format, rounding to nearest with ties to even. NaN stays NaN
    /// (quiet, sign kept); values that round beyond the largest finite overflow to infinity, or, in the "fn"
    /// layout, which has none, to NaN with the value's sign (as ml_dtypes converts: 464, the tie between 448
    /// and the NaN pattern's 480, rounds to 448, anything above it to NaN; infinities become NaN too); signed
    /// zeros and subnormals are kept; a format without NaN saturates instead (`f4e2m1fn`: 6.5 -> 6, infinity -> 6)
    /// and encodes a NaN as a zero of the other sign. The result is in the low `bitWidth` bits.
    public func encode(_ value: Double) -> UInt64 {
        let bits = value.bitPattern
        let sign: UInt64 = (bits >> 63) != 0 ? signBit : 0
        let magnitude = bits & 0x7FFF_FFFF_FFFF_FFFF
        let mantissaShift = UInt64(mantissaBits)
        if magnitude >= 0x7FF0_0000_0000_0000 {
            if magnitude == 0x7FF0_0000_0000_0000 { return sign | overflowBits }
            return hasNaN ? sign | nanBits : sign ^ signBit   // no NaN: a zero of the other sign (ml_dtypes)
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
        if exponentField > Int(maxExponentField) { return sign | overflowBits }
        let encoded = (UInt64(exponentField) << mantissaShift) | (rounded - (1 << mantissaShift))
        return sign | (encoded > largestFiniteBits ? overflowBits : encoded)
    }

    /// Decodes the low `bitWidth` bits of `bits` to the exact value they represent.
    public func decode(_ bits: UInt64) -> Double {
        let mantissaShift = UInt64(mantissaBits)
        let negative = bits & signBit != 0
        let exponentField = (bits >> mantissaShift) & maxExponentField
        let fraction = bits & ((1 << mantissaShift) - 1)
        let magnitude: Double
        if hasInfinities && exponentField == maxExponentField {
            magnitude = fraction == 0 ? .infinity : .nan
        } else if !hasInfinities && hasNaN && bits & (signBit - 1) == nanBits {
            magnitude = .nan
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
