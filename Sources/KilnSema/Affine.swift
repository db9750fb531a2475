// Affine.swift: affine integer expressions over dims and loop variables, with overflow-checked arithmetic.

/// A variable of an affine expression: a symbolic dim (`N`) or a loop variable (`i`).
/// Loop variables carry a unique id (two nested loops may both be called `i`); dims are identified by name.
public struct AffineVar: Hashable, Comparable, Sendable, CustomStringConvertible {
    public enum Kind: Int, Sendable, Hashable { case dim = 0, loop = 1 }
    public var kind: Kind
    public var name: String
    public var id: Int

    public static func dim(_ name: String) -> AffineVar { AffineVar(kind: .dim, name: name, id: 0) }
    public static func loop(_ name: String, id: Int) -> AffineVar { AffineVar(kind: .loop, name: name, id: id) }

    public static func < (a: AffineVar, b: AffineVar) -> Bool {
        (a.kind.rawValue, a.name, a.id) < (b.kind.rawValue, b.name, b.id)
    }
    public var description: String { name }
}

/// `c0 + c1*v1 + c2*v2 + ...` with Int coefficients, kept normalised (no zero coefficients), so two
/// expressions are equal exactly when their normal forms are. This is how `m + 128 - m` simplifies to
/// `128` and how slice sizes are computed. Every operation returns nil instead of trapping when a
/// coefficient or the constant would overflow 64 bits; callers turn that into a diagnostic.
public struct AffineExpr: Hashable, Sendable, CustomStringConvertible {
    public private(set) var terms: [AffineVar: Int]
    public private(set) var constant: Int

    public init(constant: Int) {
        self.terms = [:]
        self.constant = constant
    }

    public init(_ variable: AffineVar) {
        self.terms = [variable: 1]
        self.constant = 0
    }

    init(terms: [AffineVar: Int], constant: Int) {
        self.terms = terms.filter { $0.value != 0 }
        self.constant = constant
    }

    /// The value, when the expression has no variables.
    public var constantValue: Int? { terms.isEmpty ? constant : nil }

    /// The variable, when the expression is exactly one variable (`N`, not `2*N` or `N + 1`).
    public var singleVariable: AffineVar? {
        guard constant == 0, terms.count == 1, let (v, c) = terms.first, c == 1 else { return nil }
        return v
    }

    /// The variables in a stable order.
    public var variables: [AffineVar] { terms.keys.sorted() }

    public var loopVariables: [AffineVar] { variables.filter { $0.kind == .loop } }

    public func adding(_ other: AffineExpr) -> AffineExpr? {
        var result = terms
        for (v, c) in other.terms {
            let (sum, overflow) = (result[v] ?? 0).addingReportingOverflow(c)
            if overflow { return nil }
            result[v] = sum
        }
        let (k, overflow) = constant.addingReportingOverflow(other.constant)
        if overflow { return nil }
        return AffineExpr(terms: result, constant: k)
    }

    public func scaled(by factor: Int) -> AffineExpr? {
        var result: [AffineVar: Int] = [:]
        for (v, c) in terms {
            let (product, overflow) = c.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            result[v] = product
        }
        let (k, overflow) = constant.multipliedReportingOverflow(by: factor)
        if overflow { return nil }
        return AffineExpr(terms: result, constant: k)
    }

    public func subtracting(_ other: AffineExpr) -> AffineExpr? {
        guard let negated = other.scaled(by: -1) else { return nil }
        return adding(negated)
    }

    /// The product, when at least one side is a constant; nil if neither is (not affine) or on overflow.
    public func multiplied(by other: AffineExpr) -> AffineExpr? {
        if let k = other.constantValue { return scaled(by: k) }
        if let k = constantValue { return other.scaled(by: k) }
        return nil
    }

    /// Replaces variables by expressions (e.g. a helper's dims by the caller's); nil on overflow.
    /// Variables without a replacement stay.
    public func substituting(_ replacements: [AffineVar: AffineExpr]) -> AffineExpr? {
        var result = AffineExpr(constant: constant)
        for v in variables {
            let c = terms[v] ?? 0
            let replacement = replacements[v] ?? AffineExpr(v)
            guard let scaled = replacement.scaled(by: c), let sum = result.adding(scaled) else { return nil }
            result = sum
        }
        return result
    }

    /// The value with every variable given a size; nil if one is missing or on overflow.
    public func evaluate(_ values: [AffineVar: Int]) -> Int? {
        var total = constant
        for (v, c) in terms {
            guard let x = values[v] else { return nil }
            let (product, o1) = c.multipliedReportingOverflow(by: x)
            let (sum, o2) = total.addingReportingOverflow(product)
            if o1 || o2 { return nil }
            total = sum
        }
        return total
    }

    /// `N`, `128`, `N + 1`, `2*N - 1`, `i + 128`: variables in a stable order, then the constant.
    public var description: String {
        var parts: [String] = []
        for v in variables {
            let c = terms[v] ?? 0
            let magnitude = c.magnitude
            let body = magnitude == 1 ? v.name : "\(magnitude)*\(v.name)"
            if parts.isEmpty {
                parts.append(c < 0 ? "-" + body : body)
            } else {
                parts.append(c < 0 ? "- " + body : "+ " + body)
            }
        }
        if parts.isEmpty { return String(constant) }
        if constant > 0 { parts.append("+ \(constant)") }
        if constant < 0 { parts.append("- \(constant.magnitude)") }
        return parts.joined(separator: " ")
    }
}
