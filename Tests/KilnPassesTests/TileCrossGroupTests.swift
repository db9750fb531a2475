// TileCrossGroupTests.swift: `tile` for what crosses partitions or groups: axis-0 and rank-1 reductions, scratch tensors, scalar math.

import KilnMachine
@testable import KilnPasses
import KilnPluginAPI
import KilnSource
import KilnTileIR
import Testing

private func matmuls(_ module: Module) -> [PEMatmul] {
    allOps(module).compactMap { $0.kind.asMatmul }
}

private func transfers(_ module: Module, stores: Bool) -> [DMATransfer] {
    allOps(module).compactMap { op in
        switch op.kind {
        case .engine(let i) where i.op == .dmaLoad && !stores: op.kind.asTransfer
        case .engine(let i) where i.op == .dmaStore && stores: op.kind.asTransfer
        default: nil
        }
    }
}

@Test func columnSumsAccumulateOnesMatmulsOverRowTiles() throws {
    // 300 rows: a loop of 2 x 128 (start on the first iteration, never stop) and a peeled 44 that stops;
    // both sums read %x, so they share one loop (sibling fusion).
    let text = kernelModule("(%x: hbm f32[300, 64]) -> (%s: hbm f32[1, 64], %m: hbm f32[1, 64])", """
            %total = reduce sum %x axis 0 : f32[1, 64]
            %average = reduce mean %x axis 0 : f32[1, 64]
            return %total, %average
        """)
    for target in [MachineTarget.trn1, .trn2] {
        let module = try tiledModule(text, target: target)
        let found = matmuls(module)
        #expect(found.count == 4)
        guard found.count == 4 else { continue }
        for inLoop in found[0..<2] {
            guard case .when(_, 0) = inLoop.start else {
                Issue.record("expected a conditional start on the loop's first iteration")
                continue
            }
            #expect(inLoop.stop == .never)
        }
        #expect(found[2...].allSatisfy { $0.start == .never && $0.stop == .always })
        #expect(Set(found.map(\.accumulator)).count == 2)
        // The mean divides the f32 sum by 300 once (Docs/numerics.md, "Reduction order"), never multiplies by 1/300.
        let scales = allOps(module).compactMap { $0.kind.asActivation?.scale }
        #expect(scales.isEmpty)
        let divisions = allOps(module).compactMap { $0.kind.asTensorScalar }.filter { $0.op == .div }
        #expect(divisions.map(\.scalar) == [.constant(300)])
        #expect(transfers(module, stores: true).map(\.offsets) == [[.constant(0), .constant(0)], [.constant(0), .constant(0)]])
    }
}

@Test func columnMaxTransposesRowTilesAndCombinesTheirColumns() throws {
    let text = kernelModule("(%x: hbm f32[256, 200]) -> (%m: hbm f32[1, 200])", """
            %peak = reduce max %x axis 0 : f32[1, 200]
            return %peak
        """)
    let trn1 = try tiledModule(text, target: .trn1)
    // Column blocks of 128 and 72; per block: the first row tile initialises, the second combines.
    #expect(opcodes(trn1).filter { $0 == "pe.transpose" }.count == 6)
    #expect(opcodes(trn1).filter { $0 == "dve.tensor_tensor" }.count == 2)
    let trn2 = try tiledModule(text, target: .trn2)
    #expect(transfers(trn2, stores: false).allSatisfy { $0.transpose })
    #expect(opcodes(trn2).filter { $0 == "pe.transpose" }.count == 2)
}

@Test func rankOneTensorsRunOnAFlatViewWithATail() throws {
    // 1000 = 128 x 7 + 104: one [128 | 7] tile by flat DMA, then a [1 | 104] tail at offset 896.
    let text = kernelModule("(%x: hbm f32[1000], %y: hbm f32[1000], %a: f32 = 2.0) -> (%out: hbm f32[1000])", """
            %ab = broadcast %a : f32[1000]
            %ax = mul %ab, %x : f32[1000]
            %r = add %ax, %y : f32[1000]
            return %r
        """)
    let module = try tiledModule(text, pipeline: "fuse,tile,dce")
    let stores = transfers(module, stores: true)
    #expect(stores.map(\.offsets) == [[.constant(0)], [.constant(896)]])
    let shapes = allOps(module).compactMap { op -> [Int]? in
        if case .alloc(let tile, _) = op.kind { tile.shape } else { nil }
    }
    #expect(Set(shapes) == [[128, 7], [1, 104]])
}

@Test func rankOneSumsAddInOrderAndExtremesReduceChunksThenAcrossPartitions() throws {
    let text = kernelModule("(%x: hbm f32[70000]) -> (%s: hbm f32[1], %m: hbm f32[1])", """
            %total = reduce sum %x axis 0 : f32[1]
            %peak = reduce max %x axis 0 : f32[1]
            return %total, %peak
        """)
    let module = try tiledModule(text)
    // The sum adds in order on one partition (Docs/numerics.md, "Reduction order"): [1 | 8192] chunks at 0, 8192,
    // ... (a loop of 7 after the peeled first: 8 x 8192 = 65536) and the last 4464, each going on from the running sum.
    // The max: 70000 = 128 x 546 + 112, chunks of 512 and 34 per partition, then the tail.
    #expect(matmuls(module).isEmpty)
    #expect(opcodes(module).filter { $0 == "pe.transpose" }.count == 1)
    #expect(transfers(module, stores: false).map { $0.offsets[0].constant }.sorted() == [0, 0, 8192, 65536, 65536, 69888])
    let continued = allOps(module).filter {
        guard case .engine(let instruction) = $0.kind, instruction.op == .dveReduce else { return false }
        return instruction.scalar(3) != .constant(0)
    }
    #expect(continued.count == 2)
}

@Test func valuesCrossingGroupsGoThroughScratchAndGroupsRunInDependencyOrder() throws {
    // The attention shape: a transpose of an input, a matmul of it, a softmax (its own group), a cast,
    // and a matmul of the computed probabilities, tiled group by group (`chains=0`; by default it is one on-chip
    // chain: TileMatmulRowChainTests).
    let text = kernelModule("(%q: hbm bf16[256, 64], %k: hbm bf16[256, 64], %v: hbm bf16[256, 64]) -> (%out: hbm f32[256, 64])", """
            %kt = transpose %k : bf16[64, 256]
            %s = matmul %q, %kt : f32[256, 256]
            %m = reduce max %s axis 1 : f32[256, 1]
            %mb = broadcast %m : f32[256, 256]
            %d = sub %s, %mb : f32[256, 256]
            %e = exp %d : f32[256, 256]
            %t = reduce sum %e axis 1 : f32[256, 1]
            %tb = broadcast %t : f32[256, 256]
            %p = div %e, %tb : f32[256, 256]
            %pb = cast %p : bf16[256, 256]
            %o = matmul %pb, %v : f32[256, 64]
            return %o
        """)
    for target in [MachineTarget.trn1, .trn2] {
        let module = try tiledModule(text, target: target, pipeline: "fuse,tile{chains=0}")
        let scratch = allOps(module).filter { $0.opcode == "hbm.alloc" }.compactMap(\.result)
        #expect(scratch.map(\.type) == [.hbm(TensorType(.bf16, [64, 256])), .hbm(TensorType(.f32, [256, 256])),
                                         .hbm(TensorType(.bf16, [256, 256]))])
        // Each scratch tensor is stored before it is loaded.
        let order = allOps(module).compactMap { op -> (ValueID, Bool)? in
            switch op.kind {
            case .engine(let i) where i.op == .dmaStore: (i.slice(1).tensor, true)
            case .engine(let i) where i.op == .dmaLoad: (i.slice(0).tensor, false)
            default: nil
            }
        }
        for tensor in scratch.map(\.id) {
            let accesses = order.filter { $0.0 == tensor }
            #expect(accesses.first?.1 == true && accesses.contains { !$0.1 })
        }
    }
}

@Test func scalarMathOnParametersRunsOnAOneElementTile() throws {
    let text = kernelModule("(%x: hbm f32[128, 64], %a: f32 = 2.0) -> (%out: hbm f32[128, 64])", """
            %one = constant 1.0 : f32
            %aa = mul %a, %a : f32
            %b = add %aa, %one : f32
            %bb = broadcast %b : f32[128, 64]
            %r = mul %x, %bb : f32[128, 64]
            return %r
        """)
    let module = try tiledModule(text)
    let scratch = allOps(module).filter { $0.opcode == "hbm.alloc" }.compactMap(\.result)
    #expect(scratch.map(\.type) == [.hbm(TensorType(.f32, [1]))])
    let broadcastLoads = transfers(module, stores: false).filter(\.broadcast)
    #expect(broadcastLoads.count == 1 && broadcastLoads.first?.hbm == scratch.first?.id)
}

@Test func aFreeAxisTooWideForSBUFIsSplitIntoChunks() throws {
    // One f32 row of 60000 elements takes 240000 bytes per partition: more than trn1's 196608.
    let text = kernelModule("(%x: hbm f32[256, 60000], %w: hbm f32[60000]) -> (%out: hbm f32[256, 60000])", """
            %e = exp %x : f32[256, 60000]
            %wb = broadcast %w : f32[256, 60000]
            %r = mul %e, %wb : f32[256, 60000]
            return %r
        """)
    let module = try tiledModule(text)
    // An outer loop over chunks (the row loop inside), then the last, narrower chunk with its own row loop.
    let outer = loops(module.functions[0].body)
    #expect(outer.map { loops($0.body).count } == [1, 0])
    #expect(outer.first.map { loops($0.body).map(\.upperBound) } == [2])
    let widths = Set(allOps(module).compactMap { op -> Int? in
        if case .alloc(let tile, _) = op.kind { tile.freeDims.last } else { nil }
    })
    #expect(widths.allSatisfy { $0 < 60000 } && widths.contains { $0 % 512 == 0 })
}

@Test func rowReductionsOverAFreeAxisTooWideForSBUFCombinePartialReductions() throws {
    // A softmax over 65536 f32 columns: a max pass, a sum pass, then the output pass, per row tile.
    let text = kernelModule("(%x: hbm f32[128, 65536]) -> (%out: hbm f32[128, 65536], %mean: hbm f32[128, 1])", """
            %m = reduce max %x axis 1 : f32[128, 1]
            %mb = broadcast %m : f32[128, 65536]
            %d = sub %x, %mb : f32[128, 65536]
            %e = exp %d : f32[128, 65536]
            %s = reduce sum %e axis 1 : f32[128, 1]
            %sb = broadcast %s : f32[128, 65536]
            %r = div %e, %sb : f32[128, 65536]
            %mu = reduce mean %x axis 1 : f32[128, 1]
            return %r, %mu
        """)
    for target in [MachineTarget.trn1, .trn2] {
        let module = try tiledModule(text, target: target)
        let combines = allOps(module).compactMap { op -> BinaryOperator? in
            if let t = op.kind.asTensorTensor, t.a == t.destination { t.op } else { nil }
        }
        // The max: one combine in the loop over chunks, one for the last, narrower chunk. The sums go on from the
        // running sum instead (`dve.reduce add ... initial %acc`: Docs/numerics.md, "Reduction order"), in the
        // loop and for the last chunk, for the sum and for the mean; the mean then divides once.
        #expect(combines == [.max, .max])
        let continued = allOps(module).filter {
            guard case .engine(let instruction) = $0.kind, instruction.op == .dveReduce else { return false }
            return instruction.scalar(3) != .constant(0)
        }
        #expect(continued.count == 4)
        #expect(allOps(module).compactMap { $0.kind.asTensorScalar }.filter { $0.op == .div }.map(\.scalar).contains(.constant(65536)))
        let fullStores = transfers(module, stores: true).filter { $0.hbm == module.functions[0].outputs[0].id }
        #expect(fullStores.count == 2 && fullStores.first?.offsets[1].terms.isEmpty == false)
        let columnStores = transfers(module, stores: true).filter { $0.hbm == module.functions[0].outputs[1].id }
        #expect(columnStores.count == 1)
    }
}

@Test func sumsAcrossRowsAccumulateInsideTheLoopThatComputesTheirOperand() throws {
    // mean_center's shape: the centring needs the first mean complete (its own group, through scratch);
    // the sum of squares accumulates in the centring loop itself, with no scratch for the squares.
    let text = kernelModule("(%x: hbm f32[300, 64]) -> (%centred: hbm f32[300, 64], %ss: hbm f32[1, 64])", """
            %mu = reduce mean %x axis 0 : f32[1, 64]
            %mub = broadcast %mu : f32[300, 64]
            %xc = sub %x, %mub : f32[300, 64]
            %sq = square %xc : f32[300, 64]
            %s = reduce sum %sq axis 0 : f32[1, 64]
            return %xc, %s
        """)
    let (fused, _) = try runPipeline("fuse", on: text)
    let group = Dictionary(uniqueKeysWithValues: fused.functions[0].body.ops.compactMap { op in
        op.result.map { ($0.nameHint ?? "", op.fusionGroup) }
    })
    #expect(group["mu"] != group["xc"] && group["xc"] == group["s"] && group["mub"] != group["mu"])
    for target in [MachineTarget.trn1, .trn2] {
        let module = try tiledModule(text, target: target)
        let scratch = allOps(module).filter { $0.opcode == "hbm.alloc" }.compactMap(\.result)
        #expect(scratch.map(\.type) == [.hbm(TensorType(.f32, [1, 64]))])
        // Two loops over row tiles (2 x 128, remainder 44 peeled), each with ones matmuls into one accumulator.
        #expect(loops(module.functions[0].body).count == 2)
        let accumulators = Set(matmuls(module).map(\.accumulator))
        #expect(matmuls(module).count == 4 && accumulators.count == 2)
        #expect(transfers(module, stores: true).filter { $0.hbm == module.functions[0].outputs[1].id }.count == 1)
    }
}

@Test func broadcastsFollowNumPyRulesInTheVerifierAndInTile() throws {
    // [D] and [1, D] rows, an [N, 1] column and a [1] tensor all stretch to [N, D]; each verifies and tiles.
    let text = kernelModule("(%x: hbm f32[200, 64], %r: hbm f32[64], %q: hbm f32[1, 64], %c: hbm f32[200, 1], "
        + "%s: hbm f32[1]) -> (%out: hbm f32[200, 64])", """
            %rb = broadcast %r : f32[200, 64]
            %qb = broadcast %q : f32[200, 64]
            %cb = broadcast %c : f32[200, 64]
            %sb = broadcast %s : f32[200, 64]
            %a = add %x, %rb : f32[200, 64]
            %b = mul %a, %qb : f32[200, 64]
            %d = sub %b, %cb : f32[200, 64]
            %e = div %d, %sb : f32[200, 64]
            return %e
        """)
    let parsed = try #require(TileIR.parse(SourceFile(path: "b.tir", text: text)).module)
    #expect(TileIR.verify(parsed, target: .trn1).isEmpty)
    let module = try tiledModule(text)
    // The [64], [1, 64] and [1] operands load broadcast once per row-tile shape (the loop's 128, the peeled 72).
    #expect(transfers(module, stores: false).filter(\.broadcast).count == 6)
    // A shape that does not stretch is a verifier error (K3204), and `tile` is never reached.
    let bad = kernelModule("(%r: hbm f32[32]) -> (%out: hbm f32[200, 64])", """
            %rb = broadcast %r : f32[200, 64]
            return %rb
        """)
    let (_, report) = try runPipeline("fuse,tile", on: bad)
    #expect(report.diagnostics.map(\.id.code).contains("K3204"))
}

@Test func anOutputReturningAnInputUnchangedIsCopiedThroughTiles() throws {
    let text = kernelModule("(%x: hbm f32[200, 64]) -> (%out: hbm f32[200, 64], %e: hbm f32[200, 64])", """
            %y = exp %x : f32[200, 64]
            return %x, %y
        """)
    let module = try tiledModule(text)
    let outputs = module.functions[0].outputs.map(\.id)
    let stored = transfers(module, stores: true).map(\.hbm)
    #expect(stored.filter { $0 == outputs[0] }.count == 2 && stored.filter { $0 == outputs[1] }.count == 2)
}
