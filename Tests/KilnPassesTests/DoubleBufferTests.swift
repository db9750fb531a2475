// DoubleBufferTests.swift: the `double-buffer` pass: unrolled load-then-compute loops, loads first, remainders, hints.

import KilnMachine
import KilnPasses
import KilnPluginAPI
import KilnTileIR
import Testing

/// The `for %k` loops of the matmul sample after the pipeline.
private func kLoops(_ module: Module) -> [ForLoop] {
    opsWithLoops(module.functions[0].body).compactMap { entry in
        if case .forLoop(let loop) = entry.op.kind, loop.inductionVariable.nameHint == "k" { return loop }
        return nil
    }
}

@Test func matmulLoadsAreUnrolledByTwoAndHoistedAboveTheMatmuls() throws {
    let module = try scheduled("double-buffer", SchedulingSamples.matmul1024)
    let loops = kLoops(module)
    #expect(loops.count == 1)
    let loop = try #require(loops.first)
    #expect(loop.lowerBound == 0 && loop.upperBound == 1024 && loop.step == 256)
    #expect(loop.body.ops.map(\.opcode) == ["alloc", "dma.load", "alloc", "dma.load", "alloc", "dma.load", "alloc",
                                            "dma.load", "pe.matmul", "pe.matmul"])
    let text = TileIR.print(module)
    #expect(text.contains("dma.load %a_t[%k, %m] -> %at\n"))
    #expect(text.contains("dma.load %a_t[%k + 128, %m] -> %at.1\n"))
    #expect(text.contains("dma.load %b[%k + 128, %n] -> %bt.1\n"))
    #expect(text.contains("pe.matmul %at, %bt -> %acc start(%k == 0)\n"))
    #expect(text.contains("pe.matmul %at.1, %bt.1 -> %acc stop(%k == 768)\n"))
}

@Test func theBufsHintSetsTheCopiesAndARemainderLoopRunsTheRest() throws {
    let text = SchedulingSamples.matmul1024.replacingOccurrences(
        of: "-> (%out: hbm f32[1024, 1024]) {", with: "-> (%out: hbm f32[1024, 1024]) schedule(bufs = 3) {")
    let loops = kLoops(try scheduled("double-buffer", text))
    #expect(loops.map(\.lowerBound) == [0, 768])
    #expect(loops.map(\.upperBound) == [768, 1024])
    #expect(loops.map(\.step) == [384, 128])
    #expect(loops.first?.body.ops.filter { $0.opcode == "dma.load" }.count == 6)
    #expect(loops.last?.body.ops.map(\.opcode) == ["alloc", "dma.load", "alloc", "dma.load", "pe.matmul"])
    // The remainder keeps the original flags; the main loop's copies hold the start (copy 0 at 0) only.
    let mainFlags = loops.first?.body.ops.compactMap { op -> PEMatmul? in
        if let matmul = op.kind.asMatmul { return matmul }
        return nil
    }
    #expect(mainFlags?.map(\.start) == [.when(loops[0].inductionVariable.id, equals: 0), .never, .never])
    #expect(mainFlags?.map(\.stop) == [.never, .never, .never])
}

@Test func loopsWithoutComputeOnLoadsOrWithOneBufferStayAsTheyAre() throws {
    let copyLoop = SchedulingSamples.module("(%x: hbm f32[512, 512]) -> (%y: hbm f32[512, 512])", """
            for %i = 0 to 512 step 128 {
              %t = alloc sbuf f32[128 | 512]
              dma.load %x[%i, 0] -> %t
              dma.store %t -> %y[%i, 0]
            }
            return
        """)
    let unchanged = try scheduled("double-buffer", copyLoop)
    #expect(TileIR.print(unchanged) == TileIR.print(try scheduled("", copyLoop)))
    let oneBuffer = SchedulingSamples.matmul1024.replacingOccurrences(
        of: "-> (%out: hbm f32[1024, 1024]) {", with: "-> (%out: hbm f32[1024, 1024]) schedule(bufs = 1) {")
    #expect(TileIR.print(try scheduled("double-buffer", oneBuffer)) == TileIR.print(try scheduled("", oneBuffer)))
}

@Test func aComputeLoopOverRowsDoubleBuffersItsInputLoad() throws {
    let text = SchedulingSamples.module("(%x: hbm f32[384, 512]) -> (%y: hbm f32[384, 512])", """
            for %i = 0 to 384 step 128 {
              %t = alloc sbuf f32[128 | 512]
              dma.load %x[%i, 0] -> %t
              %e = alloc sbuf f32[128 | 512]
              act.activate exp %t -> %e
              dma.store %e -> %y[%i, 0]
            }
            return
        """)
    let module = try scheduled("double-buffer", text)
    let printed = TileIR.print(module)
    #expect(printed.contains("for %i = 0 to 256 step 256 {"))
    #expect(printed.contains("dma.load %x[%i + 128, 0] -> %t.1"))
    #expect(printed.contains("for %i_1 = 256 to 384 step 128 {"))
    let body = opsWithLoops(module.functions[0].body).filter { $0.loops.first?.upperBound == 256 }.map(\.op.opcode)
    #expect(Array(body.prefix(4)) == ["alloc", "dma.load", "alloc", "dma.load"])
}
