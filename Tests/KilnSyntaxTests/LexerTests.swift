// LexerTests.swift: tokens, spans, literals, comments and lexical errors.

import KilnSource
import Testing
@testable import KilnSyntax

private func lex(_ text: String) -> ([Token], DiagnosticBag) {
    let result = Lexer.tokenize(SourceFile(path: "t.kiln", text: text))
    return (result.tokens, result.diagnostics)
}

@Test func tokenKindsAndSpans() {
    let (tokens, diagnostics) = lex("let x = a @ b ..< 3 -> += == != <= >= && || .T")
    #expect(!diagnostics.hasErrors)
    let kinds = tokens.map(\.kind)
    #expect(kinds == [.keyword(.let), .identifier, .assign, .identifier, .at, .identifier, .rangeUpTo, .integer,
                      .arrow, .plusAssign, .equal, .notEqual, .lessEqual, .greaterEqual, .andAnd, .orOr, .dot,
                      .identifier, .endOfFile])
    #expect(tokens[1].span == SourceSpan(file: "t.kiln", start: 4, end: 5))
    #expect(tokens[6].span == SourceSpan(file: "t.kiln", start: 14, end: 17))
}

@Test func numbersWithUnderscoresExponentsAndRanges() {
    let (tokens, diagnostics) = lex("1_024 2.5 1e-5 3E+2 0..<M")
    #expect(!diagnostics.hasErrors)
    #expect(tokens[0].integerValue == 1024)
    #expect(tokens[1].floatValue == 2.5)
    #expect(tokens[2].floatValue == 1e-5)
    #expect(tokens[3].floatValue == 300)
    #expect(tokens[4].kind == .integer && tokens[5].kind == .rangeUpTo)
}

@Test func hugeIntegerIsALocatedError() {
    let (tokens, diagnostics) = lex("let x = 99999999999999999999999")
    #expect(tokens[3].kind == .invalid)
    #expect(diagnostics.diagnostics.map(\.id.code) == ["K1003"])
    #expect(diagnostics.diagnostics[0].span == SourceSpan(file: "t.kiln", start: 8, end: 31))
}

@Test func hugeFloatExponentIsAnError() {
    let (_, diagnostics) = lex("1.0e999999")
    #expect(diagnostics.diagnostics.map(\.id.code) == ["K1004"])
}

@Test func numberGluedToLettersIsOneError() {
    let (tokens, diagnostics) = lex("12abc + 1")
    #expect(tokens[0].kind == .invalid)
    #expect(diagnostics.diagnostics.count == 1)
}

@Test func commentsNestAndNewlinesAreTracked() {
    let (tokens, diagnostics) = lex("a /* x /* y */ z */ b // c\n  d")
    #expect(!diagnostics.hasErrors)
    #expect(tokens.map(\.kind) == [.identifier, .identifier, .identifier, .endOfFile])
    #expect(tokens[0].startsLine && !tokens[1].startsLine && tokens[2].startsLine)
}

@Test func unterminatedCommentIsReportedAtItsStart() {
    let (_, diagnostics) = lex("a\n  /* never closed")
    #expect(diagnostics.diagnostics.map(\.id.code) == ["K1002"])
    #expect(diagnostics.diagnostics[0].span.start == 4)
}

@Test func aRunOfStrayCharactersIsOneError() {
    let (tokens, diagnostics) = lex("a $$$ b ` c")
    #expect(tokens.map(\.kind) == [.identifier, .identifier, .identifier, .endOfFile])
    #expect(diagnostics.diagnostics.count == 2)
    #expect(diagnostics.diagnostics[0].message.contains("'$' (and 2 more)"))
}

@Test func invalidUTF8AndUnicodeAreNamed() {
    let file = SourceFile(path: "t.kiln", bytes: [0x61, 0x20, 0xFF, 0x20, 0xC3, 0xA9])
    let (_, diagnostics) = Lexer.tokenize(file)
    #expect(diagnostics.diagnostics.count == 2)
    #expect(diagnostics.diagnostics[0].message.contains("0xFF (not valid UTF-8)"))
    #expect(diagnostics.diagnostics[1].message.contains("'é'"))
}

@Test func loneAmpersandIsStray() {
    let (_, diagnostics) = lex("a & b")
    #expect(diagnostics.diagnostics.map(\.id.code) == ["K1001"])
}
