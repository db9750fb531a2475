// ByteIO.swift: little-endian byte writing and bounds-checked reading that reports the offset of every failure.

import KilnSource

/// Appends little-endian fields to a byte array.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: Int) { append(UInt64(truncatingIfNeeded: value), count: 2) }
    mutating func u32(_ value: Int) { append(UInt64(truncatingIfNeeded: value), count: 4) }
    mutating func i64(_ value: Int) { append(UInt64(bitPattern: Int64(value)), count: 8) }
    mutating func f64(_ value: Double) { append(value.bitPattern, count: 8) }
    mutating func raw(_ data: [UInt8]) { bytes.append(contentsOf: data) }

    /// u32 byte length, then UTF-8.
    mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        u32(utf8.count)
        bytes.append(contentsOf: utf8)
    }

    private mutating func append(_ value: UInt64, count: Int) {
        for index in 0..<count { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
    }
}

/// Reads little-endian fields; every read checks the remaining length first and throws a located error.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset >= bytes.count }

    func error(_ make: (SourceSpan) -> Diagnostic, at start: Int, length: Int = 1) -> BytecodeError {
        BytecodeError(make(SourceSpan(file: BytecodeFormat.spanFile, start: start, end: start + max(1, length))))
    }

    private mutating func take(_ count: Int, _ what: String) throws(BytecodeError) -> ArraySlice<UInt8> {
        guard count <= remaining else {
            throw error({ DiagnosticCatalogue.bytecodeTruncated(needed: count, available: remaining, what: what, at: $0) },
                        at: offset)
        }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    private mutating func unsigned(_ count: Int, _ what: String) throws(BytecodeError) -> UInt64 {
        var value: UInt64 = 0
        for (index, byte) in try take(count, what).enumerated() { value |= UInt64(byte) << (8 * UInt64(index)) }
        return value
    }

    mutating func u8(_ what: String) throws(BytecodeError) -> UInt8 { UInt8(try unsigned(1, what)) }
    mutating func u16(_ what: String) throws(BytecodeError) -> Int { Int(try unsigned(2, what)) }
    mutating func u32(_ what: String) throws(BytecodeError) -> Int { Int(try unsigned(4, what)) }
    mutating func i64(_ what: String) throws(BytecodeError) -> Int { Int(Int64(bitPattern: try unsigned(8, what))) }
    mutating func f64(_ what: String) throws(BytecodeError) -> Double { Double(bitPattern: try unsigned(8, what)) }
    mutating func raw(_ count: Int, _ what: String) throws(BytecodeError) -> [UInt8] { Array(try take(count, what)) }

    /// A u32 element count, checked against the bytes left (each element takes at least `minimumSize`).
    mutating func count(_ what: String, minimumSize: Int) throws(BytecodeError) -> Int {
        let start = offset
        let value = try u32("the number of \(what)")
        if value > remaining / max(1, minimumSize) {
            throw error({ DiagnosticCatalogue.bytecodeTruncated(needed: value * max(1, minimumSize), available: remaining,
                                                                what: "\(value) \(what)", at: $0) }, at: start, length: 4)
        }
        return value
    }

    /// u32 length then UTF-8, at most `limit` bytes.
    mutating func string(_ what: String, limit: Int = 4096) throws(BytecodeError) -> String {
        let start = offset
        let length = try u32("the length of \(what)")
        guard length <= limit else {
            throw error({ DiagnosticCatalogue.bytecodeBadValue(what, "length \(length) is over the limit of \(limit) bytes", at: $0) },
                        at: start, length: 4)
        }
        let data = try raw(length, what)
        guard let text = String(validating: data, as: UTF8.self) else {
            throw error({ DiagnosticCatalogue.bytecodeBadValue(what, "not valid UTF-8", at: $0) }, at: start + 4, length: length)
        }
        return text
    }
}
