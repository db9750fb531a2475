// NpyHeader.swift: the .npy header dictionary: a parser for the Python literal numpy writes, and its printer.

/// The three keys of a .npy header.
public struct NpyHeader: Sendable, Equatable {
    public var descr: String
    public var fortranOrder: Bool
    public var shape: [Int]

    /// The header text numpy writes: `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
    public var text: String {
        let dims = shape.map(String.init)
        let tuple = dims.count == 1 ? "(\(dims[0]),)" : "(\(dims.joined(separator: ", ")))"
        return "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(tuple), }"
    }
}

/// A Python literal value of the kinds a header holds.
enum HeaderValue: Equatable {
    case string(String)
    case boolean(Bool)
    case tuple([Int])
    case integer(Int)
    /// A list, as a structured dtype's descr is: Kiln does not read those.
    case list
}

/// A recursive-descent parser for the header dictionary. It accepts exactly the Python literal
/// subset numpy writes (either quote style, optional trailing commas, any spaces) and reports the
/// first thing it cannot read, with its offset.
struct NpyHeaderParser {
    private let bytes: [UInt8]
    private var position = 0

    init(_ text: [UInt8]) { bytes = text }

    /// header = dict ; then only spaces and newlines up to the end.
    static func parse(_ text: [UInt8]) throws(HeaderSyntaxError) -> NpyHeader {
        var parser = NpyHeaderParser(text)
        let entries = try parser.parseDict()
        parser.skipSpaces()
        guard parser.position == parser.bytes.count else { throw parser.error("unexpected text after the dictionary") }
        return try header(from: entries)
    }

    /// Checks the three keys are present, once each, with values of the right kinds.
    private static func header(from entries: [(String, HeaderValue)]) throws(HeaderSyntaxError) -> NpyHeader {
        var descr: String?, fortranOrder: Bool?, shape: [Int]?
        for (key, value) in entries {
            switch (key, value) {
            case ("descr", .string(let text)) where descr == nil: descr = text
            case ("descr", .list) where descr == nil:
                throw HeaderSyntaxError(message: "structured dtypes (a list 'descr') are not supported", offset: nil)
            case ("fortran_order", .boolean(let flag)) where fortranOrder == nil: fortranOrder = flag
            case ("shape", .tuple(let dims)) where shape == nil: shape = dims
            case ("descr", _), ("fortran_order", _), ("shape", _):
                throw HeaderSyntaxError(message: "key '\(key)' is repeated or has a value of the wrong kind", offset: nil)
            default:
                throw HeaderSyntaxError(message: "unexpected key '\(key)' (a header has 'descr', 'fortran_order' and 'shape')", offset: nil)
            }
        }
        guard let descr, let fortranOrder, let shape else {
            let missing = [("descr", descr == nil), ("fortran_order", fortranOrder == nil), ("shape", shape == nil)]
                .filter(\.1).map { "'\($0.0)'" }.joined(separator: ", ")
            throw HeaderSyntaxError(message: "the header dictionary lacks \(missing)", offset: nil)
        }
        return NpyHeader(descr: descr, fortranOrder: fortranOrder, shape: shape)
    }

    /// dict = "{" [ string ":" value { "," string ":" value } [ "," ] ] "}" ;
    private mutating func parseDict() throws(HeaderSyntaxError) -> [(String, HeaderValue)] {
        try expect(UInt8(ascii: "{"))
        var entries: [(String, HeaderValue)] = []
        while true {
            skipSpaces()
            if peek == UInt8(ascii: "}") { position += 1; return entries }
            let key = try parseString()
            skipSpaces()
            try expect(UInt8(ascii: ":"))
            entries.append((key, try parseValue()))
            skipSpaces()
            if peek == UInt8(ascii: ",") { position += 1; continue }
            try expect(UInt8(ascii: "}"))
            return entries
        }
    }

    /// value = string | "True" | "False" | integer | tuple | list ;
    private mutating func parseValue() throws(HeaderSyntaxError) -> HeaderValue {
        skipSpaces()
        switch peek {
        case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "("): return .tuple(try parseTuple())
        case UInt8(ascii: "["): try skipList(); return .list
        case let byte? where byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"): return .integer(try parseInteger())
        default:
            if consumeWord("True") { return .boolean(true) }
            if consumeWord("False") { return .boolean(false) }
            throw error("expected a string, True, False or a tuple")
        }
    }

    /// list = "[" { any byte but brackets | list } "]" ;  (skipped: only its presence matters)
    private mutating func skipList() throws(HeaderSyntaxError) {
        var depth = 0
        while let byte = peek {
            position += 1
            if byte == UInt8(ascii: "[") { depth += 1 }
            if byte == UInt8(ascii: "]") { depth -= 1; if depth == 0 { return } }
        }
        throw error("unterminated list")
    }

    /// tuple = "(" [ integer { "," integer } [ "," ] ] ")" ;
    private mutating func parseTuple() throws(HeaderSyntaxError) -> [Int] {
        try expect(UInt8(ascii: "("))
        var dims: [Int] = []
        while true {
            skipSpaces()
            if peek == UInt8(ascii: ")") { position += 1; return dims }
            dims.append(try parseInteger())
            skipSpaces()
            if peek == UInt8(ascii: ",") { position += 1; continue }
            try expect(UInt8(ascii: ")"))
            return dims
        }
    }

    /// integer = digit { digit } ;  (a non-negative dim that fits in an Int)
    private mutating func parseInteger() throws(HeaderSyntaxError) -> Int {
        let start = position
        var value = 0
        while let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = shifted.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !overflowA, !overflowB else { throw error("a dim in 'shape' is too large") }
            value = next
            position += 1
        }
        guard position > start else { throw error("expected a non-negative integer dim in 'shape'") }
        return value
    }

    /// string = "'" { char } "'" | '"' { char } '"' ;  (no escapes: numpy's keys and descrs have none)
    private mutating func parseString() throws(HeaderSyntaxError) -> String {
        guard let quote = peek, quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else {
            throw error("expected a quoted string")
        }
        position += 1
        let start = position
        while let byte = peek, byte != quote {
            guard byte != UInt8(ascii: "\\"), byte != UInt8(ascii: "\n") else { throw error("unsupported character in a string") }
            position += 1
        }
        guard peek == quote else { throw error("unterminated string") }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        position += 1
        return text
    }

    private var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipSpaces() {
        while let byte = peek, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\t") {
            position += 1
        }
    }

    private mutating func consumeWord(_ word: String) -> Bool {
        let wordBytes = Array(word.utf8)
        guard position + wordBytes.count <= bytes.count, Array(bytes[position..<position + wordBytes.count]) == wordBytes
        else { return false }
        position += wordBytes.count
        return true
    }

    private mutating func expect(_ byte: UInt8) throws(HeaderSyntaxError) {
        skipSpaces()
        guard peek == byte else { throw error("expected '\(Character(Unicode.Scalar(byte)))'") }
        position += 1
    }

    private func error(_ message: String) -> HeaderSyntaxError {
        HeaderSyntaxError(message: message, offset: position)
    }
}

/// Why a header dictionary could not be read; `offset` is into the header text.
struct HeaderSyntaxError: Error {
    var message: String
    var offset: Int?
}
