// DiagnosticRendererTests.swift: line/column mapping and the rendered form of diagnostics.

import Testing
@testable import KilnSource

@Test func lineColumnOfOffsets() {
    let file = SourceFile(path: "a.kiln", text: "ab\ncd\n\nef")
    #expect(file.lineColumn(of: 0) == LineColumn(line: 1, column: 1))
    #expect(file.lineColumn(of: 3) == LineColumn(line: 2, column: 1))
    #expect(file.lineColumn(of: 7) == LineColumn(line: 4, column: 1))
    #expect(file.lineColumn(of: 999) == LineColumn(line: 4, column: 3))
    #expect(file.lineText(2) == "cd")
    #expect(file.lineText(3) == "")
}

@Test func renderedDiagnosticHasLocationLineAndCaret() {
    let file = SourceFile(path: "k.kiln", text: "kernel k() {\n  let x = y + 1\n}\n")
    let diagnostic = sample("expected a thing, found 'y'", at: SourceSpan(file: "k.kiln", start: 23, end: 24))
    let text = DiagnosticRenderer().render([diagnostic], in: file)
    #expect(text == "k.kiln:2:11: error: expected a thing, found 'y'\n  let x = y + 1\n          ^\n")
}

@Test func caretSpansTheRangeAndNotesRenderToo() {
    let file = SourceFile(path: "k.kiln", text: "\tlet abc = 1\n")
    let diagnostic = sample("expected ')' to close '(', found end of file", code: "K1104", at: SourceSpan(file: "k.kiln", start: 5, end: 8),
                            notes: [DiagnosticNote("'(' opened here", at: SourceSpan(file: "k.kiln", start: 1, end: 4))])
    let text = DiagnosticRenderer(showIDs: true).render(diagnostic, in: file)
    #expect(text.contains("k.kiln:1:6: error: expected ')' to close '(', found end of file [K1104]\n\tlet abc = 1\n\t    ^~~\n"))
    #expect(text.contains("k.kiln:1:2: note: '(' opened here"))
}

@Test func controlBytesAreSanitisedInTheEchoedLine() {
    let file = SourceFile(path: "k.kiln", bytes: [0x61, 0x01, 0x62])
    let text = DiagnosticRenderer().render(sample("stray byte 0x01", at: SourceSpan(file: "k.kiln", start: 1, end: 2)), in: file)
    #expect(text.contains("a?b\n ^\n"))
}

@Test func bagSortsBySpanAndCapsErrors() {
    var bag = DiagnosticBag(errorLimit: 2)
    for offset in [30, 10, 20] {
        bag.report(sample("stray '$'", at: SourceSpan(file: "k.kiln", start: offset, end: offset + 1)))
    }
    let sorted = bag.sorted()
    #expect(sorted.map(\.span.start) == [10, 30, 30])
    #expect(sorted.last?.id.code == "K9000")
}

/// A diagnostic made here (the catalogue's factories live with the stages, which this module knows nothing of).
private func sample(_ message: String, code: String = "K1001", at span: SourceSpan, notes: [DiagnosticNote] = []) -> Diagnostic {
    Diagnostic(id: DiagnosticID(code, "sample"), severity: .error, message: message, span: span, notes: notes)
}
