// ScratchAndFlatTransferTests.swift: `hbm.alloc` scratch tensors and flat DMA of rank-1 tensors: round trip and verifier rules.

import KilnMachine
import KilnSource
import KilnTileIR
import Testing

private let scratchAndFlat = """
    kiln.module target "trn1" {
      func @f(%x: hbm f32[300], %y: hbm f32[256, 64]) -> (%out: hbm f32[300], %o: hbm f32[256, 64]) {
        %s = hbm.alloc f32[256, 64]
        %t = alloc sbuf f32[128 | 2]
        dma.load %x[0] -> %t
        dma.store %t -> %out[0]
        %u = alloc sbuf f32[1 | 44]
        dma.load %x[256] -> %u
        dma.store %u -> %out[256]
        for %i = 0 to 2 {
          %r = alloc sbuf f32[128 | 64]
          dma.load %y[%i * 128, 0] -> %r
          dma.store %r -> %s[%i * 128, 0]
          dma.load %s[%i * 128, 0] -> %r
          dma.store %r -> %o[%i * 128, 0]
        }
        return
      }
    }

    """

@Test func scratchTensorsAndFlatTransfersRoundTripAndVerify() throws {
    let parsed = TileIR.parse(SourceFile(path: "s.tir", text: scratchAndFlat))
    #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics.map(\.message))")
    let module = try #require(parsed.module)
    #expect(TileIR.print(module) == scratchAndFlat)
    guard case .hbmAlloc(let tensor) = module.functions[0].body.ops[0].kind else {
        Issue.record("expected hbm.alloc first")
        return
    }
    #expect(tensor == TensorType(.f32, [256, 64]))
    #expect(module.functions[0].body.ops[0].result?.type == .hbm(TensorType(.f32, [256, 64])))
    for target in [MachineTarget.trn1, .trn2] {
        #expect(TileIR.verify(module, target: target).isEmpty, "\(TileIR.verify(module, target: target).map(\.message))")
    }
}

private func codes(_ body: String, signature: String = "(%x: hbm f32[300]) -> (%out: hbm f32[300])") -> [String] {
    let text = "kiln.module target \"trn1\" {\n  func @f\(signature) {\n\(body)\n    return\n  }\n}\n"
    let parsed = TileIR.parse(SourceFile(path: "s.tir", text: text))
    #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics.map(\.message))")
    guard let module = parsed.module else { return ["parse"] }
    return TileIR.verify(module, target: .trn1).map(\.id.code)
}

@Test func aFlatTransferMustStayInsideItsRankOneTensor() {
    // 128 x 3 = 384 elements from offset 0 run past the 300 elements.
    #expect(codes("""
            %t = alloc sbuf f32[128 | 3]
            dma.load %x[0] -> %t
        """) == ["K3208"])
    #expect(codes("""
            %t = alloc sbuf f32[1 | 44]
            dma.load %x[257] -> %t
        """) == ["K3208"])
    #expect(codes("""
            %t = alloc sbuf f32[1 | 44]
            dma.load %x[256] -> %t
        """) == [])
}

@Test func storesGoToOutputsAndScratchButNeverToInputs() {
    #expect(codes("""
            %t = alloc sbuf f32[1 | 4]
            dma.load %x[0] -> %t
            dma.store %t -> %x[0]
        """) == ["K3211"])
    #expect(codes("""
            %s = hbm.alloc f32[4]
            %t = alloc sbuf f32[1 | 4]
            dma.load %x[0] -> %t
            dma.store %t -> %s[0]
            dma.load %s[0] -> %t
        """) == [])
}

@Test func hbmAllocNeedsATensorTypeWithPositiveDims() {
    let parsed = TileIR.parse(SourceFile(path: "s.tir", text: """
        kiln.module target "trn1" {
          func @f(%x: hbm f32[4]) -> (%out: hbm f32[4]) {
            %s = hbm.alloc sbuf f32[1 | 4]
            %u = hbm.alloc f32[0, 4]
            return
          }
        }
        """))
    #expect(parsed.diagnostics.map(\.id.code) == ["K3101", "K3106"])
}
