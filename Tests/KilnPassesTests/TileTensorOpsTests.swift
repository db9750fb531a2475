// TileTensorOpsTests.swift: the `tile` pass on row groups: softmax, layernorm, remainders, broadcasts.

import KilnMachine
@testable import KilnPasses
import KilnPluginAPI
import KilnSource
import KilnTileIR
import Testing

/// Softmax over the rows of x[rows, columns], as the lowering writes it.
func softmaxModule(rows: Int, columns: Int) -> String {
    kernelModule("(%x: hbm f32[\(rows), \(columns)]) -> (%out: hbm f32[\(rows), \(columns)])", """
            %m = reduce max %x axis 1 : f32[\(rows), 1] loc(40:55)
            %mb = broadcast %m : f32[\(rows), \(columns)]
            %d = sub %x, %mb : f32[\(rows), \(columns)] loc(66:75)
            %e = exp %d : f32[\(rows), \(columns)] loc(62:76)
            %s = reduce sum %e axis 1 : f32[\(rows), 1] loc(90:105)
            %sb = broadcast %s : f32[\(rows), \(columns)]
            %r = div %e, %sb : f32[\(rows), \(columns)] loc(86:105)
            return %r
        """)
}

let softmaxText = softmaxModule(rows: 256, columns: 512)


@Test func softmaxIsOneLoopWithTheExpFoldedIntoOneActivation() throws {
    let module = try tiledModule(softmaxText)
    let body = module.functions[0].body
    #expect(loops(body).map(\.upperBound) == [2])
    // The normalisation is one division by the row sum (a reciprocal and a product would round twice).
    #expect(opcodes(module) == ["for", "dma.load", "dve.reduce", "dve.tensor_scalar", "act.activate",
                                "dve.tensor_scalar", "dma.store", "return"])
    #expect(allOps(module).compactMap { $0.kind.asTensorScalar }.last?.op == .div)
    let activation = allOps(module).compactMap { $0.kind.asActivation }
    #expect(activation.count == 1 && activation[0].function == .exp && activation[0].reduce?.op == .add)
    if case .value = activation[0].bias {} else { Issue.record("exp's bias must be the negated row max") }
}

@Test func softmaxTilesOnTrn2Too() throws {
    _ = try tiledModule(softmaxText, target: .trn2)
}

@Test func remainderRowsArePeeledAfterTheLoop() throws {
    // 300 x 200 elementwise: a loop over 2 full row tiles of 128, then one peeled tile of 44 rows.
    let text = kernelModule("(%x: hbm f32[300, 200], %y: hbm f32[300, 200]) -> (%out: hbm f32[300, 200])", """
            %s = silu %x : f32[300, 200]
            %r = mul %s, %y : f32[300, 200]
            return %r
        """)
    let module = try tiledModule(text)
    let body = module.functions[0].body
    #expect(loops(body).map(\.upperBound) == [2])
    let partitions = allOps(module).compactMap { op -> Int? in
        if case .alloc(let tile, _) = op.kind { tile.partitions } else { nil }
    }
    // Per body: x and y loaded; silu and the product are computed in place over x (x is not read again).
    #expect(partitions.filter { $0 == 44 }.count == 2 && partitions.filter { $0 == 128 }.count == 2)
    let stores = allOps(module).compactMap { op -> AffineExpr? in
        op.kind.asStore?.offsets.first
    }
    #expect(stores.map(\.constant) == [0, 256] && stores[0].terms.first?.coefficient == 128)
    #expect(opcodes(module).filter { $0 == "act.activate" }.count == 2)
}

@Test func tileSplitCountsFullTilesAndTheRemainder() {
    let rows = TileSplit(extent: 300, tile: 128)
    #expect(rows.fullTiles == 2 && rows.tileSize == 128 && rows.remainder == 44)
    #expect(TileSplit(extent: 256, tile: 128).pieces.map(\.size) == [128, 128])
    #expect(TileSplit(extent: 44, tile: 128).pieces.map(\.offset) == [0])
    #expect(TileSplit(extent: 1000, tile: 512).pieces.map(\.size) == [512, 488])
}

let layernormText = kernelModule(
    "(%x: hbm f32[256, 768], %gamma: hbm f32[1, 768], %beta: hbm f32[1, 768], %eps: f32 = 1e-05) -> (%out: hbm f32[256, 768])", """
        %mu = reduce mean %x axis 1 : f32[256, 1]
        %mub = broadcast %mu : f32[256, 768]
        %xc = sub %x, %mub : f32[256, 768]
        %sq = square %xc : f32[256, 768]
        %var = reduce mean %sq axis 1 : f32[256, 1]
        %epsb = broadcast %eps : f32[256, 1]
        %ve = add %var, %epsb : f32[256, 1]
        %rs = rsqrt %ve : f32[256, 1]
        %rsb = broadcast %rs : f32[256, 768]
        %xhat = mul %xc, %rsb : f32[256, 768]
        %gb = broadcast %gamma : f32[256, 768]
        %scaled = mul %xhat, %gb : f32[256, 768]
        %bb = broadcast %beta : f32[256, 768]
        %r = add %scaled, %bb : f32[256, 768]
        return %r
    """)

@Test func layernormLoadsGammaAndBetaOnceBroadcastAcrossPartitions() throws {
    let module = try tiledModule(layernormText)
    let body = module.functions[0].body
    let hoisted = body.ops.compactMap { op -> DMATransfer? in op.kind.asLoad }
    #expect(hoisted.count == 2 && hoisted.allSatisfy(\.broadcast))
    let loop = try #require(loops(body).first)
    let loopOps = loop.body.ops.map(\.opcode).filter { $0 != "alloc" }
    #expect(loopOps.filter { $0 == "dma.load" }.count == 1)
    #expect(loopOps.filter { $0 == "dma.store" }.count == 1)
    // square(x - mu) and its mean: one activation with bias -mu and a free-axis reduce.
    let squares = allOps(module).compactMap { op -> Activation? in
        if let a = op.kind.asActivation, a.function == .square { a } else { nil }
    }
    #expect(squares.count == 1 && squares[0].reduce != nil)
    // eps is a scalar kernel parameter, used as a tensor_scalar operand.
    #expect(allOps(module).contains { op in
        if let t = op.kind.asTensorScalar, t.op == .add, case .value(let v) = t.scalar { module.functions[0].parameters[3].value.id == v } else { false }
    })
}

@Test func rowReductionsStoreColumnsAndTileFunctionsAreLeftAlone() throws {
    let text = """
        kiln.module target "trn1" {
          func @rows(%x: hbm f32[256, 512]) -> (%total: hbm f32[256, 1], %peak: hbm f32[256, 1]) {
            %s = reduce sum %x axis 1 : f32[256, 1]
            %m = reduce max %x axis 1 : f32[256, 1]
            return %s, %m
          }

          func @tiled(%x: hbm f32[128, 4]) -> (%y: hbm f32[128, 4]) {
            %t = alloc sbuf f32[128 | 4]
            dma.load %x[0, 0] -> %t
            dma.store %t -> %y[0, 0]
            return
          }
        }
        """
    let before = try #require(TileIR.parse(text, path: "t.tir").module)  // the path tiledModule parses with
    let module = try tiledModule(text)
    #expect(module.functions[1] == before.functions[1])
    #expect(opcodes(module).filter { $0 == "dma.store" }.count == 2)
    #expect(opcodes(module).filter { $0 == "dma.load" }.count == 1)
}
