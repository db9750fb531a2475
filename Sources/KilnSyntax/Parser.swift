// Parser.swift: the recursive-descent parser's core: token cursor, error reporting and recovery.

import KilnSource

/// Hand-written recursive-descent parser for `Grammar/kiln.ebnf`.
///
/// Error recovery: a failed rule reports one error and returns an `.error` node; the statement and item
/// parsers then skip to a synchronisation point (a token that starts a line, a `;`, or a closing brace
/// at the current depth) so the next statement is parsed normally. While recovering ("panic mode") no
/// further parse errors are reported until a statement boundary is reached, and never two at the same
/// token, so one run reports each real error once. Nesting is limited to `maxDepth` levels so deep
/// input cannot overflow the stack; every loop consumes a token or exits, so no input can hang it.
public struct Parser {
    public static let maxDepth = 256

    var tokens: [Token]
    var index = 0
    var diagnostics = DiagnosticBag()
    var nextExpressionID = 0
    /// Open parentheses and brackets: inside them newlines do not end expressions.
    var groupingDepth = 0
    var depth = 0
    var panicking = false
    var lastErrorOffset = -1
    /// Grammar rules the input exercised (see `GrammarRule`).
    var rulesUsed = GrammarRuleSet()

    init(tokens: [Token], diagnostics: DiagnosticBag) {
        self.tokens = tokens
        self.diagnostics = diagnostics
    }

    /// Lexes and parses a whole file, returning the tree and every lexical and syntax diagnostic.
    public static func parse(source: SourceFile) -> (SourceFileSyntax, DiagnosticBag) {
        let (file, diagnostics, _) = parseRecordingRules(source: source)
        return (file, diagnostics)
    }

    /// Like `parse`, also returning which grammar rules the file exercised.
    public static func parseRecordingRules(source: SourceFile) -> (SourceFileSyntax, DiagnosticBag, GrammarRuleSet) {
        let (tokens, lexDiagnostics) = Lexer.tokenize(source)
        var parser = Parser(tokens: tokens, diagnostics: lexDiagnostics)
        parser.sourceBytes = source.bytes
        let file = parser.parseFile()
        return (file, parser.diagnostics, parser.rulesUsed)
    }

    mutating func used(_ rule: GrammarRule) {
        rulesUsed.insert(rule)
    }

    // MARK: cursor

    var current: Token { tokens[index] }
    var currentKind: TokenKind { tokens[index].kind }

    func peekKind(_ offset: Int = 1) -> TokenKind {
        let i = index + offset
        return i < tokens.count ? tokens[i].kind : .endOfFile
    }

    var atEnd: Bool { currentKind == .endOfFile }

    @discardableResult
    mutating func advance() -> Token {
        let token = tokens[index]
        if token.kind != .endOfFile { index += 1 }
        return token
    }

    mutating func accept(_ kind: TokenKind) -> Token? {
        guard currentKind == kind else { return nil }
        return advance()
    }

    /// Consumes a token of `kind` or reports "expected ..." and leaves the cursor where it is.
    @discardableResult
    mutating func expect(_ kind: TokenKind, _ what: String) -> Token? {
        if let token = accept(kind) { return token }
        error(DiagnosticCatalogue.expected(what, found: describeCurrent(), at: current.span))
        return nil
    }

    mutating func expectIdentifier(_ what: String) -> Identifier? {
        guard currentKind == .identifier else {
            error(DiagnosticCatalogue.expected(what, found: describeCurrent(), at: current.span))
            return nil
        }
        let token = advance()
        return Identifier(text(of: token), span: token.span)
    }

    func text(of token: Token) -> String {
        sourceText(token.span)
    }

    var sourceBytes: [UInt8] = []

    func sourceText(_ span: SourceSpan) -> String {
        guard span.start >= 0, span.end <= sourceBytes.count else { return "" }
        return String(decoding: sourceBytes[span.start..<span.end], as: UTF8.self)
    }

    /// "identifier 'foo'", "'}'", "end of file", for "found ..." in messages.
    func describeCurrent() -> String {
        switch currentKind {
        case .identifier: "identifier '\(text(of: current))'"
        case .integer, .float: "number '\(text(of: current))'"
        default: currentKind.spelling
        }
    }

    var previousEnd: Int { index > 0 ? tokens[index - 1].span.end : 0 }

    func span(from start: Int) -> SourceSpan {
        current.span.with(start: start, end: max(start, previousEnd))
    }

    mutating func makeExpr(_ kind: ExprKind, _ span: SourceSpan) -> Expr {
        defer { nextExpressionID += 1 }
        return Expr(id: nextExpressionID, kind: kind, span: span)
    }

    // MARK: errors and recovery

    /// Reports a syntax error unless recovering from an earlier one or one was already reported here.
    mutating func error(_ diagnostic: Diagnostic) {
        if panicking || diagnostic.span.start == lastErrorOffset { return }
        if current.followsLexicalError && diagnostic.span.start == current.span.start {
            panicking = true
            return
        }
        diagnostics.report(diagnostic)
        lastErrorOffset = diagnostic.span.start
        panicking = true
    }

    /// Skips to the start of the next statement: a token that starts a line (outside any brackets opened
    /// while skipping), a `;` (consumed), or a `}` / end of file (not consumed). Leaves panic mode.
    mutating func synchronizeStatement() {
        var nesting = 0
        while !atEnd {
            let token = current
            if nesting == 0 {
                if token.kind == .rightBrace { break }
                if token.kind == .semicolon {
                    advance()
                    break
                }
                if token.startsLine { break }
            }
            switch token.kind {
            case .leftParen, .leftBracket, .leftBrace: nesting += 1
            case .rightParen, .rightBracket, .rightBrace: nesting = max(0, nesting - 1)
            default: break
            }
            advance()
        }
        panicking = false
    }

    /// Skips to the next token that can begin an item (`kernel`, `fn`, `@`) at the start of a line.
    mutating func synchronizeItem() {
        while !atEnd {
            if current.startsLine {
                switch currentKind {
                case .keyword(.kernel), .keyword(.fn), .at: panicking = false; return
                default: break
                }
            }
            advance()
        }
        panicking = false
    }

    /// Runs `body` one nesting level deeper; past `maxDepth` reports once and returns nil instead.
    mutating func nested<T>(_ body: (inout Parser) -> T) -> T? {
        guard depth < Parser.maxDepth else {
            error(DiagnosticCatalogue.nestingTooDeep(limit: Parser.maxDepth, at: current.span))
            return nil
        }
        depth += 1
        defer { depth -= 1 }
        return body(&self)
    }
}
