// HoistInvariantsTests.swift: the `licm` pass: which engine ops leave a loop, and when it leaves a loop alone.

import KilnISA
import KilnMachine
import KilnPasses
import KilnPluginAPI
import KilnTileIR
import Testing

/// The top-level ops of the function body, as printed mnemonics or `for`.
private func topLevel(_ module: Module) -> [String] {
    module.functions[0].body.ops.map { op in
        if case .forLoop = op.kind { return "for" }
        if case .ret = op.kind { return "return" }
        return op.kind.engineOp?.mnemonic ?? (op.result?.nameHint.map { "alloc \($0)" } ?? "?")
    }
}

private func loopBody(_ module: Module) -> [Operation] {
    for op in module.functions[0].body.ops { if case .forLoop(let loop) = op.kind { return loop.body.ops } }
    return []
}

@Test func anInvariantChainLeavesTheLoopInOrderAndAReadOfTheLoopsStateStays() throws {
    let text = SchedulingSamples.module("(%x: hbm f32[128, 512]) -> (%y: hbm f32[128, 512])", """
            %d = alloc sbuf f32[128 | 512]
            dma.load %x[0, 0] -> %d
            %acc = alloc sbuf f32[128 | 512]
            dve.copy %d -> %acc
            for %s = 0 to 4 {
              %sq = alloc sbuf f32[128 | 512]
              dve.tensor_tensor mul %d, %d -> %sq
              %e = alloc sbuf f32[128 | 512]
              act.activate exp %sq -> %e
              %r = alloc sbuf f32[128 | 1]
              act.activate exp %d -> %e reduce add -> %r
              dve.tensor_tensor add %acc, %e -> %acc
            }
            dma.store %acc -> %y[0, 0]
            return
        """)
    let module = try scheduled("licm", text)
    // %sq = %d * %d leaves; exp(%sq) writes %e, which the loop writes again (the activation with a reduction), so
    // it stays, as do that activation and the accumulation.
    #expect(topLevel(module) == ["alloc d", "dma.load", "alloc acc", "dve.copy", "alloc sq", "dve.tensor_tensor",
                                 "for", "dma.store", "return"])
    #expect(loopBody(module).compactMap { $0.kind.engineOp?.mnemonic } == ["act.activate", "act.activate", "dve.tensor_tensor"])
}

@Test func aLoopWhoseTilesDoNotFitIsLeftAlone() throws {
    // Three 64 KiB tiles in the loop beside a 64 KiB one outside: 256 KiB > trn1's 192 KiB, so nothing moves
    // (a hoisted tile would live across the loop and could push `allocate` over capacity).
    let text = SchedulingSamples.module("(%x: hbm f32[128, 16384]) -> (%y: hbm f32[128, 16384])", """
            %d = alloc sbuf f32[128 | 16384]
            dma.load %x[0, 0] -> %d
            for %s = 0 to 4 {
              %a = alloc sbuf f32[128 | 16384]
              act.activate exp %d -> %a
              %b = alloc sbuf f32[128 | 16384]
              dve.tensor_scalar mul %a, 2.0 -> %b
              %c = alloc sbuf f32[128 | 16384]
              dve.tensor_tensor add %b, %d -> %c
              dma.store %c -> %y[0, 0]
            }
            return
        """)
    let module = try scheduled("licm", text)
    #expect(topLevel(module) == ["alloc d", "dma.load", "for", "return"])
}

@Test func aComputationOnFixedWindowsOfAnOuterTileLeavesWithItsViews() throws {
    // The fused Mamba's `delta[:, t : t + 512] * u[:, t : t + 512]` in an unrolled sequence loop inside the state
    // loop: the views are windows of tiles loaded before the loop, the same in every iteration, so the product
    // leaves with them; the scan's input, which also reads a loop-loaded tile, stays.
    let text = SchedulingSamples.module("(%x: hbm f32[128, 1024], %b: hbm f32[128, 512]) -> (%y: hbm f32[128, 512])", """
            %d = alloc sbuf f32[128 | 1024]
            dma.load %x[0, 0] -> %d
            for %s = 0 to 4 {
              %w = view %d offset 512 : sbuf f32[128 | 512]
              %p = alloc sbuf f32[128 | 512]
              dve.tensor_tensor mul %w, %w -> %p
              %bs = alloc sbuf f32[128 | 512]
              dma.load %b[0, 0] -> %bs
              %q = alloc sbuf f32[128 | 512]
              dve.tensor_tensor mul %p, %bs -> %q
              dma.store %q -> %y[0, 0]
            }
            return
        """)
    let module = try scheduled("licm", text)
    #expect(topLevel(module) == ["alloc d", "dma.load", "alloc w", "alloc p", "dve.tensor_tensor", "for", "return"])
    #expect(loopBody(module).compactMap { $0.kind.engineOp?.mnemonic } == ["dma.load", "dve.tensor_tensor", "dma.store"])
}

@Test func anUnrolledBodyIsMeasuredByWhatItHoldsAtOnce() throws {
    // Nine 32 KiB tiles allocated in the body (288 KiB, beyond trn1's 192 KiB), but each of the chain's is dead
    // once the next is written, so the body holds two at once: the 32 KiB product of the outer tile leaves.
    var chain = "      %t0 = alloc sbuf f32[128 | 8192]\n      dma.load %x[0, 0] -> %t0\n"
    for index in 1..<8 {
        chain += "      %t\(index) = alloc sbuf f32[128 | 8192]\n      act.activate exp %t\(index - 1) -> %t\(index)\n"
    }
    let text = SchedulingSamples.module("(%x: hbm f32[128, 8192]) -> (%y: hbm f32[128, 8192])", """
            %d = alloc sbuf f32[128 | 8192]
            dma.load %x[0, 0] -> %d
            for %s = 0 to 4 {
              %p = alloc sbuf f32[128 | 8192]
              dve.tensor_tensor mul %d, %d -> %p
        \(chain)      dve.tensor_tensor add %t7, %p -> %t7
              dma.store %t7 -> %y[0, 0]
            }
            return
        """)
    let module = try scheduled("licm", text)
    #expect(topLevel(module) == ["alloc d", "dma.load", "alloc p", "dve.tensor_tensor", "for", "return"])
}
