// TileExamplesTests.swift: every kernel in Examples/ tiles through `fuse` and `tile` and verifies, on every target.

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

@Test func theExamplesDirectoryHasKernels() {
    #expect(!exampleFiles.isEmpty)
}

@Test(arguments: exampleFiles, ["trn1", "trn2"])
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
    for target in ["trn1", "trn2"] {
        let compilation = Driver.compile(source, dims: [:], options: PipelineOptions(target: target, verifyEach: true))
        #expect(!compilation.hasErrors, "\(target): \(compilation.pipeline?.diagnostics.map(\.message) ?? [])")
    }
}
