// ExampleFiles.swift: locating the repository's Examples/ and other fixture files from the tests.

import Foundation
import KilnDriver
import KilnSource

/// The target named by a `// target: NAME` line of a kernel file's header, if any.
func exampleTarget(ofSource text: String) -> String? {
    for line in text.split(separator: "\n").prefix(20) where line.hasPrefix("// target: ") {
        return String(line.dropFirst("// target: ".count)).trimmingCharacters(in: .whitespaces)
    }
    return nil
}

enum Repository {
    /// The repository root, found from this file's path (Tests/KilnDriverTests/ExampleFiles.swift).
    static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Every `Examples/*.kiln`, sorted by name.
    static var examples: [URL] {
        let directory = root.appendingPathComponent("Examples")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".kiln") }.sorted().map { directory.appendingPathComponent($0) }
    }

    /// Every `.kiln` file under `Tests/golden`, the broken programs among them.
    static var goldenPrograms: [URL] {
        let directory = root.appendingPathComponent("Tests/golden")
        guard let enumerator = FileManager.default.enumerator(atPath: directory.path) else { return [] }
        return enumerator.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".kiln") && !$0.contains("/Output/") }
            .sorted().map { directory.appendingPathComponent($0) }
    }

    /// The target an example runs on: the one its `// target: NAME` line names (the MX examples: trn3, the only
    /// target with the MX mode), else trn1.
    static func target(of url: URL) -> String {
        exampleTarget(ofSource: (try? String(contentsOf: url, encoding: .utf8)) ?? "") ?? "trn1"
    }

    static func source(_ url: URL) throws -> SourceFile {
        try Driver.loadSource(path: url.path)
    }
}
