// DiagnosticRenderer.swift: renders diagnostics as `path:line:col: severity: message`, the source line and a caret.

public struct DiagnosticRenderer: Sendable {
    public var showIDs: Bool

    public init(showIDs: Bool = false) {
        self.showIDs = showIDs
    }

    /// Renders every diagnostic of a file, in source order, each followed by its notes.
    public func render(_ diagnostics: [Diagnostic], in file: SourceFile) -> String {
        var out = ""
        for diagnostic in diagnostics {
            out += render(diagnostic, in: file)
        }
        return out
    }

    public func render(_ diagnostic: Diagnostic, in file: SourceFile) -> String {
        var message = diagnostic.message
        if showIDs { message += " [\(diagnostic.id.code)]" }
        var out = block(severity: diagnostic.severity.rawValue, message: message, span: diagnostic.span, file: file)
        for note in diagnostic.notes {
            if let span = note.span, span.isKnown {
                out += block(severity: "note", message: note.message, span: span, file: file)
            } else {
                out += "\(file.path): note: \(note.message)\n"
            }
        }
        return out
    }

    private func block(severity: String, message: String, span: SourceSpan, file: SourceFile) -> String {
        guard span.isKnown else { return "\(file.path): \(severity): \(message)\n" }
        let position = file.lineColumn(of: span.start)
        var out = "\(file.path):\(position.line):\(position.column): \(severity): \(message)\n"
        let line = sanitized(file.lineText(position.line))
        out += line + "\n"
        let lineEnd = position.line < file.lineStarts.count ? file.lineStarts[position.line] - 1 : file.bytes.count
        let caretWidth = max(1, min(span.end, lineEnd) - span.start)
        let lineStart = file.lineStarts[position.line - 1]
        let prefix = file.bytes[lineStart..<min(span.start, file.bytes.count)]
        // One space per displayed character: UTF-8 continuation bytes take no column; tabs stay tabs.
        let indent = String(prefix.compactMap { byte -> Character? in
            if byte & 0xC0 == 0x80 { return nil }
            return byte == UInt8(ascii: "\t") ? "\t" : " "
        })
        out += indent + "^" + String(repeating: "~", count: max(0, min(caretWidth, 200) - 1)) + "\n"
        return out
    }

    /// Control bytes would garble a terminal; show them as `?` (tabs are kept so carets line up).
    private func sanitized(_ line: String) -> String {
        String(String.UnicodeScalarView(line.unicodeScalars.map { scalar in
            (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7F ? "?" : scalar
        }))
    }
}
