// SourceFile.swift: a source text held as bytes, with line starts for turning byte offsets into line:col.

/// A half-open byte range `[start, end)` in one source file. Every token, AST node and IR op carries one;
/// line and column are computed only when a diagnostic is rendered.
public struct SourceSpan: Hashable, Sendable, CustomStringConvertible {
    /// The file the offsets index: its path as the user gave it (`SourceFile.path`), empty when unknown.
    /// A diagnostic renders against the file its span names, so no one carries a file beside a span.
    public var file: String
    public var start: Int
    public var end: Int

    public init(file: String, start: Int, end: Int) {
        self.file = file
        self.start = start
        self.end = max(start, end)
    }

    /// A span with no known position (for synthesised nodes).
    public static let unknown = SourceSpan(file: "", start: -1, end: -1)

    public var isKnown: Bool { start >= 0 }
    public var length: Int { end - start }

    /// The span of the same file from `start` to `end`.
    public func with(start: Int, end: Int) -> SourceSpan { SourceSpan(file: file, start: start, end: end) }

    /// The smallest span covering both (in this span's file).
    public func merged(with other: SourceSpan) -> SourceSpan {
        guard isKnown else { return other }
        guard other.isKnown else { return self }
        return with(start: Swift.min(start, other.start), end: Swift.max(end, other.end))
    }

    public var description: String { "\(start)..<\(end)" }
}

/// A 1-based line and column (columns count bytes, as compilers' carets do).
public struct LineColumn: Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public var description: String { "\(line):\(column)" }
}

/// One source file: its path as given by the user and its bytes.
public final class SourceFile: Sendable {
    public let path: String
    public let bytes: [UInt8]
    /// Byte offset at which each line starts; `lineStarts[0] == 0`.
    public let lineStarts: [Int]

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
        var starts = [0]
        for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            starts.append(offset + 1)
        }
        self.lineStarts = starts
    }

    public convenience init(path: String, text: String) {
        self.init(path: path, bytes: Array(text.utf8))
    }

    /// Line and column of a byte offset (clamped into the file).
    public func lineColumn(of offset: Int) -> LineColumn {
        let clamped = Swift.max(0, Swift.min(offset, bytes.count))
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= clamped { low = mid } else { high = mid - 1 }
        }
        return LineColumn(line: low + 1, column: clamped - lineStarts[low] + 1)
    }

    /// The text of a 1-based line, without its newline; invalid UTF-8 is replaced.
    public func lineText(_ line: Int) -> String {
        guard line >= 1, line <= lineStarts.count else { return "" }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: bytes[start..<Swift.max(start, end)], as: UTF8.self)
    }

    /// A span of this file.
    public func span(_ start: Int, _ end: Int) -> SourceSpan { SourceSpan(file: path, start: start, end: end) }

    /// The source text a span covers.
    public func text(of span: SourceSpan) -> String {
        guard span.isKnown else { return "" }
        let start = Swift.max(0, Swift.min(span.start, bytes.count))
        let end = Swift.max(start, Swift.min(span.end, bytes.count))
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
