// IRLexer.swift: splits tile IR text into tokens with byte-offset spans.

import KilnSource

/// A token of the tile IR text.
struct IRToken: Equatable {
    enum Kind: Equatable {
        /// `%x`, `%0`: the text after `%`.
        case value(String)
        /// `@softmax`: the text after `@`.
        case symbol(String)
        /// Words: keywords, opcodes (`dma.load`), element types, names.
        case word(String)
        /// An unsigned integer literal.
        case integer(String)
        /// An unsigned floating-point literal (`0.5`, `1e-05`).
        case float(String)
        /// A string literal, unescaped.
        case string(String)
        /// Punctuation: `{ } ( ) [ ] , : = | * + - -> >= ==`.
        case punct(String)
        case end
    }

    var kind: Kind
    var span: SourceSpan
    /// True for the first token on its line (the parser recovers from errors at line starts).
    var startsLine: Bool

    /// How the token reads in a message: `'dma.load'`, `end of file`.
    var display: String {
        switch kind {
        case .value(let name): "'%\(name)'"
        case .symbol(let name): "'@\(name)'"
        case .word(let text), .integer(let text), .float(let text), .punct(let text): "'\(text)'"
        case .string(let text): "string \"\(text)\""
        case .end: "end of file"
        }
    }
}

/// Turns IR text into tokens; reports stray characters and unterminated strings and goes on.
struct IRLexer {
    private let bytes: [UInt8]
    private let path: String
    private var position = 0
    private var atLineStart = true
    private(set) var diagnostics = DiagnosticBag()

    init(_ file: SourceFile) {
        self.bytes = file.bytes
        self.path = file.path
    }

    mutating func tokenize() -> [IRToken] {
        var tokens: [IRToken] = []
        while true {
            skipTriviaAndComments()
            let start = position
            let startsLine = atLineStart
            atLineStart = false
            guard position < bytes.count else {
                tokens.append(IRToken(kind: .end, span: SourceSpan(file: path, start: start, end: start), startsLine: true))
                return tokens
            }
            if let kind = lexToken() {
                tokens.append(IRToken(kind: kind, span: SourceSpan(file: path, start: start, end: position), startsLine: startsLine))
            }
        }
    }

    private mutating func skipTriviaAndComments() {
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\n") {
                atLineStart = true
                position += 1
            } else if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") {
                position += 1
            } else if byte == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "/") {
                while position < bytes.count, bytes[position] != UInt8(ascii: "\n") { position += 1 }
            } else {
                return
            }
        }
    }

    private func peek(_ offset: Int) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        isWordStart(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".")
    }

    private static func isWordStart(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || byte == UInt8(ascii: "_")
    }

    private static func isDigit(_ byte: UInt8?) -> Bool {
        byte.map { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } ?? false
    }

    private mutating func word() -> String {
        let start = position
        while position < bytes.count, IRLexer.isWordByte(bytes[position]) { position += 1 }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private mutating func lexToken() -> IRToken.Kind? {
        let start = position
        let byte = bytes[position]
        switch byte {
        case UInt8(ascii: "%"), UInt8(ascii: "@"):
            position += 1
            let name = word()
            if name.isEmpty {
                diagnostics.report(DiagnosticCatalogue.tileIRStrayCharacter(
                    "'\(Character(UnicodeScalar(byte)))'", at: SourceSpan(file: path, start: start, end: position)))
                return nil
            }
            return byte == UInt8(ascii: "%") ? .value(name) : .symbol(name)
        case UInt8(ascii: "\""):
            return lexString()
        case _ where IRLexer.isDigit(byte):
            return lexNumber()
        case _ where IRLexer.isWordStart(byte):
            return .word(word())
        default:
            for punct in ["->", ">=", "==", "{", "}", "(", ")", "[", "]", ",", ":", "=", "|", "*", "+", "-"] {
                let utf8 = Array(punct.utf8)
                if position + utf8.count <= bytes.count, Array(bytes[position..<position + utf8.count]) == utf8 {
                    position += utf8.count
                    return .punct(punct)
                }
            }
            // Skip one whole UTF-8 scalar so the message shows the character.
            position += 1
            while position < bytes.count, bytes[position] & 0xC0 == 0x80 { position += 1 }
            let text = String(decoding: bytes[start..<position], as: UTF8.self)
            diagnostics.report(DiagnosticCatalogue.tileIRStrayCharacter(
                "'\(text)'", at: SourceSpan(file: path, start: start, end: position)))
            return nil
        }
    }

    /// INT := DIGIT+ ; FLOAT := DIGIT+ ('.' DIGIT+)? ([eE] [+-]? DIGIT+)? with a '.' or an exponent.
    private mutating func lexNumber() -> IRToken.Kind {
        let start = position
        var isFloat = false
        while IRLexer.isDigit(peek(0)) { position += 1 }
        if peek(0) == UInt8(ascii: "."), IRLexer.isDigit(peek(1)) {
            isFloat = true
            position += 1
            while IRLexer.isDigit(peek(0)) { position += 1 }
        }
        if peek(0) == UInt8(ascii: "e") || peek(0) == UInt8(ascii: "E") {
            let signLength = (peek(1) == UInt8(ascii: "+") || peek(1) == UInt8(ascii: "-")) ? 1 : 0
            if IRLexer.isDigit(peek(1 + signLength)) {
                isFloat = true
                position += 1 + signLength
                while IRLexer.isDigit(peek(0)) { position += 1 }
            }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        return isFloat ? .float(text) : .integer(text)
    }

    /// STRING := '"' (CHAR | '\' ESCAPE)* '"' on one line.
    private mutating func lexString() -> IRToken.Kind {
        let start = position
        position += 1
        var scalars = String.UnicodeScalarView()
        var segmentStart = position
        func flush(_ end: Int) {
            scalars.append(contentsOf: String(decoding: bytes[segmentStart..<end], as: UTF8.self).unicodeScalars)
        }
        while position < bytes.count, bytes[position] != UInt8(ascii: "\n") {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                flush(position)
                position += 1
                return .string(String(scalars))
            }
            if byte == UInt8(ascii: "\\"), let next = peek(1) {
                flush(position)
                switch next {
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "t"): scalars.append("\t")
                default: scalars.append(UnicodeScalar(next))
                }
                position += 2
                segmentStart = position
                continue
            }
            position += 1
        }
        diagnostics.report(DiagnosticCatalogue.tileIRUnterminatedString(at: SourceSpan(file: path, start: start, end: position)))
        flush(position)
        return .string(String(scalars))  // what there is, so parsing goes on
    }
}
