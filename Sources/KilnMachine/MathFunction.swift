// MathFunction.swift: the one list of elementwise math functions, from the language's builtins to the bytecode.

/// Every elementwise math function Kiln knows: the language's builtins (`exp(x)`, ...), the tile IR's
/// tensor-level unary ops (`exp %a : T`), the scalar engine's activation functions (`act.activate exp`), the
/// bytecode's function codes (the position in `allCases`: append new cases at the end) and the numerics every
/// executor implements (`KilnNumerics`' `apply`). What each of those accepts is a property, not another list.
public enum MathFunction: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    case identity, square, sigmoid, relu, gelu, silu, tanh, softplus, erf, exp, log, sin, sqrt, rsqrt,
         reciprocal, sign, abs
    /// -x and logical not (1 where x is 0): tensor-level ops only.
    case neg, not
    /// cos x; 2^x; ln(1 + x) (exact near 0); the largest integer not above x.
    case cos, exp2, log1p, floor

    public var description: String { rawValue }

    /// The builtins a kernel may call by name (`exp(x)`); `neg` and `not` are the operators `-x` and `!x`.
    public var isLanguageBuiltin: Bool {
        switch self {
        case .exp, .log, .tanh, .sigmoid, .relu, .gelu, .silu, .sqrt, .rsqrt, .reciprocal, .abs, .square,
             .softplus, .erf, .sin, .cos, .exp2, .log1p, .floor: true
        case .identity, .sign, .neg, .not: false
        }
    }

    /// The functions the scalar engine's activation implements (a target lists those it has).
    public var runsOnScalarEngine: Bool { self != .neg && self != .not }

    /// The builtins the language also allows on `i32` (`abs`, `relu`).
    public var acceptsInteger: Bool { self == .abs || self == .relu }
}
