// PassContextTests.swift: the context passes report into.

import KilnMachine
import KilnPluginAPI
import KilnSource
import KilnTileIR
import Testing

@Test func contextLocatesReportsAtTheOp() {
    var context = PassContext(target: .trn1)
    let located = Operation(.constant(1), span: SourceSpan(file: "k.kiln", start: 4, end: 9))
    context.report(at: located) { DiagnosticCatalogue.tileIRExpected("a value", found: "'x'", at: $0) }
    let unlocated = Operation(.constant(1), textSpan: SourceSpan(file: "k.tir", start: 20, end: 22))
    context.report(at: unlocated) { DiagnosticCatalogue.tileIRExpected("a value", found: "'y'", at: $0) }
    #expect(context.hasErrors)
    #expect(context.diagnostics.map(\.span.file) == ["k.kiln", "k.tir"])
    #expect(context.diagnostics.map(\.span.start) == [4, 20])
}
