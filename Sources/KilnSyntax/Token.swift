// Token.swift: the tokens of the Kiln language.

import KilnSource

public enum Keyword: String, Sendable, CaseIterable {
    case kernel, fn, `let`, `var`, `for`, `in`, step, `return`, `as`, `true`, `false`, hbm, sbuf, psum, `if`, `else`
}

public enum TokenKind: Hashable, Sendable {
    case identifier
    case integer
    case float
    case keyword(Keyword)
    case leftParen, rightParen, leftBracket, rightBracket, leftBrace, rightBrace
    case comma, colon, semicolon, dot, rangeUpTo   // ..<
    case at, arrow                                 // @ ->
    case assign, plusAssign                        // = +=
    case equal, notEqual, less, lessEqual, greater, greaterEqual
    case plus, minus, star, slash, percent, bang, andAnd, orOr
    /// A malformed literal already diagnosed by the lexer; parses as an error expression.
    case invalid
    case endOfFile

    /// How the token reads in a diagnostic ("found ...").
    public var spelling: String {
        switch self {
        case .identifier: "identifier"
        case .integer: "integer literal"
        case .float: "float literal"
        case .keyword(let k): "'\(k.rawValue)'"
        case .leftParen: "'('"
        case .rightParen: "')'"
        case .leftBracket: "'['"
        case .rightBracket: "']'"
        case .leftBrace: "'{'"
        case .rightBrace: "'}'"
        case .comma: "','"
        case .colon: "':'"
        case .semicolon: "';'"
        case .dot: "'.'"
        case .rangeUpTo: "'..<'"
        case .at: "'@'"
        case .arrow: "'->'"
        case .assign: "'='"
        case .plusAssign: "'+='"
        case .equal: "'=='"
        case .notEqual: "'!='"
        case .less: "'<'"
        case .lessEqual: "'<='"
        case .greater: "'>'"
        case .greaterEqual: "'>='"
        case .plus: "'+'"
        case .minus: "'-'"
        case .star: "'*'"
        case .slash: "'/'"
        case .percent: "'%'"
        case .bang: "'!'"
        case .andAnd: "'&&'"
        case .orOr: "'||'"
        case .invalid: "malformed literal"
        case .endOfFile: "end of file"
        }
    }
}

public struct Token: Sendable {
    public var kind: TokenKind
    public var span: SourceSpan
    /// True when only whitespace and comments precede the token on its line.
    public var startsLine: Bool
    /// True when the lexer reported an error just before this token (a stray character it skipped, or an
    /// unterminated comment that ran to the end of the file); the parser then stays silent about this
    /// token, since the lexer's error already explains it.
    public var followsLexicalError = false
    /// The value of an integer literal.
    public var integerValue: Int = 0
    /// The value of a float literal.
    public var floatValue: Double = 0

    public init(kind: TokenKind, span: SourceSpan, startsLine: Bool) {
        self.kind = kind
        self.span = span
        self.startsLine = startsLine
    }
}
