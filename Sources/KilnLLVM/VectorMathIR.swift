// VectorMathIR.swift: exp for f32 written as plain arithmetic IR, so loops that call it vectorise (no libm call).

internal import CLLVM

extension LoweringContext {
    /// e^x in f32, vectorisable.
    ///
    /// Algorithm (Cephes `expf`): x is clamped to [-104, 89] (beyond, the result is 0 or infinity anyway);
    /// n = roundeven(x * log2(e)); r = x - n * ln2 with ln2 split in two constants (0.693359375 exactly plus
    /// -2.12194440e-4) so the reduction is exact enough; e^r on [-ln2/2, ln2/2] is 1 + r + r^2 * P(r) with
    /// Cephes' degree-5 minimax P (about 1 ulp); the result is scaled by 2^n as 2^(n/2) * 2^(n - n/2), each
    /// built from exponent bits, so subnormal results and overflow to infinity come out right. NaN is returned
    /// unchanged.
    func exponential(_ x: LLVMValueRef) -> LLVMValueRef {
        let f32 = types.f32, i32 = types.i32
        let clamped = callIntrinsic("llvm.maxnum", overloads: [f32], [callIntrinsic("llvm.minnum", overloads: [f32], [x, float(89)]),
                                                                      float(-104)])
        let n = callIntrinsic("llvm.roundeven", overloads: [f32], [LLVMBuildFMul(b, clamped, float(1.44269504088896341), "")])
        var r = LLVMBuildFSub(b, clamped, LLVMBuildFMul(b, n, float(0.693359375), ""), "")!
        r = LLVMBuildFSub(b, r, LLVMBuildFMul(b, n, float(-2.12194440e-4), ""), "")!
        let coefficients: [Float] = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1,
                                     5.0000001201e-1]
        var polynomial = float(coefficients[0])
        for coefficient in coefficients.dropFirst() {
            polynomial = callIntrinsic("llvm.fmuladd", overloads: [f32], [polynomial, r, float(coefficient)])
        }
        let square = LLVMBuildFMul(b, r, r, "")!
        let expR = LLVMBuildFAdd(b, callIntrinsic("llvm.fmuladd", overloads: [f32], [polynomial, square, r]), float(1), "")!
        let exponent = LLVMBuildFPToSI(b, n, i32, "")!
        let half = LLVMBuildAShr(b, exponent, int(i32, 1), "")!
        let rest = LLVMBuildSub(b, exponent, half, "")!
        func powerOfTwo(_ k: LLVMValueRef) -> LLVMValueRef {
            LLVMBuildBitCast(b, LLVMBuildShl(b, LLVMBuildAdd(b, k, int(i32, 127), ""), int(i32, 23), ""), f32, "")
        }
        let scaled = LLVMBuildFMul(b, LLVMBuildFMul(b, expR, powerOfTwo(half), ""), powerOfTwo(rest), "")!
        let isNaN = LLVMBuildFCmp(b, LLVMRealUNO, x, x, "")
        return LLVMBuildSelect(b, isNaN, x, scaled, "")
    }
}
