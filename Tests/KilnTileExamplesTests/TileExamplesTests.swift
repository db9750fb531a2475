// TileExamplesTests.swift: every kernel in Examples/ tiles through `fuse` and `tile` and verifies, on trn1 and trn2 or its own target.

import Foundation
import KilnDriver
import KilnMachine
import KilnSource
import KilnTileIR
import Testing

/// Every `Examples/*.kiln`, found from this file's path (Tests/KilnTileExamplesTests/...), sorted by name.
private let exampleFiles: [URL] = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let directory = root.appendingPathComponent("Examples")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return names.filter { $0.hasSuffix(".kiln") }.sorted().map { directory.appendingPathComponent($0) }
}()

/// The targets an example compiles for: the one its `// target: NAME` header line names (the MX examples: trn3, the
/// only target with the MX mode; trn1 and trn2 reject them, Tests/golden/diagnostics/mx-on-trn1.test), else trn1
/// and trn2.
private func targets(of example: URL) -> [String] {
    let text = (try? String(contentsOf: example, encoding: .utf8)) ?? ""
    for line in text.split(separator: "\n").prefix(20) where line.hasPrefix("// target: ") {
        return [String(line.dropFirst("// target: ".count)).trimmingCharacters(in: .whitespaces)]
    }
    return ["trn1", "trn2"]
}

/// Each example with each of its targets.
private let exampleTargets: [(URL, String)] = exampleFiles.flatMap { url in targets(of: url).map { (url, $0) } }

@Test func theExamplesDirectoryHasKernels() {
    #expect(exampleTargets.contains { $0.0.lastPathComponent == "matmul_mx.kiln" && $0.1 == "trn3" })
    #expect(!exampleFiles.isEmpty)
}

@Test(arguments: exampleTargets)
func exampleTilesAndVerifies(example: URL, target: String) throws {
    let source = try Driver.loadSource(path: example.path)
    let options = PipelineOptions(target: target, passes: "inline,canonicalize,cse,fuse,tile,dce", verifyEach: true)
    let compilation = Driver.compile(source, dims: [:], options: options)
    let problems = compilation.diagnostics.diagnostics.map(\.message)
        + (compilation.pipeline?.diagnostics.map(\.message) ?? [])
    #expect(!compilation.hasErrors, "\(problems)")
    let module = try #require(compilation.module)
    let machine = try #require(MachineTarget.named(target))
    #expect(TileIR.verify(module, target: machine).isEmpty)
    // Tiled: no tensor-level op is left in a kernel but scalar math (`sqrt(D as f32)` in a tile-level kernel stays for
    // the backends to compute once, TileTensorOps).
    for function in module.functions where function.outputs.allSatisfy({ $0.type.hbmType != nil }) {
        #expect(!function.body.ops.contains { op in
            guard op.kind.isTensorLevel, op.opcode != "call" else { return false }
            if case .scalar = op.result?.type { return false }
            return true
        }, "@\(function.name)")
    }
    // The printed IR parses back to the same text.
    let printed = TileIR.print(module)
    #expect(TileIR.parse(SourceFile(path: "out.tir", text: printed)).module.map { TileIR.print($0) } == printed)
}

@Test(arguments: exampleFiles)
func exampleRunsTheWholeDefaultPipeline(example: URL) throws {
    let source = try Driver.loadSource(path: example.path)
    for target in targets(of: example) {
        let compilation = Driver.compile(source, dims: [:], options: PipelineOptions(target: target, verifyEach: true))
        #expect(!compilation.hasErrors, "\(target): \(compilation.pipeline?.diagnostics.map(\.message) ?? [])")
    }
}
