// ScaleFormat.swift: E8M0, the shared block scale of the OCP MX formats (ml_dtypes' float8_e8m0fnu), by integer bits.

/// The OCP Microscaling (MX) block scale, E8M0: eight bits of biased exponent, no sign, no mantissa. Code `e` is
/// `2^(e - 127)` for `e` in 0...254 (2^-127 to 2^127) and 255 is the one NaN; there is no zero and no infinity
/// (OCP Microscaling Formats (MX) v1.0, section 5.4; ml_dtypes' `float8_e8m0fnu`).
///
/// Converting a value to E8M0 follows ml_dtypes bit for bit: NaN, infinities, zeros and negative values become
/// the NaN (255); a positive value `m * 2^p` (1 <= m < 2) rounds to `2^p`, or to `2^(p+1)` when `m >= 1.5` (the
/// tie 1.5 goes up: with no mantissa bit there is no even neighbour to prefer); results past 2^127 become the NaN
/// and results below 2^-127 (f32 subnormals included) become the smallest code, 2^-127.
public enum ScaleFormat {
    public static let bias = 127
    /// The one NaN code.
    public static let nanBits: UInt64 = 0xFF
    /// The exponents a code holds, `2^-127` to `2^127`.
    public static let exponentRange = -127...127

    /// The exact value of a code (the low 8 bits of `bits`): `2^(e - 127)`, or NaN for 255.
    public static func decode(_ bits: UInt64) -> Double {
        let code = Int(bits & 0xFF)
        if code == 255 { return .nan }
        return FloatFormat.scale(1, by: code - bias)
    }

    /// The code of `value`, as ml_dtypes converts to `float8_e8m0fnu` (see the type's comment).
    public static func encode(_ value: Double) -> UInt64 {
        guard value > 0 && value.isFinite else { return nanBits }
        let bits = value.bitPattern
        let exponentField = Int(bits >> 52)
        let fraction = bits & 0x000F_FFFF_FFFF_FFFF
        // value = significand * 2^exponent with the significand's top bit at position `top`.
        let significand = exponentField == 0 ? fraction : fraction | (1 << 52)
        let exponent = exponentField == 0 ? -1074 : exponentField - 1075
        let top = 63 - significand.leadingZeroBitCount
        var power = exponent + top
        // m >= 1.5 is the bit below the leading one.
        if top >= 1 && (significand >> UInt64(top - 1)) & 1 == 1 { power += 1 }
        return code(exponent: power)
    }

    /// The code of `2^exponent`: NaN past 2^127, the smallest code (2^-127) below 2^-127.
    public static func code(exponent: Int) -> UInt64 {
        if exponent > exponentRange.upperBound { return nanBits }
        return UInt64(max(exponent, exponentRange.lowerBound) + bias)
    }

    /// Rounds `value` to E8M0 and returns it as a Double.
    public static func round(_ value: Double) -> Double { decode(encode(value)) }
}
