// LivenessTests.swift: tile live ranges (first access to last, loops considered), as `allocate` and the verifier use them.

import KilnSource
import KilnTileIR
import Testing

private func liveness(_ body: String) throws -> (TileLiveness, [String: ValueID]) {
    let text = SchedulingSamples.module("(%x: hbm f32[128, 512]) -> (%y: hbm f32[128, 512])", body)
    let module = try #require(TileIR.parse(SourceFile(path: "t.tir", text: text)).module)
    let function = module.functions[0]
    var ids: [String: ValueID] = [:]
    for (id, def) in function.valueTable() { if let hint = def.nameHint { ids[hint] = id } }
    return (TileLiveness(function), ids)
}

@Test func straightLineTilesLiveFromFirstToLastAccess() throws {
    let (live, id) = try liveness("""
            %a = alloc sbuf f32[128 | 512]
            %b = alloc sbuf f32[128 | 512]
            %c = alloc sbuf f32[128 | 512]
            %unused = alloc sbuf f32[128 | 512]
            dma.load %x[0, 0] -> %a
            dve.copy %a -> %b
            act.activate exp %b -> %c
            dma.store %c -> %y[0, 0]
            return
        """)
    let (a, b, c, unused) = try (#require(id["a"]), #require(id["b"]), #require(id["c"]), #require(id["unused"]))
    #expect(live.ranges[a] == 4...5)
    #expect(live.ranges[b] == 5...6)
    #expect(live.ranges[c] == 6...7)
    #expect(live.ranges[unused] == 3...8)  // never accessed: from its alloc to the end of its block
    #expect(live.interfere(a, b))
    #expect(!live.interfere(a, c))
    #expect(live.interfere(unused, a))
    #expect(live.live(at: 5) == [a, b, unused])
}

@Test func aTileUsedInsideALoopLivesAcrossTheWholeLoop() throws {
    let (live, id) = try liveness("""
            %acc = alloc sbuf f32[128 | 512]
            %early = alloc sbuf f32[128 | 512]
            dma.load %x[0, 0] -> %early
            for %i = 0 to 4 {
              %t = alloc sbuf f32[128 | 512]
              dma.load %x[0, 0] -> %t
              dve.tensor_tensor add %t, %acc -> %acc
            }
            %late = alloc sbuf f32[128 | 512]
            dve.copy %acc -> %late
            dma.store %late -> %y[0, 0]
            return
        """)
    let (acc, early, t, late) = try (#require(id["acc"]), #require(id["early"]), #require(id["t"]), #require(id["late"]))
    #expect(live.loopSpans.values.first == 3...6)
    #expect(live.ranges[acc] == 3...8)
    #expect(live.ranges[t] == 5...6)
    #expect(live.ranges[early] == 2...2)
    #expect(live.ranges[late] == 8...9)
    #expect(!live.interfere(early, t))
    #expect(live.interfere(acc, t) && live.interfere(acc, late))
}
