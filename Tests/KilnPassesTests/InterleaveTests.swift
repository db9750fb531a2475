// InterleaveTests.swift: `interleave`'s dependence rules and list schedule, and `fold-copies`' rules.

import KilnISA
import KilnMachine
@testable import KilnPasses
import KilnPluginAPI
import KilnSource
import KilnTileIR
import Testing

/// The function body's ops (top level) of a parsed module.
private func bodyOps(_ text: String) throws -> [Operation] {
    let parsed = TileIR.parse(SourceFile(path: "t.tir", text: text))
    let module = try #require(parsed.module)
    return module.functions[0].body.ops
}

/// The dependences of `text`'s top-level ops, keyed by the position of each engine op among the engine ops.
private func engineDependences(_ text: String) throws -> [[Int]] {
    let parsed = TileIR.parse(SourceFile(path: "t.tir", text: text))
    let function = try #require(parsed.module).functions[0]
    let ops = function.body.ops
    let engine = ops.indices.filter { ops[$0].kind.instruction != nil }
    let dependences = OpDependences.of(ops, views: TileViews(function))
    return engine.map { index in dependences[index].map { engine.firstIndex(of: $0)! } }
}

/// The mnemonics (with a note of the destination) of a module's function body, loops as `for`.
private func mnemonics(_ module: Module) -> [String] {
    module.functions[0].body.ops.compactMap { op in
        if case .forLoop = op.kind { return "for" }
        return op.kind.engineOp?.mnemonic ?? (op.kind.opcode.hasPrefix("sync") ? op.kind.opcode : nil)
    }
}

@Suite struct InterleaveTests {
    @Test func aReadAfterAWriteAWriteAfterAReadAndAWriteAfterAWriteOrderTwoReadsDoNot() throws {
        let text = SchedulingSamples.module("(%x: hbm f32[128, 512]) -> (%y: hbm f32[128, 512])", """
                %a = alloc sbuf f32[128 | 512]
                dma.load %x[0, 0] -> %a
                %b = alloc sbuf f32[128 | 512]
                act.activate exp %a -> %b
                %c = alloc sbuf f32[128 | 512]
                dve.tensor_scalar mul %a, 2.0 -> %c
                dve.tensor_scalar add %b, 1.0 -> %a
                act.activate exp %c -> %a
                dma.store %a -> %y[0, 0]
                return
            """)
        // 0 load a; 1 exp a -> b (RAW on a); 2 mul a -> c (RAW on a; no order with 1: two reads);
        // 3 b + 1 -> a (RAW on b, WAR on a after 1 and 2, WAW after 0); 4 exp c -> a (RAW on c, WAW after 3);
        // 5 store a (RAW after 4).
        #expect(try engineDependences(text) == [[], [0], [0], [0, 1, 2], [2, 3], [4]])
    }

    @Test func aVarUpdateReadsAndWritesItsBufferAndAViewIsItsRootsMemory() throws {
        let text = SchedulingSamples.module("(%x: hbm f32[128, 512]) -> (%y: hbm f32[128, 128])", """
                %acc = alloc sbuf f32[128 | 128]
                pool.iota base 0 partition_step 0 free_step 0 -> %acc
                %p = alloc sbuf f32[128 | 512]
                dma.load %x[0, 0] -> %p
                %p1 = view %p offset 128 : sbuf f32[128 | 128]
                dve.tensor_tensor add %acc, %p1 -> %acc
                act.activate exp %p -> %p
                dve.tensor_tensor add %acc, %p1 -> %acc
                dma.store %acc -> %y[0, 0]
                return
            """)
        // 2 acc += p1 follows the fill of acc and the load of p (p1 is p's memory); 3 exp p -> p writes p after 2 read
        // it (through the view); 4 acc += p1 follows 2 (acc) and 3 (p); 5 store follows 4.
        #expect(try engineDependences(text) == [[], [], [0, 1], [1, 2], [2, 3], [4]])
    }

    @Test func loadsAndStoresOfOneHBMTensorKeepTheirOrderWhenOneWrites() throws {
        let text = SchedulingSamples.module("(%x: hbm f32[128, 512]) -> (%y: hbm f32[128, 512])", """
                %a = alloc sbuf f32[128 | 512]
                dma.load %x[0, 0] -> %a
                %b = alloc sbuf f32[128 | 512]
                dma.load %x[0, 0] -> %b
                dma.store %a -> %y[0, 0]
                %c = alloc sbuf f32[128 | 512]
                dma.load %y[0, 0] -> %c
                dma.store %c -> %y[0, 0]
                return
            """)
        // The two loads of x do not order; the load of y follows the store to y, and the second store follows the
        // load of y (write after read) and its source (c).
        #expect(try engineDependences(text) == [[], [], [0], [2], [2, 3]])
    }

    @Test func independentChainsInterleaveAndEachChainKeepsItsOrder() throws {
        // Two chains, each a load, exp on act, a multiply on dve and a store, written one after the other: interleaved,
        // the second chain's load runs while the first chain computes.
        let text = SchedulingSamples.module("(%x: hbm f32[128, 512], %z: hbm f32[128, 512]) -> (%y: hbm f32[128, 512], %w: hbm f32[128, 512])", """
                %a = alloc sbuf f32[128 | 512]
                dma.load %x[0, 0] -> %a
                %e = alloc sbuf f32[128 | 512]
                act.activate exp %a -> %e
                %m = alloc sbuf f32[128 | 512]
                dve.tensor_scalar mul %e, 2.0 -> %m
                dma.store %m -> %y[0, 0]
                %b = alloc sbuf f32[128 | 512]
                dma.load %z[0, 0] -> %b
                %f = alloc sbuf f32[128 | 512]
                act.activate exp %b -> %f
                %n = alloc sbuf f32[128 | 512]
                dve.tensor_scalar mul %f, 2.0 -> %n
                dma.store %n -> %w[0, 0]
                return
            """)
        // The second load moves ahead of the first chain's work. The loads share the core's DMA bandwidth, so the
        // second chain's data arrives one load later, after the first chain's exp and multiply have been placed.
        let module = try scheduled("interleave", text)
        #expect(mnemonics(module) == ["dma.load", "dma.load", "act.activate", "dve.tensor_scalar", "dma.store",
                                      "act.activate", "dve.tensor_scalar", "dma.store"])
        let kept = try scheduled("interleave{window=1}", text)
        #expect(mnemonics(kept) == ["dma.load", "act.activate", "dve.tensor_scalar", "dma.store", "dma.load",
                                    "act.activate", "dve.tensor_scalar", "dma.store"])
    }

    @Test func loadsOnDifferentQueuesShareTheCoresDMABandwidth() throws {
        // Two loads on two free queues: the second one's data waits for the first one's on the shared channel, as
        // in the simulator. Without the channel both finished together, and `interleave` placed the loads of a
        // K-blocked matmul's next unrolled K block among the current one's, which then waited longer for its
        // data (Benchmarks/fidelity/matmul_kblock.kiln at 4096 x 8192 x 8192 on trn1: 7.34 -> 8.70 ms).
        let text = SchedulingSamples.module("(%x: hbm f32[128, 2048], %z: hbm f32[128, 2048]) -> ()", """
                %a = alloc sbuf f32[128 | 2048]
                dma.load %x[0, 0] -> %a
                %b = alloc sbuf f32[128 | 2048]
                dma.load %z[0, 0] -> %b
                return
            """)
        let parsed = TileIR.parse(SourceFile(path: "t.tir", text: text))
        let function = try #require(parsed.module).functions[0]
        let types = Interleave.valueTypes(of: function)
        let loads = function.body.ops.filter { $0.kind.engine == .dma }
        #expect(loads.count == 2)
        var timeline = StreamTimeline(target: .trn1, types: types, dmaQueues: 16)
        let first = timeline.commit(loads[0], at: timeline.start(loads[0], ready: 0))
        let second = timeline.commit(loads[1], at: timeline.start(loads[1], ready: 0))
        let timing = try #require(loads[1].kind.instruction?.dmaTiming({ types[$0] }, target: .trn1))
        #expect(second >= first + Double(timing.bytes) / timing.channelBytesPerNanosecond * 0.999)
        #expect(first == timeline.cost(loads[0]))
    }

    @Test func nothingMovesAcrossASemaphoreOrALoop() throws {
        let text = SchedulingSamples.module("(%x: hbm f32[128, 512], %z: hbm f32[128, 512]) -> (%y: hbm f32[128, 512])", """
                %a = alloc sbuf f32[128 | 512]
                dma.load %x[0, 0] -> %a
                %e = alloc sbuf f32[128 | 512]
                act.activate exp %a -> %e
                sync.signal sem 0 on act
                %b = alloc sbuf f32[128 | 512]
                dma.load %z[0, 0] -> %b
                for %i = 0 to 2 {
                  dve.tensor_scalar mul %b, 2.0 -> %b
                }
                dma.store %e -> %y[0, 0]
                return
            """)
        let module = try scheduled("interleave", text)
        // The load of z is independent of the exp, but the signal stands between them; the store waits for the loop.
        #expect(mnemonics(module) == ["dma.load", "act.activate", "sync.signal", "dma.load", "for", "dma.store"])
    }

    @Test func anAssignmentsCopyACastAndARowSumFoldIntoTheirProducers() throws {
        let text = SchedulingSamples.module("(%x: hbm f32[128, 512]) -> (%y: hbm bf16[128, 512], %r: hbm f32[128, 1])", """
                %s = alloc sbuf f32[128 | 512]
                %t = alloc sbuf f32[128 | 512]
                dma.load %x[0, 0] -> %t
                %u = alloc sbuf f32[128 | 512]
                dve.tensor_scalar mul %t, 2.0 -> %u
                dve.copy %u -> %s
                %p = alloc sbuf f32[128 | 512]
                act.activate exp %s -> %p
                %sum = alloc sbuf f32[128 | 1]
                dve.reduce add %p -> %sum
                %pb = alloc sbuf bf16[128 | 512]
                dve.copy %p -> %pb
                dma.store %pb -> %y[0, 0]
                dma.store %sum -> %r[0, 0]
                return
            """)
        let module = try scheduled("fold-copies,dce", text)
        let ops = module.functions[0].body.ops.compactMap(\.kind.instruction)
        #expect(ops.map(\.op.mnemonic) == ["dma.load", "dve.tensor_scalar", "act.activate", "dma.store", "dma.store"])
        let activation = try #require(module.functions[0].body.ops.lazy.compactMap(\.kind.asActivation).first)
        // exp writes the bf16 tile (the cast of its f32 result) and reduces its f32 results into %sum.
        let types = module.functions[0].valueTable()
        #expect(types[activation.destination]?.type.tileType?.element == .bf16)
        #expect(activation.reduce?.op == .add)
        #expect(types[activation.reduce!.destination]?.nameHint == "sum")
        let scalar = try #require(module.functions[0].body.ops.lazy.compactMap(\.kind.asTensorScalar).first)
        #expect(types[scalar.destination]?.nameHint == "s")
    }

    @Test func aCopyStaysWhenItsTargetIsReadBetweenOrItsSourceIsNotF32ForACast() throws {
        let text = SchedulingSamples.module("(%x: hbm bf16[128, 512]) -> (%y: hbm f32[128, 512], %z: hbm f32[128, 512])", """
                %s = alloc sbuf f32[128 | 512]
                %t = alloc sbuf bf16[128 | 512]
                dma.load %x[0, 0] -> %t
                dve.copy %t -> %s
                %u = alloc sbuf f32[128 | 512]
                act.activate exp %s -> %u
                dma.store %s -> %y[0, 0]
                %f = alloc sbuf bf16[128 | 512]
                act.activate exp %t -> %f
                %w = alloc sbuf f32[128 | 512]
                dve.copy %f -> %w
                dve.copy %u -> %s
                dma.store %w -> %z[0, 0]
                return
            """)
        let module = try scheduled("fold-copies", text)
        // bf16 -> f32 from a load (a DMA does not convert), a bf16 exp's widening copy (its source is not f32),
        // and u's copy into s, which the store of s reads between the exp and the copy: all stay.
        let copies = module.functions[0].body.ops.filter { $0.kind.engineOp == .dveCopy }
        #expect(copies.count == 3)
    }

    @Test func aReductionStaysWhenItsSourceIsWrittenBetween() throws {
        let text = SchedulingSamples.module("(%x: hbm f32[128, 512]) -> (%r: hbm f32[128, 1])", """
                %t = alloc sbuf f32[128 | 512]
                dma.load %x[0, 0] -> %t
                %p = alloc sbuf f32[128 | 512]
                act.activate exp %t -> %p
                pool.affine_select %p -> %p offset 0 partition_step 1 free_step -1 fill -inf
                %m = alloc sbuf f32[128 | 1]
                dve.reduce max %p -> %m
                dma.store %m -> %r[0, 0]
                return
            """)
        let module = try scheduled("fold-copies", text)
        #expect(module.functions[0].body.ops.contains { $0.kind.engineOp == .dveReduce })
    }
}
