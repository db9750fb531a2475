// ElementwiseMath.swift: the exact definitions of Kiln's elementwise math builtins, shared by every executor.

import Foundation
import KilnMachine

/// The one definition of each math function (`MathFunction`, KilnMachine) that every executor implements.
/// The reference interpreter evaluates them in f64 with these formulas and stores the result
/// as f32 and then the value's dtype (`ElementType.storeComputed`); the simulator uses them too; the llvm
/// backend implements the same formulas in IR and is compared with a tolerance (Docs/numerics.md).
extension MathFunction {
    /// Evaluates the function at `x`:
    /// - `exp` e^x; `exp2` 2^x; `log` ln x (NaN below 0, -inf at 0); `log1p` ln(1 + x) computed without forming
    ///   1 + x (exact near 0; NaN below -1, -inf at -1); `tanh`; `sin`; `cos`; `erf`; `floor` (keeps -0, NaN, inf).
    /// - `sigmoid` 1 / (1 + e^-x).
    /// - `relu` max(x, 0) (relu(-0) = 0; NaN stays NaN).
    /// - `gelu` the exact form x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt 2)), not the tanh
    ///   approximation (write that one out in source, as Examples/gelu_tanh.kiln does).
    /// - `silu` x * sigmoid(x) = x / (1 + e^-x); `softplus` max(x, 0) + log1p(e^-|x|).
    /// - `sqrt`; `rsqrt` 1 / sqrt(x); `reciprocal` 1 / x (+-inf at +-0).
    /// - `abs` |x|; `square` x * x; `sign` -1, 0 or 1 (keeping the zero's sign); `identity` x.
    /// - `neg` -x; `not` 1 where x is 0, else 0.
    public func apply(_ x: Double) -> Double {
        switch self {
        case .identity: x
        case .exp: Foundation.exp(x)
        case .log: Foundation.log(x)
        case .tanh: Foundation.tanh(x)
        case .sigmoid: 1 / (1 + Foundation.exp(-x))
        case .relu: x.isNaN ? x : (x > 0 ? x : 0)
        case .gelu: 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))
        case .silu: x / (1 + Foundation.exp(-x))
        case .sqrt: x.squareRoot()
        case .rsqrt: 1 / x.squareRoot()
        case .reciprocal: 1 / x
        case .abs: Swift.abs(x)
        case .square: x * x
        case .softplus: Swift.max(x, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(x)))
        case .erf: Foundation.erf(x)
        case .sin: Foundation.sin(x)
        case .sign: x > 0 ? 1 : (x < 0 ? -1 : x)
        case .neg: -x
        case .not: x == 0 ? 1 : 0
        case .cos: Foundation.cos(x)
        case .exp2: Foundation.exp2(x)
        case .log1p: Foundation.log1p(x)
        case .floor: x.rounded(.down)
        }
    }
}

extension MathFunction {
    /// What the scalar engine adds for an activation's `bias` in `func(x * scale + bias)`: the bias itself, but
    /// -0 for a zero bias, so that a zero bias adds nothing (x + -0 is x for every x, where IEEE's -0 + +0 is +0).
    /// A cast or copy the compiler places on the scalar engine (`act.activate identity`) then keeps -0, as the
    /// language's cast does; the reference interpreter, the simulator and the LLVM backend all add this value.
    public static func activationAddend(bias: Double) -> Double { bias == 0 ? -0.0 : bias }
}
