// FusionAndBroadcastSyntaxTests.swift: round trip and checks of `group N`, broadcasting loads and scalar-parameter operands.

import KilnMachine
import KilnSource
import KilnTileIR
import Testing

private let fusedAndTiled = """
    kiln.module target "trn1" {
      func @f(%x: hbm f32[256, 64], %eps: f32 = 1e-05) -> (%y: hbm f32[256, 64]) {
        %m = reduce max %x axis 1 : f32[256, 1] group 0 loc(4:9)
        %e = exp %x : f32[256, 64] group 1
        return %e
      }

      func @g(%x: hbm f32[128, 64], %w: hbm f32[64], %row: hbm f32[1, 64], %eps: f32 = 1e-05) -> (%y: hbm f32[128, 64]) {
        %t = alloc sbuf f32[128 | 64]
        %wt = alloc sbuf f32[128 | 64]
        %rt = alloc sbuf f32[128 | 64]
        dma.load %x[0, 0] -> %t
        dma.load %w[0] -> %wt broadcast
        dma.load %row[0, 0] -> %rt broadcast queue 2
        dve.tensor_scalar add %t, %eps -> %t
        act.activate exp %t -> %t bias %eps
        dve.tensor_tensor mul %t, %wt -> %t
        dma.store %t -> %y[0, 0]
        return
      }
    }

    """

@Test func fusionGroupsBroadcastLoadsAndScalarParametersRoundTripAndVerify() throws {
    let parsed = TileIR.parse(SourceFile(path: "f.tir", text: fusedAndTiled))
    #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics.map(\.message))")
    let module = try #require(parsed.module)
    #expect(TileIR.print(module) == fusedAndTiled)
    #expect(module.functions[0].body.ops.map(\.fusionGroup) == [0, 1, nil])
    #expect(TileIR.verify(module, target: .trn1).isEmpty, "\(TileIR.verify(module, target: .trn1).map(\.message))")
}

@Test func negativeFusionGroupsAreParseErrors() {
    let text = fusedAndTiled.split(separator: "group 1", maxSplits: 1, omittingEmptySubsequences: false)
        .joined(separator: "group -1")
    let parsed = TileIR.parse(SourceFile(path: "f.tir", text: text))
    #expect(parsed.diagnostics.map(\.id.code) == ["K3106"])
}

@Test func broadcastLoadsNeedAnHBMRankAtLeastTheTileFreeRank() throws {
    let text = """
        kiln.module target "trn1" {
          func @f(%w: hbm f32[64]) -> (%y: hbm f32[128, 64]) {
            %t = alloc sbuf f32[128 | 2, 32]
            dma.load %w[0] -> %t broadcast
            return
          }
        }
        """
    let module = try #require(TileIR.parse(SourceFile(path: "f.tir", text: text)).module)
    #expect(TileIR.verify(module, target: .trn1).map(\.id.code) == ["K3204"])
}
