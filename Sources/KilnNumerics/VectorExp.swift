// VectorExp.swift: e^x eight lanes at a time, for results stored rounded to f32 (the simulator's activation exp).

/// `exp` for the simulator's activation fast path, whose results are rounded to `Float` at once.
///
/// Algorithm: clamp x to [-708, 100] (NaN is kept aside); k = round(4x / ln 2) by the 1.5 * 2^52 trick (round to
/// nearest even without SSE4.1); r = (x - k * ln2hi / 4) - k * ln2lo / 4 with fdlibm's split of ln 2 (k * ln2hi
/// is exact for |k| < 2^20), so |r| <= ln 2 / 8; e^r by its Taylor series to degree 9 in Horner form (truncation
/// error below 2^-56 relative); then the product with 2^(k/4) = 2^m * 2^(j/4) for k = 4m + j, 2^m built from its
/// exponent bits and 2^(j/4) chosen from four constants by the two low bits of k. The result is within about
/// 2 ulp (of f64) of e^x, so its rounding to f32 is that of the exact value except when e^x lies within 2^-51
/// (relative) of a point halfway between two floats: about one value in 2^27, where it may round the other way
/// (1 ulp of f32). The clamp is exact for an f32 result: e^x overflows f32 for x > 88.73 (e^100 does too) and is
/// below half the least f32 subnormal for x < -103.98 (e^-708 is too). NaN gives NaN, +inf +inf, -inf 0.
public enum VectorExp {
    /// `out[i] = Float(e^x[i])` for i in 0..<count. Transparent (inlined where it is called, even without
    /// optimisation), so a module compiled for a wider vector ISA (the simulator's AVX2 / AVX-512 modules) gets its
    /// own copy in that ISA inside its own function, never a shared symbol the linker could hand to other callers.
    @_transparent
    public static func expToFloat(_ x: UnsafePointer<Double>, count: Int, into out: UnsafeMutablePointer<Float>) {
        var index = 0
        while index + 8 <= count {
            let values = UnsafeRawPointer(x + index).loadUnaligned(as: SIMD8<Double>.self)
            UnsafeMutableRawPointer(out + index).storeBytes(of: SIMD8<Float>(exp8(values)), as: SIMD8<Float>.self)
            index += 8
        }
        if index < count {
            var tail = SIMD8<Double>(repeating: 0)
            for lane in 0..<(count - index) { tail[lane] = x[index + lane] }
            let result = SIMD8<Float>(exp8(tail))
            for lane in 0..<(count - index) { out[index + lane] = result[lane] }
        }
    }

    /// e^x in each lane (see the type's comment for the range and the error).
    @_transparent
    public static func exp8(_ x: SIMD8<Double>) -> SIMD8<Double> {
        // Lane masks come from sign bits by integer arithmetic (an arithmetic shift right by 63 spreads the sign
        // over the lane), not from comparisons, which the standard library builds lane by lane for some ISAs.
        let bits = unsafeBitCast(x, to: SIMD8<Int64>.self)
        let nan = (SIMD8(repeating: 0x7FF0_0000_0000_0000) &- (bits & SIMD8(repeating: Int64.max))) &>> 63
        let (low, high) = (SIMD8<Double>(repeating: -708), SIMD8<Double>(repeating: 100))
        let above = unsafeBitCast(high - x, to: SIMD8<Int64>.self) &>> 63   // x > 100 or x = +inf
        let below = unsafeBitCast(x - low, to: SIMD8<Int64>.self) &>> 63    // x < -708 or x = -inf
        let clamped = select(bits: above, high, select(bits: below, low, x))
        let magic = SIMD8<Double>(repeating: 6_755_399_441_055_744)   // 1.5 * 2^52
        let shifted = clamped * SIMD8(repeating: 4 * 1.4426950408889634) + magic
        let k = shifted - magic   // x / (ln 2 / 4), rounded
        let r = (clamped - k * SIMD8(repeating: 6.93147180369123816490e-01 / 4)) - k * SIMD8(repeating: 1.90821492927058770002e-10 / 4)
        // 1/n! for n = 9 down to 0.
        var p = SIMD8<Double>(repeating: 1.0 / 362_880)
        p = p * r + SIMD8(repeating: 1.0 / 40_320)
        p = p * r + SIMD8(repeating: 1.0 / 5_040)
        p = p * r + SIMD8(repeating: 1.0 / 720)
        p = p * r + SIMD8(repeating: 1.0 / 120)
        p = p * r + SIMD8(repeating: 1.0 / 24)
        p = p * r + SIMD8(repeating: 1.0 / 6)
        p = p * r + SIMD8(repeating: 0.5)
        p = p * r + SIMD8(repeating: 1)
        p = p * r + SIMD8(repeating: 1)
        // k = 4m + j: 2^(k/4) = 2^m * 2^(j/4), 2^m from its exponent bits, 2^(j/4) picked by j's two bits.
        let integer = unsafeBitCast(shifted, to: SIMD8<Int64>.self) &- unsafeBitCast(magic, to: SIMD8<Int64>.self)
        let scale = unsafeBitCast(((integer &>> SIMD8(repeating: 2)) &+ SIMD8(repeating: 1023)) &<< SIMD8(repeating: 52),
                                  to: SIMD8<Double>.self)
        // Lane masks from k's two low bits by arithmetic (0 - bit: all ones or all zeros), not by comparisons,
        // which the standard library evaluates lane by lane for a scalar operand.
        let zero = SIMD8<Int64>(repeating: 0), one = SIMD8<Int64>(repeating: 1)
        let odd = zero &- (integer & one), upper = zero &- ((integer &>> one) & one)
        let quarter = select(bits: odd, SIMD8(repeating: 1.1892071150027210667), SIMD8(repeating: 1))   // 2^(1/4), 2^0
        let half = select(bits: odd, SIMD8(repeating: 1.6817928305074290861), SIMD8(repeating: 1.4142135623730950488))   // 2^(3/4), 2^(2/4)
        return select(bits: nan, x, p * select(bits: upper, half, quarter) * scale)
    }

    /// `a` in the lanes where `bits` is all ones, `b` where it is all zeros, as bit operations on the lanes (the
    /// standard library's `replacing(with:where:)` compiles to a loop over the lanes for some ISAs).
    @_transparent
    public static func select(bits: SIMD8<Int64>, _ a: SIMD8<Double>, _ b: SIMD8<Double>) -> SIMD8<Double> {
        let chosen = (unsafeBitCast(a, to: SIMD8<Int64>.self) & bits) | (unsafeBitCast(b, to: SIMD8<Int64>.self) & ~bits)
        return unsafeBitCast(chosen, to: SIMD8<Double>.self)
    }
}
