// ScalarMathIR.swift: the elementwise math of the language and the engines, one definition each, as LLVM IR.

internal import CLLVM
import KilnMachine
import KilnTileIR

/// Elementwise functions and operators on compute values, with the definitions of Docs/language.md and
/// `MathFunction.apply` (KilnNumerics) (gelu is the exact erf form 0.5 x (1 + erf(x / sqrt 2)); silu is x * sigmoid(x);
/// relu(NaN) is NaN; sign(+-0) keeps the zero; softplus is max(x, 0) + log1p(exp(-|x|)); `rem` has the sign of
/// the dividend; `max`/`min` propagate NaN). Arithmetic uses LLVM instructions and intrinsics; exp, log, sin,
/// A function whose f32 value depends on how it is computed (`roundsOnceFromF64`: exp, log, tanh, sigmoid, gelu,
/// silu, softplus, erf, sin, cos, exp2, log1p, rsqrt; and the operator `pow`) is evaluated in f64 and rounded once to f32, with the same C
/// library the simulator and the reference interpreter call, so the three agree bit for bit (Docs/numerics.md);
/// exp, log, sin, cos, exp2, floor, pow and sqrt are LLVM intrinsics (lowered to the C library's functions where
/// the CPU has no instruction); tanh, erf and log1p are the C library's `tanh`/`erf`/`log1p`.
extension LoweringContext {
    func unary(_ function: UnaryFunction, _ x: ComputedValue) -> ComputedValue {
        switch function {
        case .identity: return x
        case .neg:
            guard x.kind == .f64 else { return ComputedValue(ref: LLVMBuildFNeg(b, x.ref, ""), kind: x.kind) }
            return binary(.sub, constant(0, kind: .f64), x)   // i32: wraps (-(-2^31) is -2^31)
        case .not: return ComputedValue(ref: LLVMBuildNot(b, convert(x, to: .bool).ref, ""), kind: .bool)
        case .exp: return activation(.exp, x)
        case .log: return activation(.log, x)
        case .tanh: return activation(.tanh, x)
        case .sigmoid: return activation(.sigmoid, x)
        case .relu: return activation(.relu, x)
        case .gelu: return activation(.gelu, x)
        case .silu: return activation(.silu, x)
        case .sqrt: return activation(.sqrt, x)
        case .rsqrt: return activation(.rsqrt, x)
        case .reciprocal: return activation(.reciprocal, x)
        case .abs: return activation(.abs, x)
        case .square: return activation(.square, x)
        case .sign: return activation(.sign, x)
        case .erf: return activation(.erf, x)
        case .softplus: return activation(.softplus, x)
        case .sin: return activation(.sin, x)
        case .cos: return activation(.cos, x)
        case .exp2: return activation(.exp2, x)
        case .log1p: return activation(.log1p, x)
        case .floor: return activation(.floor, x)
        }
    }

    /// The scalar engine's functions (and the tensor-level ones of the same name), on f32 or f64 values.
    func activation(_ function: ActivationFunction, _ input: ComputedValue) -> ComputedValue {
        let x = input.kind == .bool ? convert(input, to: .f32) : input
        if x.kind == .f32, function.roundsOnceFromF64 {
            return convert(activation(function, convert(x, to: .f64)), to: .f32)
        }
        let type = types.type(of: x.kind)
        let double = x.kind == .f64
        func constant(_ value: Double) -> LLVMValueRef { LLVMConstReal(type, value) }
        func intrinsic(_ name: String, _ args: [LLVMValueRef]) -> LLVMValueRef { callIntrinsic(name, overloads: [type], args) }
        func libm(_ name: String, _ value: LLVMValueRef) -> LLVMValueRef {
            callExternal(double ? name : name + "f", returns: type, [type], [value])
        }
        func exp(_ value: LLVMValueRef) -> LLVMValueRef { intrinsic("llvm.exp", [value]) }
        func expNegated(_ value: LLVMValueRef) -> LLVMValueRef { exp(LLVMBuildFNeg(b, value, "")) }
        let result: LLVMValueRef
        switch function {
        case .neg, .not: return unary(function, x)  // not scalar-engine functions; the tensor-level ops
        case .identity: result = x.ref
        case .square: result = LLVMBuildFMul(b, x.ref, x.ref, "")
        case .sigmoid:
            result = LLVMBuildFDiv(b, constant(1), LLVMBuildFAdd(b, constant(1), expNegated(x.ref), ""), "")
        case .relu:
            let positive = LLVMBuildFCmp(b, LLVMRealOGT, x.ref, constant(0), "")
            let isNaN = LLVMBuildFCmp(b, LLVMRealUNO, x.ref, x.ref, "")
            result = LLVMBuildSelect(b, LLVMBuildOr(b, positive, isNaN, ""), x.ref, constant(0), "")
        case .gelu:
            let scaled = LLVMBuildFMul(b, x.ref, constant(0.5.squareRoot()), "")!   // x / sqrt(2)
            let onePlusErf = LLVMBuildFAdd(b, constant(1), libm("erf", scaled), "")
            result = LLVMBuildFMul(b, LLVMBuildFMul(b, constant(0.5), x.ref, ""), onePlusErf, "")
        case .silu:
            result = LLVMBuildFDiv(b, x.ref, LLVMBuildFAdd(b, constant(1), expNegated(x.ref), ""), "")
        case .tanh: result = libm("tanh", x.ref)
        case .softplus:
            let magnitude = intrinsic("llvm.fabs", [x.ref])
            let positivePart = intrinsic("llvm.maxnum", [x.ref, constant(0)])
            result = LLVMBuildFAdd(b, positivePart, libm("log1p", expNegated(magnitude)), "")
        case .erf: result = libm("erf", x.ref)
        case .exp: result = exp(x.ref)
        case .log: result = intrinsic("llvm.log", [x.ref])
        case .sin: result = intrinsic("llvm.sin", [x.ref])
        case .cos: result = intrinsic("llvm.cos", [x.ref])
        case .exp2: result = intrinsic("llvm.exp2", [x.ref])
        case .log1p: result = libm("log1p", x.ref)
        case .floor: result = intrinsic("llvm.floor", [x.ref])
        case .sqrt: result = intrinsic("llvm.sqrt", [x.ref])
        case .rsqrt: result = LLVMBuildFDiv(b, constant(1), intrinsic("llvm.sqrt", [x.ref]), "")
        case .reciprocal: result = LLVMBuildFDiv(b, constant(1), x.ref, "")
        case .abs: result = intrinsic("llvm.fabs", [x.ref])
        case .sign:
            let positive = LLVMBuildFCmp(b, LLVMRealOGT, x.ref, constant(0), "")
            let negative = LLVMBuildFCmp(b, LLVMRealOLT, x.ref, constant(0), "")
            result = LLVMBuildSelect(b, positive, constant(1), LLVMBuildSelect(b, negative, constant(-1), x.ref, ""), "")
        }
        return ComputedValue(ref: result, kind: x.kind)
    }

    /// A two-operand operator on values of one kind (comparisons give bool; `and`/`or` work on bools).
    func binary(_ op: BinaryOperator, _ lhs: ComputedValue, _ rhs: ComputedValue) -> ComputedValue {
        if op.isLogical {
            let (l, r) = (convert(lhs, to: .bool).ref, convert(rhs, to: .bool).ref)
            return ComputedValue(ref: op == .and ? LLVMBuildAnd(b, l, r, "") : LLVMBuildOr(b, l, r, ""), kind: .bool)
        }
        if op.isBitwise {
            // i32 values (f64 compute values holding integers): the operation on their 32-bit patterns.
            let (l, r) = (LLVMBuildFPToSI(b, convert(lhs, to: .f64).ref, types.i32, "")!,
                          LLVMBuildFPToSI(b, convert(rhs, to: .f64).ref, types.i32, "")!)
            let amount = LLVMBuildAnd(b, r, int32(31), "")!
            let bits: LLVMValueRef
            switch op {
            case .bitwiseAnd: bits = LLVMBuildAnd(b, l, r, "")
            case .bitwiseOr: bits = LLVMBuildOr(b, l, r, "")
            case .bitwiseXor: bits = LLVMBuildXor(b, l, r, "")
            case .shiftLeft: bits = LLVMBuildShl(b, l, amount, "")
            default: bits = LLVMBuildAShr(b, l, amount, "")
            }
            return ComputedValue(ref: LLVMBuildSIToFP(b, bits, types.f64, ""), kind: .f64)
        }
        let kind: ComputeKind = lhs.kind == .f64 || rhs.kind == .f64 ? .f64 : .f32
        let (l, r) = (convert(lhs, to: kind).ref, convert(rhs, to: kind).ref)
        if kind == .f64, op == .add || op == .sub || op == .mul {
            // i32 values (held in f64): wrapping two's complement arithmetic on 64-bit integers, as
            // `IntegerArithmetic` defines it for the other executors (a product of two i32 needs 62 bits).
            let (x, y) = (LLVMBuildFPToSI(b, l, types.i64, "")!, LLVMBuildFPToSI(b, r, types.i64, "")!)
            let wide = op == .add ? LLVMBuildAdd(b, x, y, "")! : op == .sub ? LLVMBuildSub(b, x, y, "")! : LLVMBuildMul(b, x, y, "")!
            return ComputedValue(ref: LLVMBuildSIToFP(b, LLVMBuildTrunc(b, wide, types.i32, ""), types.f64, ""), kind: .f64)
        }
        let type = types.type(of: kind)
        func compare(_ predicate: LLVMRealPredicate) -> ComputedValue {
            ComputedValue(ref: LLVMBuildFCmp(b, predicate, l, r, ""), kind: .bool)
        }
        let result: LLVMValueRef
        switch op {
        case .add: result = LLVMBuildFAdd(b, l, r, "")
        case .sub: result = LLVMBuildFSub(b, l, r, "")
        case .mul: result = LLVMBuildFMul(b, l, r, "")
        case .div: result = LLVMBuildFDiv(b, l, r, "")
        case .rem: result = LLVMBuildFRem(b, l, r, "")
        case .max: result = callIntrinsic("llvm.maximum", overloads: [type], [l, r])
        case .min: result = callIntrinsic("llvm.minimum", overloads: [type], [l, r])
        case .pow:
            // In f64 and rounded once, as the other executors compute it (`powf` may be an ulp away; an ulp of a
            // large power then moves `cos` of it or a cast at a tie).
            guard kind == .f32 else { result = callIntrinsic("llvm.pow", overloads: [type], [l, r]); break }
            let wide = callIntrinsic("llvm.pow", overloads: [types.f64],
                                     [LLVMBuildFPExt(b, l, types.f64, "")!, LLVMBuildFPExt(b, r, types.f64, "")!])
            result = LLVMBuildFPTrunc(b, wide, types.f32, "")
        case .eq: return compare(LLVMRealOEQ)
        case .ne: return compare(LLVMRealUNE)
        case .lt: return compare(LLVMRealOLT)
        case .le: return compare(LLVMRealOLE)
        case .gt: return compare(LLVMRealOGT)
        case .ge: return compare(LLVMRealOGE)
        case .and, .or, .bitwiseAnd, .bitwiseOr, .bitwiseXor, .shiftLeft, .shiftRight: result = l   // handled above
        }
        return ComputedValue(ref: result, kind: kind)
    }

    /// One step of a scan, `op1(op0(data0, state), data1)`, each operator's result converted to `kind`
    /// (`dve.tensor_scan`'s numerics: fp32 steps, or f64 for i32 tiles), for the tile op and the tensor op alike.
    func scanStep(_ op0: BinaryOperator, _ op1: BinaryOperator, _ data0: ComputedValue, _ state: ComputedValue,
                  _ data1: ComputedValue, kind: ComputeKind) -> ComputedValue {
        let first = convert(binary(op0, convert(data0, to: kind), state), to: kind)
        return convert(binary(op1, first, convert(data1, to: kind)), to: kind)
    }

    /// The engine reduction step `accumulator op value` (NaN-propagating max/min). A sum is never reassociated:
    /// it adds in order (Docs/numerics.md, "Reduction order").
    func reduceStep(_ op: EngineReduceOp, _ accumulator: ComputedValue, _ value: ComputedValue) -> ComputedValue {
        let v = convert(value, to: accumulator.kind)
        let type = types.type(of: accumulator.kind)
        let result: LLVMValueRef
        switch op {
        case .add:
            // In order, never reassociated (Docs/numerics.md, "Reduction order").
            result = LLVMBuildFAdd(b, accumulator.ref, v.ref, "")
        case .max: result = callIntrinsic("llvm.maximum", overloads: [type], [accumulator.ref, v.ref])
        case .min: result = callIntrinsic("llvm.minimum", overloads: [type], [accumulator.ref, v.ref])
        }
        return ComputedValue(ref: result, kind: accumulator.kind)
    }

    /// An i32 sum held in f64 (exact) wrapped to i32, as the language's i32 arithmetic wraps.
    func wrappedI32(_ value: ComputedValue) -> ComputedValue {
        guard value.kind == .f64 else { return value }
        let bits = LLVMBuildTrunc(b, LLVMBuildFPToSI(b, value.ref, types.i64, ""), types.i32, "")
        return ComputedValue(ref: LLVMBuildSIToFP(b, bits, types.f64, ""), kind: .f64)
    }

    /// The identity of a reduction: 0, -infinity, +infinity.
    func reduceIdentity(_ op: EngineReduceOp, kind: ComputeKind) -> ComputedValue {
        switch op {
        case .add: constant(0, kind: kind)
        case .max: constant(-.infinity, kind: kind)
        case .min: constant(.infinity, kind: kind)
        }
    }
}

extension ActivationFunction {
    /// True for the functions whose f32 result depends on how they are computed: the LLVM backend evaluates them in
    /// f64 and rounds once, as `MathFunction.apply` does. The others are exact in f32 (a single correctly rounded
    /// operation, or no rounding at all).
    var roundsOnceFromF64: Bool {
        switch self {
        case .exp, .log, .tanh, .sigmoid, .gelu, .silu, .softplus, .erf, .sin, .cos, .exp2, .log1p, .rsqrt: true
        case .identity, .neg, .not, .relu, .abs, .sign, .floor, .square, .sqrt, .reciprocal: false
        }
    }
}
