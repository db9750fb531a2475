// GrammarCoverageTests.swift: Grammar/kiln.ebnf and the parser agree, and every rule is exercised by a program.

import Foundation
import KilnSource
import Testing
@testable import KilnSyntax

private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// Rule names defined in the EBNF file (`name = ... ;` at the start of a line).
private func grammarRuleNames() throws -> [String] {
    let text = try String(contentsOf: repositoryRoot.appendingPathComponent("Grammar/kiln.ebnf"), encoding: .utf8)
    return text.split(separator: "\n").compactMap { line in
        let parts = line.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, let first = line.first, first.isLetter else { return nil }
        let name = parts[0].trimmingCharacters(in: .whitespaces)
        return name.allSatisfy { $0.isLetter || $0 == "_" } ? name : nil
    }
}

/// Every program the repository ships: the examples and the golden tests' programs.
private func programFiles() -> [URL] {
    var files: [URL] = []
    for folder in ["Examples", "Tests/golden"] {
        let base = repositoryRoot.appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(atPath: base.path) else { continue }
        for case let path as String in walker where path.hasSuffix(".kiln") && !path.contains("Output/") {
            files.append(base.appendingPathComponent(path))
        }
    }
    return files
}

@Test func parserRulesMatchTheGrammarFile() throws {
    let names = try grammarRuleNames()
    #expect(Set(names) == Set(GrammarRule.allCases.map(\.rawValue)),
            "in grammar only: \(Set(names).subtracting(GrammarRule.allCases.map(\.rawValue))); in parser only: \(Set(GrammarRule.allCases.map(\.rawValue)).subtracting(names))")
}

@Test func everyExampleParsesWithoutErrors() throws {
    let examples = programFiles().filter { $0.path.contains("/Examples/") }
    #expect(examples.count >= 13)
    for url in examples {
        let source = SourceFile(path: url.lastPathComponent, bytes: Array(try Data(contentsOf: url)))
        let (_, diagnostics) = Parser.parse(source: source)
        #expect(!diagnostics.hasErrors, "\(url.lastPathComponent): \(diagnostics.diagnostics.map(\.message))")
    }
}

@Test func everyGrammarRuleIsUsedByAnExampleOrTest() throws {
    var used = GrammarRuleSet()
    for url in programFiles() {
        let source = SourceFile(path: url.lastPathComponent, bytes: Array(try Data(contentsOf: url)))
        used.formUnion(Parser.parseRecordingRules(source: source).2)
    }
    let unused = GrammarRule.allCases.filter { !used.contains($0) }
    #expect(unused.isEmpty, "grammar rules no example or test program uses: \(unused.map(\.rawValue))")
}
