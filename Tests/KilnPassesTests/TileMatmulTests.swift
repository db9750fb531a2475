// TileMatmulTests.swift: the `tile` pass on matmuls (blocking, PSUM accumulation, epilogues) and transposes.

import KilnMachine
@testable import KilnPasses
import KilnPluginAPI
import KilnSource
import KilnTileIR
import Testing

func matmulText(_ m: Int, _ k: Int, _ n: Int, element: String = "bf16", target: String = "trn1") -> String {
    kernelModule("(%a: hbm \(element)[\(m), \(k)], %b: hbm \(element)[\(k), \(n)]) -> (%out: hbm f32[\(m), \(n)])", """
            %c = matmul %a, %b : f32[\(m), \(n)] loc(10:15)
            return %c
        """, target: target)
}

private func matmuls(_ module: Module) -> [PEMatmul] {
    allOps(module).compactMap { $0.kind.asMatmul }
}

@Test func matmul1024CubedAccumulatesEightKTilesIntoTwoBanksPerRowTile() throws {
    let module = try tiledModule(matmulText(1024, 1024, 1024))
    let body = module.functions[0].body
    // One column block of 2 x 512 (the whole of N), B loaded once: 8 K tiles x 2 subtiles, then a loop over
    // 8 row tiles.
    let bLoads = body.ops.filter { $0.opcode == "dma.load" }
    #expect(bLoads.count == 16)
    let rowLoop = try #require(loops(body).first)
    #expect(rowLoop.upperBound == 8)
    let products = matmuls(module)
    #expect(products.count == 16)
    #expect(products.filter { $0.start == .always }.count == 2 && products.filter { $0.stop == .always }.count == 2)
    #expect(products.first?.start == .always && products.last?.stop == .always)
    let inLoop = rowLoop.body.ops.map(\.opcode)
    #expect(inLoop.filter { $0 == "pe.transpose" }.count == 8)
    #expect(inLoop.filter { $0 == "dma.store" }.count == 2)
    #expect(inLoop.filter { $0 == "dve.copy" }.count == 8 + 2)  // A^T evacuations, then the two accumulators
}

@Test func matmulOnTrn2LoadsStationaryTilesByTransposingDMA() throws {
    let module = try tiledModule(matmulText(256, 256, 512, target: "trn2"), target: .trn2)
    #expect(!opcodes(module).contains("pe.transpose"))
    #expect(allOps(module).contains { $0.kind.asLoad?.transpose == true })
}

@Test func matmulRemaindersGetSmallerTilesInEveryDimension() throws {
    let module = try tiledModule(matmulText(300, 200, 700))
    let products = matmuls(module)
    let tiles = Dictionary(allOps(module).compactMap { op -> (ValueID, TileType)? in
        if case .alloc(let tile, _) = op.kind, let result = op.result { (result.id, tile) } else { nil }
    }, uniquingKeysWith: { first, _ in first })
    let shapes = Set(products.compactMap { product in
        tiles[product.stationary].flatMap { s in tiles[product.moving].map { [s.partitions, s.freeElements, $0.freeElements] } }
    })
    #expect(shapes == [[128, 128, 512], [128, 128, 188], [72, 128, 512], [72, 128, 188],
                       [128, 44, 512], [128, 44, 188], [72, 44, 512], [72, 44, 188]])
}

@Test func matmulBlockingKeepsTheBSlabResidentForTheBenchmarkShape() throws {
    // M=4096, K=8192, N=8192 bf16 on trn1: 64 K tiles x 512 columns x 2 bytes = 64 KiB per accumulator's slab;
    // two fit beside A's tiles and the epilogue, so B is read once and A once per 1024-column block.
    let sizes = TileSizes.defaults(for: .trn1)
    let choice = MatmulBlocking.choose(m: 4096, k: 8192, n: 8192, element: .bf16, sizes: sizes, target: .trn1)
    let blocking = try #require(choice.blocking)
    #expect(blocking.subtiles == 2 && blocking.blockWidth == 1024 && blocking.slabBytes == 131_072)
    #expect(choice.bytesPerSlab == 65_536)
    // Every DMA of B moves 1 KiB per partition; A's 256-byte tiles are re-read once per block (8 times).
    let module = try tiledModule(matmulText(4096, 8192, 8192))
    let blockLoop = try #require(loops(module.functions[0].body).first)
    #expect(blockLoop.upperBound == 8)
    #expect(blockLoop.body.ops.filter { $0.opcode == "dma.load" }.count == 128)
    #expect(matmuls(module).count == 128)
}

@Test func scheduleTileSizesAreUsedAndOutOfRangeOnesReported() throws {
    var sizes = TileSizes.resolve(["tile_m": 64, "tile_n": 256, "tile_k": 128], target: .trn1) { _, _, _ in
        Issue.record("in-range sizes must not be reported")
    }
    #expect(sizes == TileSizes(m: 64, n: 256, k: 128, accumulators: 4))
    var reported: [String] = []
    sizes = TileSizes.resolve(["tile_n": 1024, "tile_k": 0], target: .trn1) { key, _, _ in reported.append(key) }
    #expect(sizes == TileSizes.defaults(for: .trn1) && reported.sorted() == ["tile_k", "tile_n"])

    let text = kernelModule("(%a: hbm bf16[256, 256], %b: hbm bf16[256, 1024]) -> (%out: hbm f32[256, 1024]) "
        + "schedule(tile_n = 2048)", """
            %c = matmul %a, %b : f32[256, 1024]
            return %c
        """)
    let (_, report) = try runPipeline("fuse,tile", on: text)
    #expect(report.diagnostics.map(\.id.code) == ["K3604"])
}

let matmulBiasGeluText = kernelModule(
    "(%a: hbm bf16[256, 768], %b: hbm bf16[768, 1024], %bias: hbm f32[1, 1024]) -> (%out: hbm bf16[256, 1024])", """
        %h0 = matmul %a, %b : f32[256, 1024] loc(10:15)
        %bb = broadcast %bias : f32[256, 1024] loc(18:22)
        %h = add %h0, %bb : f32[256, 1024] loc(10:22)
        %g = gelu %h : f32[256, 1024] loc(30:37)
        %r = cast %g : bf16[256, 1024] loc(30:44)
        return %r
    """)

@Test func biasAndGeluFuseIntoThePSUMEvacuation() throws {
    let module = try tiledModule(matmulBiasGeluText)
    let body = module.functions[0].body
    #expect(body.ops.allSatisfy { $0.fusionGroup == nil })
    let rowLoop = try #require(loops(body).first)
    // The bias row is loaded once per subtile (broadcast across partitions) outside the row loop.
    let hoisted = body.ops.compactMap { op -> DMATransfer? in if let t = op.kind.asLoad, t.broadcast { t } else { nil } }
    #expect(hoisted.count == 2)
    // Per accumulator: add reads PSUM directly, gelu on the scalar engine, convert, store.
    let epilogue = rowLoop.body.ops.map(\.opcode).filter { ["dve.tensor_tensor", "act.activate", "dma.store"].contains($0) }
    #expect(epilogue == ["dve.tensor_tensor", "act.activate", "dma.store", "dve.tensor_tensor", "act.activate", "dma.store"])
    let adds = allOps(module).compactMap { op -> ValueID? in
        if let t = op.kind.asTensorTensor, t.op == .add { t.a } else { nil }
    }
    let psum = Set(allOps(module).compactMap { op -> ValueID? in
        if case .alloc(let tile, _) = op.kind, tile.space == .psum, tile.element == .f32 { op.result?.id } else { nil }
    })
    #expect(!adds.isEmpty && adds.allSatisfy(psum.contains))
}

@Test func transposeUsesTheTensorEngineOnTrn1AndADMAOnTrn2() throws {
    let text = { (target: String) in
        kernelModule("(%x: hbm f32[256, 384]) -> (%out: hbm f32[384, 256])", """
                %t = transpose %x : f32[384, 256] loc(3:6)
                return %t
            """, target: target)
    }
    let trn1 = try tiledModule(text("trn1"))
    #expect(opcodes(trn1).filter { $0 == "pe.transpose" }.count == 1)
    let outer = try #require(loops(trn1.functions[0].body).first)
    #expect(outer.upperBound == 2 && loops(outer.body).first?.upperBound == 3)
    let trn2 = try tiledModule(text("trn2"), target: .trn2)
    #expect(opcodes(trn2) == ["for", "for", "dma.load", "dma.store", "return"])
}
