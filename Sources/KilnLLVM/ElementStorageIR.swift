// ElementStorageIR.swift: loads and stores with element conversion, written as integer IR (RNE, no compiler-rt helpers).

internal import CLLVM
import KilnMachine
import KilnNumerics

/// Conversions between the in-memory element types and the registers the lowering computes in.
///
/// Algorithm. Narrow floats are converted with integer arithmetic only, so the result does not depend on the
/// host's half-precision support or on compiler-rt / libgcc helpers, and matches `KilnNumerics.FloatFormat`
/// bit for bit:
/// - decode (format -> f32, exact): an all-ones exponent gives infinity or a quiet NaN with the sign (in the
///   "fn" layout, only the all-ones pattern, a quiet NaN); a zero
///   exponent is a subnormal, `fraction * 2^(1 - bias - mantissaBits)` (exact in f32); otherwise the fields
///   are re-biased into an f32 bit pattern.
/// - encode (f32 -> format, round to nearest, ties to even): bf16 shares f32's exponent, so it is the classic
///   `(bits + 0x7FFF + lsb) >> 16`, with NaN mapped to the quiet NaN `sign | 0x7FC0`. For the formats with a
///   narrower exponent (f16, fp8) the f32 significand (implicit bit included) is shifted right by
///   `23 - mantissaBits + max(0, minNormalExponent - exponent)` with round-to-nearest-even on the dropped
///   bits; a carry out of the significand moves to the next binade; results below the smallest normal stay
///   subnormal, values past the largest finite become infinity, NaN becomes `sign | inf | quiet bit`; in the
///   "fn" layout (f8e4m3fn) the all-ones pattern is the one NaN, and values past 448 and infinities become it;
///   f4e2m1fn, which has no NaN, saturates (past 6 and infinities to +-6) and takes a NaN to a zero of the
///   other sign.
///   f32 subnormal inputs are far below half the smallest subnormal of these formats and round to zero.
extension LoweringContext {
    /// Loads element `index` of a buffer of `element`s and converts it to its compute kind.
    func loadElement(_ base: LLVMValueRef, _ element: ElementType, index: LLVMValueRef) -> ComputedValue {
        let storage = types.storage(element)
        let raw = LLVMBuildLoad2(b, storage, elementAddress(base, storage: storage, index: index), "")!
        return decode(raw, element)
    }

    /// Converts `value` to `element` and stores it as element `index` of a buffer.
    func storeElement(_ value: ComputedValue, _ base: LLVMValueRef, _ element: ElementType, index: LLVMValueRef) {
        let storage = types.storage(element)
        LLVMBuildStore(b, encode(value, element), elementAddress(base, storage: storage, index: index))
    }

    /// A stored element (raw storage bits) as a compute value.
    func decode(_ raw: LLVMValueRef, _ element: ElementType) -> ComputedValue {
        switch element {
        case .f32:
            return ComputedValue(ref: raw, kind: .f32)
        case .i32:
            return ComputedValue(ref: LLVMBuildSIToFP(b, raw, types.f64, ""), kind: .f64)
        case .bool:
            return ComputedValue(ref: LLVMBuildICmp(b, LLVMIntNE, raw, int(types.i8, 0), ""), kind: .bool)
        case .bf16:
            let wide = LLVMBuildZExt(b, raw, types.i32, "")
            let bits = LLVMBuildShl(b, wide, int(types.i32, 16), "")
            return ComputedValue(ref: LLVMBuildBitCast(b, bits, types.f32, ""), kind: .f32)
        case .f16, .f8e4m3, .f8e4m3fn, .f8e5m2, .f4e2m1fn:
            guard let format = element.floatFormat else { return ComputedValue(ref: raw, kind: .f32) }
            return ComputedValue(ref: decodeNarrow(raw, format), kind: .f32)
        }
    }

    /// A compute value as the raw storage bits of `element`.
    func encode(_ value: ComputedValue, _ element: ElementType) -> LLVMValueRef {
        switch element {
        case .f32:
            return convert(value, to: .f32).ref
        case .i32:
            return saturatingInt32(convert(value, to: .f64).ref)
        case .bool:
            return LLVMBuildZExt(b, convert(value, to: .bool).ref, types.i8, "")
        case .bf16:
            return encodeBF16(convert(value, to: .f32).ref)
        case .f16, .f8e4m3, .f8e4m3fn, .f8e5m2, .f4e2m1fn:
            guard let format = element.floatFormat else { return convert(value, to: .f32).ref }
            return encodeNarrow(convert(value, to: .f32).ref, format, storage: types.storage(element))
        }
    }

    /// Rounds a computed value to what `element` can hold (so fused expressions round as stored ones do).
    func round(_ value: ComputedValue, to element: ElementType) -> ComputedValue {
        switch element {
        case .f32: return convert(value, to: .f32)
        case .bool: return convert(value, to: .bool)
        case .i32, .bf16, .f16, .f8e4m3, .f8e4m3fn, .f8e5m2, .f4e2m1fn: return decode(encode(value, element), element)
        }
    }

    /// Converts between compute kinds: f32 <-> f64 exactly or with one rounding; to bool, nonzero or NaN is true;
    /// from bool, 1 or 0.
    func convert(_ value: ComputedValue, to kind: ComputeKind) -> ComputedValue {
        if value.kind == kind { return value }
        let ref: LLVMValueRef
        switch (value.kind, kind) {
        case (.f32, .f64): ref = LLVMBuildFPExt(b, value.ref, types.f64, "")
        case (.f64, .f32): ref = LLVMBuildFPTrunc(b, value.ref, types.f32, "")
        case (.bool, _): ref = LLVMBuildUIToFP(b, value.ref, types.type(of: kind), "")
        case (_, .bool):
            ref = LLVMBuildFCmp(b, LLVMRealUNE, value.ref, LLVMConstReal(types.type(of: value.kind), 0), "")
        default: ref = value.ref
        }
        return ComputedValue(ref: ref, kind: kind)
    }

    /// `llvm.fptosi.sat.i32.f64`: truncation toward zero, saturating, NaN to 0 (KilnNumerics' i32 rule).
    private func saturatingInt32(_ value: LLVMValueRef) -> LLVMValueRef {
        callIntrinsic("llvm.fptosi.sat", overloads: [types.i32, types.f64], [value])
    }

    private func encodeBF16(_ value: LLVMValueRef) -> LLVMValueRef {
        let i32 = types.i32
        let bits = LLVMBuildBitCast(b, value, i32, "")!
        let lsb = LLVMBuildAnd(b, LLVMBuildLShr(b, bits, int(i32, 16), ""), int(i32, 1), "")
        let rounded = LLVMBuildLShr(b, LLVMBuildAdd(b, bits, LLVMBuildAdd(b, lsb, int(i32, 0x7FFF), ""), ""), int(i32, 16), "")
        let quietNaN = LLVMBuildOr(b, LLVMBuildLShr(b, bits, int(i32, 16), ""), int(i32, 0x7FC0), "")
        let signedNaN = LLVMBuildAnd(b, quietNaN, int(i32, 0xFFC0), "")
        let isNaN = LLVMBuildFCmp(b, LLVMRealUNO, value, value, "")
        let result = LLVMBuildSelect(b, isNaN, signedNaN, rounded, "")
        return LLVMBuildTrunc(b, result, types.i16, "")
    }

    private func decodeNarrow(_ raw: LLVMValueRef, _ format: FloatFormat) -> LLVMValueRef {
        let i32 = types.i32
        let m = UInt64(format.mantissaBits), e = UInt64(format.exponentBits)
        let bits = LLVMBuildZExt(b, raw, i32, "")!
        let sign = LLVMBuildShl(b, LLVMBuildLShr(b, bits, int(i32, e + m), ""), int(i32, 31), "")!
        let exponentField = LLVMBuildAnd(b, LLVMBuildLShr(b, bits, int(i32, m), ""), int(i32, (1 << e) - 1), "")!
        let fraction = LLVMBuildAnd(b, bits, int(i32, (1 << m) - 1), "")!
        // Normal: re-bias the exponent, widen the fraction.
        let rebias = UInt64(127 - format.bias)
        let normalExponent = LLVMBuildShl(b, LLVMBuildAdd(b, exponentField, int(i32, rebias), ""), int(i32, 23), "")
        let normal = LLVMBuildOr(b, normalExponent, LLVMBuildShl(b, fraction, int(i32, 23 - m), ""), "")!
        // Infinity / NaN: the all-ones exponent (IEEE style), or the one all-ones pattern ("fn" layout).
        let special: LLVMValueRef, isSpecial: LLVMValueRef
        if format.hasInfinities {
            special = LLVMBuildOr(b, int(i32, 0x7F80_0000),
                                  LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, fraction, int(i32, 0), ""),
                                                  int(i32, 0), int(i32, 0x40_0000), ""), "")!
            isSpecial = LLVMBuildICmp(b, LLVMIntEQ, exponentField, int(i32, (1 << e) - 1), "")!
        } else {
            special = int(i32, 0x7FC0_0000)
            let magnitude = LLVMBuildAnd(b, bits, int(i32, (1 << (e + m)) - 1), "")
            isSpecial = LLVMBuildICmp(b, LLVMIntEQ, magnitude, int(i32, format.nanBits), "")!
        }
        // A format without NaN (f4e2m1fn) has no special pattern: every normal field is a value.
        let magnitudeBits = format.hasNaN ? LLVMBuildSelect(b, isSpecial, special, normal, "")! : normal
        let nonSubnormal = LLVMBuildBitCast(b, LLVMBuildOr(b, sign, magnitudeBits, ""), types.f32, "")
        // Subnormal (and zero): fraction * 2^(1 - bias - m), exact in f32, with the sign.
        let scale = Float(sign: .plus, exponent: 1 - format.bias - format.mantissaBits, significand: 1)
        let subnormalMagnitude = LLVMBuildFMul(b, LLVMBuildUIToFP(b, fraction, types.f32, ""), float(scale), "")
        let subnormalBits = LLVMBuildOr(b, LLVMBuildBitCast(b, subnormalMagnitude, i32, ""), sign, "")
        let subnormal = LLVMBuildBitCast(b, subnormalBits, types.f32, "")
        let isSubnormal = LLVMBuildICmp(b, LLVMIntEQ, exponentField, int(i32, 0), "")
        return LLVMBuildSelect(b, isSubnormal, subnormal, nonSubnormal, "")
    }

    private func encodeNarrow(_ value: LLVMValueRef, _ format: FloatFormat, storage: LLVMTypeRef) -> LLVMValueRef {
        let i32 = types.i32
        let m = format.mantissaBits
        let bits = LLVMBuildBitCast(b, value, i32, "")!
        let sign = LLVMBuildShl(b, LLVMBuildLShr(b, bits, int(i32, 31), ""), int(i32, UInt64(format.exponentBits + m)), "")!
        let magnitude = LLVMBuildAnd(b, bits, int(i32, 0x7FFF_FFFF), "")!
        let f32Exponent = LLVMBuildLShr(b, magnitude, int(i32, 23), "")!
        let significand = LLVMBuildOr(b, LLVMBuildAnd(b, magnitude, int(i32, 0x7F_FFFF), ""), int(i32, 0x80_0000), "")!
        // shift = 23 - m + max(0, (minNormal + 127) - f32Exponent), clamped to 31.
        let minNormalField = Int64(1 - format.bias + 127)
        let below = LLVMBuildSub(b, int(i32, UInt64(minNormalField)), f32Exponent, "")!
        let belowPositive = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, below, int(i32, 0), ""), below, int(i32, 0), "")!
        let rawShift = LLVMBuildAdd(b, belowPositive, int(i32, UInt64(23 - m)), "")!
        let shift = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntUGT, rawShift, int(i32, 31), ""), int(i32, 31), rawShift, "")!
        let kept = LLVMBuildLShr(b, significand, shift, "")!
        let one = int(i32, 1)
        let remainder = LLVMBuildAnd(b, significand, LLVMBuildSub(b, LLVMBuildShl(b, one, shift, ""), one, ""), "")!
        let half = LLVMBuildShl(b, one, LLVMBuildSub(b, shift, one, ""), "")!
        let above = LLVMBuildICmp(b, LLVMIntUGT, remainder, half, "")!
        let tie = LLVMBuildAnd(b, LLVMBuildICmp(b, LLVMIntEQ, remainder, half, ""),
                               LLVMBuildTrunc(b, kept, types.i1, ""), "")!
        let roundUp = LLVMBuildZExt(b, LLVMBuildOr(b, above, tie, ""), i32, "")!
        let rounded = LLVMBuildAdd(b, kept, roundUp, "")!
        // Exponent field = max(f32Exponent - 127, minNormal) + bias, +1 if rounding carried into a new binade.
        let carry = LLVMBuildLShr(b, rounded, int(i32, UInt64(m + 1)), "")!
        let significandOut = LLVMBuildLShr(b, rounded, carry, "")!
        let unbiasedField = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, below, int(i32, 0), ""),
                                            int(i32, UInt64(minNormalField)), f32Exponent, "")!
        let field = LLVMBuildAdd(b, LLVMBuildSub(b, unbiasedField, int(i32, UInt64(127 - format.bias)), ""), carry, "")!
        let implicit = int(i32, UInt64(1 << m))
        let normalBits = LLVMBuildOr(b, LLVMBuildShl(b, field, int(i32, UInt64(m)), ""),
                                     LLVMBuildSub(b, significandOut, implicit, ""), "")!
        let isSubnormal = LLVMBuildICmp(b, LLVMIntULT, significandOut, implicit, "")!
        let finiteBits = LLVMBuildSelect(b, isSubnormal, significandOut, normalBits, "")!
        // Past the largest finite: infinity, or NaN in the "fn" layout (`FloatFormat.overflowBits`).
        let overflowBits = int(i32, format.overflowBits)
        let overflows = LLVMBuildICmp(b, LLVMIntUGT, normalBits, int(i32, format.largestFiniteBits), "")!
        let finiteOrOverflow = LLVMBuildSelect(b, LLVMBuildAnd(b, overflows, LLVMBuildNot(b, isSubnormal, ""), ""),
                                               overflowBits, finiteBits, "")!
        // f32 zeros and subnormals round to zero; infinities and NaNs map to the format's.
        let isTiny = LLVMBuildICmp(b, LLVMIntEQ, f32Exponent, int(i32, 0), "")!
        let nonSpecial = LLVMBuildSelect(b, isTiny, int(i32, 0), finiteOrOverflow, "")!
        let isInfinity = LLVMBuildICmp(b, LLVMIntEQ, magnitude, int(i32, 0x7F80_0000), "")!
        let isNaN = LLVMBuildICmp(b, LLVMIntUGT, magnitude, int(i32, 0x7F80_0000), "")!
        let nanBits = int(i32, format.nanBits)
        let special = LLVMBuildSelect(b, isNaN, nanBits, LLVMBuildSelect(b, isInfinity, overflowBits, nonSpecial, ""), "")!
        // A format without NaN encodes a NaN as a zero of the other sign (`FloatFormat.encode`, as ml_dtypes).
        let signOut = format.hasNaN ? sign
            : LLVMBuildSelect(b, isNaN, LLVMBuildXor(b, sign, int(i32, UInt64(1 << (format.exponentBits + m))), ""), sign, "")!
        return LLVMBuildTrunc(b, LLVMBuildOr(b, signOut, special, ""), storage, "")
    }
}
