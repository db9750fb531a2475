// ExampleTests.swift: every example program checks without diagnostics and binds its dims from defaults.

import KilnSema
import KilnSource
import KilnSyntax
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `Examples/*.kiln` files of the repository, found relative to this test file.
private func exampleFiles() -> [String] {
    let testsDir = String(#filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3)
        .joined(separator: "/"))
    let dir = testsDir + "/Examples"
    guard let handle = opendir(dir) else { return [] }
    defer { closedir(handle) }
    var names: [String] = []
    while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name.hasSuffix(".kiln") { names.append(dir + "/" + name) }
    }
    return names.sorted()
}

private func read(_ path: String) -> String? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        bytes.append(contentsOf: buffer[0..<count])
        if count < buffer.count { break }
    }
    return String(decoding: bytes, as: UTF8.self)
}

@Test func everyExampleChecksCleanlyAndBindsItsDims() {
    let files = exampleFiles()
    #expect(files.count >= 10, "found \(files.count) examples")
    for path in files {
        guard let text = read(path) else {
            Issue.record("cannot read \(path)")
            continue
        }
        let c = checkSource(text)
        #expect(c.parseDiagnostics.isEmpty && c.diagnostics.isEmpty, "\(path):\n\(c.summary)")
        for kernel in c.program.kernels {
            let (bound, bag) = kernel.bindDims([:])
            #expect(bound != nil, "\(path) kernel \(kernel.name): \(bag.sorted().map(\.message))")
        }
        #expect(!ASTDumper.dump(c.program, source: c.source).contains("<error>"), "\(path)")
    }
}
