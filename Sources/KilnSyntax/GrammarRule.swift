// GrammarRule.swift: the rules of Grammar/kiln.ebnf, recorded by the parser as it uses them (for coverage tests).

/// One production of `Grammar/kiln.ebnf`; the raw value is the rule's name there.
/// The parser records a rule when its distinctive form appears in the input (an operator of that
/// precedence level, the keyword of that statement), so coverage means each form was exercised.
public enum GrammarRule: String, CaseIterable, Sendable {
    case file, item, attribute, attribute_arg, kernel_decl, function_decl, dim_list, dim_decl, dtype_decl
    case param_list, param, result_spec, named_result
    case type, memory_space, shape, dim_expr
    case block, statement, let_stmt, var_stmt, for_stmt, if_stmt, return_stmt, assign_stmt, assign_op, expr_stmt
    case expr, or_expr, and_expr, compare_expr, compare_op, additive_expr, multiplicative_expr, cast_expr
    case unary_expr, postfix_expr, call_suffix, argument, index_suffix, index_item, slice, slice_step, member_suffix, primary
}

/// A set of grammar rules as a bit mask (cheap enough to record on every node).
public struct GrammarRuleSet: Sendable, Equatable {
    private var bits: UInt64 = 0

    public init() {}

    private static let ordinals: [GrammarRule: Int] = Dictionary(
        uniqueKeysWithValues: GrammarRule.allCases.enumerated().map { ($1, $0) })

    public mutating func insert(_ rule: GrammarRule) {
        bits |= 1 << UInt64(GrammarRuleSet.ordinals[rule] ?? 0)
    }

    public mutating func formUnion(_ other: GrammarRuleSet) {
        bits |= other.bits
    }

    public func contains(_ rule: GrammarRule) -> Bool {
        bits & (1 << UInt64(GrammarRuleSet.ordinals[rule] ?? 0)) != 0
    }

    public var rules: [GrammarRule] { GrammarRule.allCases.filter(contains) }
}
