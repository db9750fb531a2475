// Lexer.swift: turns source bytes into tokens with byte-offset spans, reporting every lexical error.

import KilnSource

/// A single forward scan over the bytes. Errors never stop the scan: a stray character is reported
/// (a run of them once) and skipped; a malformed literal becomes an `.invalid` token the parser accepts
/// as an error expression, so one run reports every lexical error of a file.
public struct Lexer {
    private let bytes: [UInt8]
    private let path: String
    private var position = 0
    private var atLineStart = true
    private var unterminatedComment = false
    public private(set) var diagnostics = DiagnosticBag()

    public init(source: SourceFile) {
        self.bytes = source.bytes
        self.path = source.path
    }

    /// Scans the whole file. The last token is always `.endOfFile`.
    public static func tokenize(_ source: SourceFile) -> (tokens: [Token], diagnostics: DiagnosticBag) {
        var lexer = Lexer(source: source)
        var tokens: [Token] = []
        tokens.reserveCapacity(source.bytes.count / 3)
        while true {
            let token = lexer.next()
            tokens.append(token)
            if token.kind == .endOfFile { break }
        }
        return (tokens, lexer.diagnostics)
    }

    private func peek(_ offset: Int = 0) -> UInt8 {
        let index = position + offset
        return index < bytes.count ? bytes[index] : 0
    }

    private static func isIdentifierStart(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F
    }
    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    private static func isIdentifierContinue(_ b: UInt8) -> Bool { isIdentifierStart(b) || isDigit(b) }

    /// Skips whitespace and comments, noting newlines.
    private mutating func skipTrivia() {
        while position < bytes.count {
            let b = bytes[position]
            if b == 0x0A {
                atLineStart = true
                position += 1
            } else if b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0C {
                position += 1
            } else if b == 0x2F && peek(1) == 0x2F {
                while position < bytes.count && bytes[position] != 0x0A { position += 1 }
            } else if b == 0x2F && peek(1) == 0x2A {
                skipBlockComment()
            } else {
                return
            }
        }
    }

    /// block_comment = "/*" { block_comment | any } "*/" ;  (nesting allowed)
    private mutating func skipBlockComment() {
        let start = position
        var depth = 0
        while position < bytes.count {
            if bytes[position] == 0x2F && peek(1) == 0x2A {
                depth += 1
                position += 2
            } else if bytes[position] == 0x2A && peek(1) == 0x2F {
                depth -= 1
                position += 2
                if depth == 0 { return }
            } else {
                if bytes[position] == 0x0A { atLineStart = true }
                position += 1
            }
        }
        diagnostics.report(DiagnosticCatalogue.unterminatedComment(at: SourceSpan(file: path, start: start, end: start + 2)))
        unterminatedComment = true
    }

    public mutating func next() -> Token {
        skipTrivia()
        let startsLine = atLineStart
        atLineStart = false
        let start = position
        guard position < bytes.count else {
            var token = Token(kind: .endOfFile, span: SourceSpan(file: path, start: bytes.count, end: bytes.count), startsLine: true)
            token.followsLexicalError = unterminatedComment
            return token
        }
        let b = bytes[position]
        if Lexer.isIdentifierStart(b) {
            while position < bytes.count && Lexer.isIdentifierContinue(bytes[position]) { position += 1 }
            let text = String(decoding: bytes[start..<position], as: UTF8.self)
            let kind: TokenKind = Keyword(rawValue: text).map { .keyword($0) } ?? .identifier
            return Token(kind: kind, span: SourceSpan(file: path, start: start, end: position), startsLine: startsLine)
        }
        if Lexer.isDigit(b) {
            return lexNumber(startsLine: startsLine)
        }
        if let kind = lexPunctuation() {
            return Token(kind: kind, span: SourceSpan(file: path, start: start, end: position), startsLine: startsLine)
        }
        reportStrayRun()
        var token = next()
        token.followsLexicalError = true
        return token
    }

    private mutating func lexPunctuation() -> TokenKind? {
        let b = bytes[position]
        let n = peek(1)
        func take(_ count: Int, _ kind: TokenKind) -> TokenKind {
            position += count
            return kind
        }
        switch b {
        case UInt8(ascii: "("): return take(1, .leftParen)
        case UInt8(ascii: ")"): return take(1, .rightParen)
        case UInt8(ascii: "["): return take(1, .leftBracket)
        case UInt8(ascii: "]"): return take(1, .rightBracket)
        case UInt8(ascii: "{"): return take(1, .leftBrace)
        case UInt8(ascii: "}"): return take(1, .rightBrace)
        case UInt8(ascii: ","): return take(1, .comma)
        case UInt8(ascii: ":"): return take(1, .colon)
        case UInt8(ascii: ";"): return take(1, .semicolon)
        case UInt8(ascii: "@"): return take(1, .at)
        case UInt8(ascii: "*"): return take(1, .star)
        case UInt8(ascii: "/"): return take(1, .slash)
        case UInt8(ascii: "%"): return take(1, .percent)
        case UInt8(ascii: "."):
            return n == UInt8(ascii: ".") && peek(2) == UInt8(ascii: "<") ? take(3, .rangeUpTo) : take(1, .dot)
        case UInt8(ascii: "-"): return n == UInt8(ascii: ">") ? take(2, .arrow) : take(1, .minus)
        case UInt8(ascii: "+"): return n == UInt8(ascii: "=") ? take(2, .plusAssign) : take(1, .plus)
        case UInt8(ascii: "="): return n == UInt8(ascii: "=") ? take(2, .equal) : take(1, .assign)
        case UInt8(ascii: "!"): return n == UInt8(ascii: "=") ? take(2, .notEqual) : take(1, .bang)
        case UInt8(ascii: "<"): return n == UInt8(ascii: "=") ? take(2, .lessEqual) : take(1, .less)
        case UInt8(ascii: ">"): return n == UInt8(ascii: "=") ? take(2, .greaterEqual) : take(1, .greater)
        case UInt8(ascii: "&"): return n == UInt8(ascii: "&") ? take(2, .andAnd) : nil
        case UInt8(ascii: "|"): return n == UInt8(ascii: "|") ? take(2, .orOr) : nil
        default: return nil
        }
    }

    /// Reports a run of characters that cannot start a token as one error and skips it.
    private mutating func reportStrayRun() {
        let start = position
        let first = describeCharacter(at: position)
        position += first.length
        var count = 1
        while position < bytes.count {
            let b = bytes[position]
            if b <= 0x20 || Lexer.isIdentifierContinue(b) || (b < 0x80 && isTokenStartPunctuation(b)) { break }
            position += describeCharacter(at: position).length
            count += 1
        }
        let text = count == 1 ? first.text : "\(first.text) (and \(count - 1) more)"
        diagnostics.report(DiagnosticCatalogue.strayCharacter(text, at: SourceSpan(file: path, start: start, end: start + first.length)))
    }

    private func isTokenStartPunctuation(_ b: UInt8) -> Bool {
        "()[]{},:;@*/%.-+=!<>".utf8.contains(b)
    }

    /// The character at `offset` as it should appear in a message, and its length in bytes.
    private func describeCharacter(at offset: Int) -> (text: String, length: Int) {
        let b = bytes[offset]
        if b < 0x80 {
            if b >= 0x21 && b < 0x7F { return ("'\(Character(Unicode.Scalar(b)))'", 1) }
            return ("byte \(hex(b))", 1)
        }
        let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
        if length > 1, offset + length <= bytes.count {
            let slice = Array(bytes[offset..<offset + length])
            if let scalar = String(validating: slice, as: UTF8.self), scalar.unicodeScalars.count == 1 {
                return ("'\(scalar)'", length)
            }
        }
        return ("byte \(hex(b)) (not valid UTF-8)", 1)
    }

    /// INT = digit { digit | "_" } ;  FLOAT = digits "." digits [exponent] | digits exponent ;
    private mutating func lexNumber(startsLine: Bool) -> Token {
        let start = position
        var isFloat = false
        func digits(_ lexer: inout Lexer) {
            while lexer.position < lexer.bytes.count,
                  Lexer.isDigit(lexer.bytes[lexer.position]) || lexer.bytes[lexer.position] == 0x5F {
                lexer.position += 1
            }
        }
        digits(&self)
        if peek() == UInt8(ascii: "."), Lexer.isDigit(peek(1)) {
            isFloat = true
            position += 1
            digits(&self)
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            let sign = peek(1) == UInt8(ascii: "+") || peek(1) == UInt8(ascii: "-") ? 1 : 0
            if Lexer.isDigit(peek(1 + sign)) {
                isFloat = true
                position += 1 + sign
                digits(&self)
            }
        }
        // A letter glued to a number (`12abc`) is one malformed token, not two.
        var trailing = false
        while position < bytes.count && Lexer.isIdentifierContinue(bytes[position]) {
            trailing = true
            position += 1
        }
        let span = SourceSpan(file: path, start: start, end: position)
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if trailing {
            diagnostics.report(DiagnosticCatalogue.malformedNumber(text, "a number cannot be followed by letters", at: span))
            return Token(kind: .invalid, span: span, startsLine: startsLine)
        }
        let cleaned = text.replacingUnderscores()
        if isFloat {
            guard let value = Double(cleaned), value.isFinite else {
                diagnostics.report(DiagnosticCatalogue.malformedNumber(text, "the value is out of range for a float", at: span))
                return Token(kind: .invalid, span: span, startsLine: startsLine)
            }
            var token = Token(kind: .float, span: span, startsLine: startsLine)
            token.floatValue = value
            return token
        }
        guard let value = Int(cleaned) else {
            diagnostics.report(DiagnosticCatalogue.integerTooLarge(text, at: span))
            return Token(kind: .invalid, span: span, startsLine: startsLine)
        }
        var token = Token(kind: .integer, span: span, startsLine: startsLine)
        token.integerValue = value
        return token
    }
}

/// `0x0A`-style hexadecimal for a byte in a message.
private func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return "0x\(digits[Int(byte >> 4)])\(digits[Int(byte & 0x0F)])"
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(self.filter { $0 != "_" })
    }
}
