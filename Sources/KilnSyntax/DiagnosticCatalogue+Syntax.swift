// DiagnosticCatalogue+Syntax.swift: the diagnostics KilnSyntax emits (K1001-K1110) (ids in the ranges DiagnosticCatalogue.swift gives).

import KilnSource

extension DiagnosticCatalogue {
    // Lexer
    public static func strayCharacter(_ text: String, at span: SourceSpan) -> Diagnostic {
        make("K1001", "stray-character", .error, "unexpected character \(text) in source", at: span)
    }
    public static func unterminatedComment(at span: SourceSpan) -> Diagnostic {
        make("K1002", "unterminated-comment", .error, "unterminated block comment; '/*' has no matching '*/'", at: span)
    }
    public static func integerTooLarge(_ text: String, at span: SourceSpan) -> Diagnostic {
        make("K1003", "integer-too-large", .error, "integer literal '\(text)' does not fit in 64 bits", at: span)
    }
    public static func malformedNumber(_ text: String, _ reason: String, at span: SourceSpan) -> Diagnostic {
        make("K1004", "malformed-number", .error, "malformed number '\(text)': \(reason)", at: span)
    }
    // Parser
    public static func expected(_ what: String, found: String, at span: SourceSpan) -> Diagnostic {
        make("K1101", "expected-token", .error, "expected \(what), found \(found)", at: span)
    }
    public static func expectedItem(found: String, at span: SourceSpan) -> Diagnostic {
        make("K1102", "expected-item", .error,
             "expected 'kernel' or 'fn' at top level, found \(found)", at: span)
    }
    public static func expectedExpression(found: String, at span: SourceSpan) -> Diagnostic {
        make("K1103", "expected-expression", .error, "expected an expression, found \(found)", at: span)
    }
    public static func unclosedDelimiter(_ open: String, expectedClose: String, found: String,
                                         at span: SourceSpan, openedAt: SourceSpan) -> Diagnostic {
        make("K1104", "unclosed-delimiter", .error, "expected '\(expectedClose)' to close '\(open)', found \(found)",
             at: span, notes: [DiagnosticNote("'\(open)' opened here", at: openedAt)])
    }
    public static func nestingTooDeep(limit: Int, at span: SourceSpan) -> Diagnostic {
        make("K1105", "nesting-too-deep", .error, "nesting is too deep (the limit is \(limit) levels)", at: span)
    }
    public static func chainedComparison(at span: SourceSpan) -> Diagnostic {
        make("K1106", "chained-comparison", .error,
             "comparisons do not chain; write 'a < b && b < c'", at: span)
    }
    public static func operatorOnNewLine(_ op: String, at span: SourceSpan) -> Diagnostic {
        make("K1107", "operator-on-new-line", .warning,
             "'\(op)' at the start of a line begins a new statement; put a binary operator at the end of the previous line",
             at: span)
    }
    public static func invalidAssignmentTarget(at span: SourceSpan) -> Diagnostic {
        make("K1108", "invalid-assignment-target", .error,
             "only a 'var' tile buffer can be assigned; the left side must be a name", at: span)
    }
    public static func unexpectedTokenAfterStatement(found: String, at span: SourceSpan) -> Diagnostic {
        make("K1109", "expected-statement-end", .error,
             "expected a new line or ';' after the statement, found \(found)", at: span)
    }
    public static func unsupportedControlFlow(_ word: String, at span: SourceSpan) -> Diagnostic {
        make("K1110", "unsupported-control-flow", .error,
             "Kiln has no '\(word)' statement; write a 'for' loop over a range known at compile time", at: span)
    }
}
