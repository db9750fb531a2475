// TileInPlaceTests.swift: the `tile` pass writes a row op's result over an input tile only when nothing reads it later.

import KilnMachine
@testable import KilnPasses
import KilnPluginAPI
import KilnTileIR
import Testing

/// The (source, destination) tiles of every act.activate and dve.tensor_tensor, in order.
private func sourcesAndDestinations(_ module: Module) -> [(op: String, sources: [ValueID], destination: ValueID)] {
    allOps(module).compactMap { op in
        if let a = op.kind.asActivation { return (op.opcode, [a.source], a.destination) }
        if let t = op.kind.asTensorTensor { return (op.opcode, [t.a, t.b], t.destination) }
        if let t = op.kind.asTensorScalar { return (op.opcode, [t.a], t.destination) }
        return nil
    }
}

@Test func anInputReadAgainLaterKeepsItsTile() throws {
    // x is read by exp and again by the product: exp needs a tile of its own; the product may overwrite.
    let text = kernelModule("(%x: hbm f32[128, 256]) -> (%out: hbm f32[128, 256])", """
            %e = exp %x : f32[128, 256]
            %r = mul %e, %x : f32[128, 256]
            return %r
        """)
    let ops = sourcesAndDestinations(try tiledModule(text))
    #expect(ops.count == 2)
    #expect(ops[0].op == "act.activate" && ops[0].destination != ops[0].sources[0])
    #expect(ops[1].op == "dve.tensor_tensor" && ops[1].sources.contains(ops[1].destination))
}

@Test func aStoredValueKeepsItsTile() throws {
    // e is an output: the square must not be written over it before it is stored.
    let text = kernelModule("(%x: hbm f32[128, 256]) -> (%y: hbm f32[128, 256], %z: hbm f32[128, 256])", """
            %e = exp %x : f32[128, 256]
            %q = square %e : f32[128, 256]
            return %e, %q
        """)
    let ops = sourcesAndDestinations(try tiledModule(text))
    #expect(ops.count == 2)
    #expect(ops[0].destination == ops[0].sources[0])  // x is dead after exp
    #expect(ops[1].destination != ops[1].sources[0])  // e is stored after the square
}

@Test func aCastOfADeadResultIsWrittenByItsProducer() throws {
    // exp(x) is read only by the cast: the activation writes a bf16 tile of its own (not over x's f32 tile), no copy.
    let text = kernelModule("(%x: hbm f32[128, 256]) -> (%out: hbm bf16[128, 256])", """
            %e = exp %x : f32[128, 256]
            %c = cast %e : bf16[128, 256]
            return %c
        """)
    let module = try tiledModule(text)
    #expect(allOps(module).compactMap { $0.kind.asUnaryTileOp(.dveCopy) }.isEmpty)
    let activation = try #require(allOps(module).compactMap { $0.kind.asActivation }.first)
    let bf16Tiles = allOps(module).compactMap { op -> ValueID? in
        if case .alloc(let tile, _) = op.kind, tile.element == .bf16 { return op.result?.id }
        return nil
    }
    #expect(activation.destination != activation.source && bf16Tiles.contains(activation.destination))
}

@Test func aCastOfAValueStillReadGetsACopy() throws {
    // exp(x) is stored as well as cast: it keeps its f32 tile and the cast copies it.
    let text = kernelModule("(%x: hbm f32[128, 256]) -> (%out: hbm bf16[128, 256], %e32: hbm f32[128, 256])", """
            %e = exp %x : f32[128, 256]
            %c = cast %e : bf16[128, 256]
            return %c, %e
        """)
    let copies = allOps(try tiledModule(text)).compactMap { $0.kind.asUnaryTileOp(.dveCopy) }
    #expect(copies.count == 1 && copies[0].0 != copies[0].1)
}

@Test func softmaxOver4096ColumnsKeepsTheRowWholeInOneTile() throws {
    // Three [128 | 4096] f32 tiles (x, e, the quotient) were 48 KiB per partition: over trn1's per-tile-body
    // budget (192 KiB / 4), so the row used to be split into chunks with x loaded three times. In place it is
    // one tile, loaded once.
    let module = try tiledModule(softmaxModule(rows: 256, columns: 4096))
    #expect(opcodes(module).filter { $0 == "dma.load" }.count == 1)
    #expect(opcodes(module).filter { $0 == "act.activate" }.count == 1)
    let wide = allOps(module).filter { if case .alloc(let tile, _) = $0.kind { tile.freeDims == [4096] } else { false } }
    #expect(wide.count == 1)
}
