// TileLayoutTests.swift: the `tile` pass on `permute` and `reshape`: strided DMAs, no engine transpose, no scratch.

import KilnMachine
@testable import KilnPasses
import KilnPluginAPI
import KilnSource
import KilnTileIR
import Testing

@Test func attentionPermuteIsStridedRowsInBatchAndHeadLoops() throws {
    let module = try tiledModule(kernelModule("(%x: hbm bf16[2, 300, 4, 64]) -> (%out: hbm bf16[2, 4, 300, 64])", """
            %r = permute %x perm [0, 2, 1, 3] : bf16[2, 4, 300, 64]
            return %r
        """))
    let ops = opcodes(module)
    #expect(!ops.contains("pe.transpose") && !ops.contains("hbm.alloc"))
    #expect(loops(module.functions[0].body).map(\.upperBound) == [2])
    let loads = allOps(module).compactMap { $0.kind.asLoad }
    // Rows of S (a loop of two 128-row tiles, then 44) of one head: the slice [1, p, 1, 64] of x, p partitions a
    // stride of H * D apart.
    #expect(loads.count == 2)
    let tiles = allOps(module).compactMap { op -> TileType? in
        if case .alloc(let tile, _) = op.kind { return tile } else { return nil }
    }
    #expect(tiles.contains { $0.partitions == 128 && $0.freeDims == [1, 64] })
    #expect(tiles.contains { $0.partitions == 44 && $0.freeDims == [64] })
}

@Test func batchOnlyPermuteNeedsNoRegroupingCopy() throws {
    let module = try tiledModule(kernelModule("(%x: hbm f32[3, 2, 130, 70]) -> (%out: hbm f32[2, 3, 130, 70])", """
            %r = permute %x perm [1, 0, 2, 3] : f32[2, 3, 130, 70]
            return %r
        """))
    #expect(!opcodes(module).contains("dve.copy"))
}

@Test func reshapeOfMergedHeadsIsOneRunPerPartition() throws {
    let module = try tiledModule(kernelModule("(%x: hbm f32[2, 130, 96]) -> (%out: hbm f32[2, 130, 3, 32])", """
            %r = reshape %x : f32[2, 130, 3, 32]
            return %r
        """), target: .trn2)
    let tiles = allOps(module).compactMap { op -> TileType? in
        if case .alloc(let tile, _) = op.kind { return tile } else { return nil }
    }
    #expect(tiles.contains { $0.partitions == 128 && $0.freeDims == [96] })
    #expect(tiles.contains { $0.partitions == 128 && $0.freeDims == [3, 32] })
}

@Test func refinedDimsNestBothShapes() {
    let dims = ReshapeTiler.refined([4, 6], [8, 3])
    #expect(dims?.map(\.extent) == [4, 2, 3])
    #expect(dims?.map(\.stride) == [6, 3, 1])
    #expect(ReshapeTiler.refined([6, 4], [4, 6]) == nil)
}

@Test func verifierRejectsAPermuteThatMovesTheLastAxis() throws {
    let text = kernelModule("(%x: hbm f32[4, 8]) -> (%out: hbm f32[8, 4])", """
            %r = permute %x perm [1, 0] : f32[8, 4]
            return %r
        """)
    let module = try #require(TileIR.parse(SourceFile(path: "t.tir", text: text)).module)
    let problems = TileIR.verify(module)
    #expect(problems.contains { $0.message.contains("keeps the last axis") })
}
