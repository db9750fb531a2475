// FrontEndRobustnessTests.swift: thousands of mutated examples through the front end: no crash, located errors.

import Foundation
import KilnDriver
import KilnSource
import KilnSyntax
import Testing

/// A small deterministic generator (SplitMix64), so every run mutates the same way.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The ways a file is damaged: whole tokens deleted, duplicated or swapped; bytes deleted, duplicated,
/// replaced by random bytes; truncation at a random point.
enum Mutation: CaseIterable {
    case deleteToken, duplicateToken, swapTokens, deleteByte, duplicateByte, randomByte, truncate

    func apply(to bytes: [UInt8], tokens: [SourceSpan], using rng: inout SeededGenerator) -> [UInt8] {
        guard !bytes.isEmpty else { return bytes }
        var out = bytes
        switch self {
        case .deleteToken, .duplicateToken, .swapTokens:
            guard tokens.count >= 2 else { return out }
            let i = Int.random(in: 0..<(tokens.count - 1), using: &rng)
            let a = tokens[i], b = tokens[i + 1]
            switch self {
            case .deleteToken: out.removeSubrange(a.start..<a.end)
            case .duplicateToken: out.insert(contentsOf: bytes[a.start..<a.end] + [0x20], at: a.start)
            default:
                out.replaceSubrange(a.start..<b.end,
                                    with: Array(bytes[b.start..<b.end]) + Array(bytes[a.end..<b.start]) + Array(bytes[a.start..<a.end]))
            }
        case .deleteByte:
            out.remove(at: Int.random(in: 0..<out.count, using: &rng))
        case .duplicateByte:
            let i = Int.random(in: 0..<out.count, using: &rng)
            out.insert(out[i], at: i)
        case .randomByte:
            out[Int.random(in: 0..<out.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
        case .truncate:
            out.removeSubrange(Int.random(in: 0..<out.count, using: &rng)...)
        }
        return out
    }
}

/// Checks the front end's promise on one input: it returns, and every error is located inside the file
/// and renders as `path:line:col: error: ...`.
func expectLocatedDiagnostics(_ bytes: [UInt8], path: String) {
    let file = SourceFile(path: path, bytes: bytes)
    let result = Driver.runFrontEnd(file)
    for diagnostic in result.diagnostics.diagnostics {
        #expect(diagnostic.span.isKnown && diagnostic.span.start <= bytes.count && diagnostic.span.end <= bytes.count,
                "unlocated or out-of-file diagnostic \(diagnostic.id): \(diagnostic.message)")
    }
    let rendered = result.renderedDiagnostics()
    if result.hasErrors {
        #expect(rendered.hasPrefix(path + ":"), "first diagnostic is not located: \(rendered.prefix(200))")
    }
}

@Test(arguments: Repository.examples)
func mutatedExamplesNeverCrashTheFrontEnd(example: URL) throws {
    let original = try Repository.source(example).bytes
    let tokens = Lexer.tokenize(SourceFile(path: "", bytes: original)).tokens.dropLast().map(\.span)
    var rng = SeededGenerator(state: UInt64(truncatingIfNeeded: original.count &* 7919))
    let path = example.lastPathComponent
    var failures = 0
    for round in 0..<1500 {
        var bytes = original
        // One to three mutations on top of each other.
        for _ in 0...(round % 3) {
            let mutation = Mutation.allCases[Int.random(in: 0..<Mutation.allCases.count, using: &rng)]
            bytes = mutation.apply(to: bytes, tokens: bytes == original ? tokens : [], using: &rng)
        }
        expectLocatedDiagnostics(bytes, path: path)
        if Driver.runFrontEnd(SourceFile(path: path, bytes: bytes)).hasErrors { failures += 1 }
    }
    // Most mutations must break the program; if none did, the checker accepts garbage.
    #expect(failures > 300)
}

@Test func pathologicalInputsGiveDiagnosticsNotCrashes() {
    var rng = SeededGenerator(state: 42)
    let garbage = (0..<20_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
    expectLocatedDiagnostics(garbage, path: "garbage.kiln")
    expectLocatedDiagnostics(Array(String(repeating: "(", count: 50_000).utf8), path: "parens.kiln")
    expectLocatedDiagnostics(Array(("kernel k(x: f32[N]) -> f32[N] { return " + String(repeating: "-", count: 50_000) + "x }").utf8),
                             path: "minus.kiln")
    expectLocatedDiagnostics(Array("kernel k<N = 99999999999999999999999>(x: f32[N]) -> f32[N] { return x }".utf8), path: "huge.kiln")
    expectLocatedDiagnostics(Array("kernel k<N = 9223372036854775807>(x: f32[N, N]) -> f32[N, N] { return x @ x + x }".utf8),
                             path: "max.kiln")
    expectLocatedDiagnostics([], path: "empty.kiln")
    expectLocatedDiagnostics(Array(String(repeating: "kernel ", count: 10_000).utf8), path: "kernels.kiln")
}
