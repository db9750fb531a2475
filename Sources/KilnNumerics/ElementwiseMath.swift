// ElementwiseMath.swift: the exact definitions of Kiln's elementwise math builtins, shared by every executor.

import Foundation

/// The unary math builtins of the language, with the one definition every executor implements.
/// The reference interpreter evaluates them in f64 with these formulas and stores the result
/// as f32 and then the value's dtype (`ElementType.storeComputed`); other executors compute in
/// f32 and are compared with a tolerance (Docs/numerics.md).
public enum UnaryMath: String, CaseIterable, Sendable {
    case exp, log, tanh, sigmoid, relu, gelu, silu, sqrt, rsqrt, reciprocal, abs, square

    /// Evaluates the function at `x`:
    /// - `exp` e^x; `log` ln x (NaN below 0, -inf at 0); `tanh`.
    /// - `sigmoid` 1 / (1 + e^-x).
    /// - `relu` max(x, 0) (relu(-0) = 0; NaN stays NaN).
    /// - `gelu` the exact form x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt 2)), not the tanh
    ///   approximation (write that one out in source, as Examples/gelu_tanh.kiln does).
    /// - `silu` x * sigmoid(x) = x / (1 + e^-x).
    /// - `sqrt`; `rsqrt` 1 / sqrt(x); `reciprocal` 1 / x (+-inf at +-0).
    /// - `abs` |x|; `square` x * x.
    public func apply(_ x: Double) -> Double {
        switch self {
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
        }
    }

    /// True for the functions the language also allows on `i32` (`abs`, `relu`).
    public var acceptsInteger: Bool { self == .abs || self == .relu }
}
