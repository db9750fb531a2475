// AllocateTests.swift: the `allocate` pass: partition alignment, reuse of dead tiles, PSUM banks, over-capacity errors.

import KilnMachine
import KilnPasses
import KilnPluginAPI
import KilnTileIR
import Testing

/// The placement of every alloc, by name hint.
private func placements(_ module: Module) -> [String: TilePlacement] {
    var out: [String: TilePlacement] = [:]
    module.functions[0].body.walk { op in
        if case .alloc(_, let placement?) = op.kind, let name = op.result?.nameHint { out[name] = placement }
    }
    return out
}

private let hbmSignature = "(%x: hbm f32[128, 65536]) -> (%y: hbm f32[128, 65536])"

@Test func partitionStartsFollowTheAlignmentRules() throws {
    // Two 64-partition tiles each filling a whole partition: the second must go to partition 64.
    let text = SchedulingSamples.module("(%x: hbm f32[64, 49152]) -> (%y: hbm f32[64, 49152])", """
            %a = alloc sbuf f32[64 | 49152]
            %b = alloc sbuf f32[64 | 49152]
            %s = alloc sbuf f32[32 | 16]
            %t = alloc sbuf f32[32 | 16]
            dma.load %x[0, 0] -> %a
            dve.copy %a -> %b
            dma.store %b -> %y[0, 0]
            pool.iota base 0 partition_step 1 free_step 1 -> %s
            pool.iota base 0 partition_step 1 free_step 1 -> %t
            dve.tensor_tensor add %s, %t -> %t
            return
        """)
    let placed = placements(try scheduled("allocate", text))
    #expect(placed["a"] == TilePlacement(partition: 0, offset: 0))
    #expect(placed["b"] == TilePlacement(partition: 64, offset: 0))
    for name in ["s", "t"] {
        let spot = try #require(placed[name])
        #expect(MachineTarget.trn1.allowedPartitionStarts(forPartitions: 32).contains(spot.partition))
        #expect(spot.offset % Allocate.sbufAlignment == 0)
    }
    #expect(placed["s"] != placed["t"])
}

@Test func deadTilesGiveTheirMemoryToLaterTilesWhenMemoryIsShort() throws {
    // 3 x 96 KiB per partition does not fit 192 KiB, but %x1 is dead when %x3 is written.
    let text = SchedulingSamples.module(hbmSignature, """
            %x1 = alloc sbuf f32[128 | 24576]
            %x2 = alloc sbuf f32[128 | 24576]
            %x3 = alloc sbuf f32[128 | 24576]
            dma.load %x[0, 0] -> %x1
            act.activate exp %x1 -> %x2
            dve.tensor_scalar mul %x2, 2.0 -> %x3
            dma.store %x3 -> %y[0, 0]
            return
        """)
    let placed = placements(try scheduled("allocate", text))
    #expect(placed["x1"] == TilePlacement(partition: 0, offset: 0))
    #expect(placed["x2"] == TilePlacement(partition: 0, offset: 98304))
    #expect(placed["x3"] == placed["x1"])
}

@Test func freshMemoryIsPreferredWhileItLasts() throws {
    let text = SchedulingSamples.module(hbmSignature, """
            %x1 = alloc sbuf f32[128 | 512]
            %x2 = alloc sbuf f32[128 | 512]
            %x3 = alloc sbuf f32[128 | 512]
            dma.load %x[0, 0] -> %x1
            act.activate exp %x1 -> %x2
            dve.tensor_scalar mul %x2, 2.0 -> %x3
            dma.store %x3 -> %y[0, 0]
            return
        """)
    let placed = placements(try scheduled("allocate", text))
    #expect(Set(placed.values.map(\.offset)) == [0, 2048, 4096])
}

@Test func smallTilesGoToTheTopAndLeaveTheBottomToLargeOnes() throws {
    // Two 64 KiB tiles and a [128 | 1] sum between them: the sum takes the last 64 bytes of SBUF, so the
    // second large tile sits right after the first, and a third fits below the sum with 64 KiB - 64 B to spare.
    let text = SchedulingSamples.module(hbmSignature, """
            %a = alloc sbuf f32[128 | 16384]
            %s = alloc sbuf f32[128 | 1]
            %b = alloc sbuf f32[128 | 16384]
            dma.load %x[0, 0] -> %a
            dve.reduce add %a -> %s
            dve.tensor_scalar sub %a, %s -> %b
            dma.store %b -> %y[0, 0]
            return
        """)
    let placed = placements(try scheduled("allocate", text))
    let capacity = MachineTarget.trn1.sbuf.bytesPerPartition
    #expect(placed["a"] == TilePlacement(partition: 0, offset: 0))
    #expect(placed["s"] == TilePlacement(partition: 0, offset: capacity - Allocate.sbufAlignment))
    #expect(placed["b"] == TilePlacement(partition: 0, offset: 65536))
}

@Test func aLoopsLoadBufferIsNotReusedByTheTilesAfterItInTheBody() throws {
    // 3 x 64 KiB plus a small sum: %v has no fresh memory; %t is dead when %v is written, but it is the loop's
    // load buffer, so %v takes the memory of dead tiles elsewhere (the sum's) and the next load need not wait.
    let text = SchedulingSamples.module("(%x: hbm f32[512, 16384]) -> (%y: hbm f32[512, 16384])", """
            for %i = 0 to 512 step 128 {
              %t = alloc sbuf f32[128 | 16384]
              dma.load %x[%i, 0] -> %t
              %s = alloc sbuf f32[128 | 1]
              dve.reduce add %t -> %s
              %u = alloc sbuf f32[128 | 16384]
              dve.tensor_scalar sub %t, %s -> %u
              %v = alloc sbuf f32[128 | 16384]
              act.activate exp %u -> %v
              dma.store %v -> %y[%i, 0]
            }
            return
        """)
    let placed = placements(try scheduled("allocate", text))
    #expect(placed["t"] == TilePlacement(partition: 0, offset: 0))
    #expect(placed["u"] == TilePlacement(partition: 0, offset: 65536))
    #expect(placed["v"] == TilePlacement(partition: 0, offset: 131072))
    // Without room elsewhere the load buffer's memory is still reused (the third try): %w is written while %u
    // and %v are live, so only %t's memory is left.
    let tight = SchedulingSamples.module("(%x: hbm f32[512, 16384]) -> (%y: hbm f32[512, 16384])", """
            for %i = 0 to 512 step 128 {
              %t = alloc sbuf f32[128 | 16384]
              dma.load %x[%i, 0] -> %t
              %u = alloc sbuf f32[128 | 16384]
              act.activate exp %t -> %u
              %v = alloc sbuf f32[128 | 16384]
              act.activate exp %u -> %v
              %w = alloc sbuf f32[128 | 16384]
              dve.tensor_tensor mul %v, %u -> %w
              dma.store %w -> %y[%i, 0]
            }
            return
        """)
    let tightPlaced = placements(try scheduled("allocate", tight))
    #expect(tightPlaced["w"] == TilePlacement(partition: 0, offset: 0))
    #expect(tightPlaced["v"] == TilePlacement(partition: 0, offset: 131072))
}

@Test func accumulatorsTakeABankEachAndOtherPSUMTilesNeverCrossOne() throws {
    let text = SchedulingSamples.module("(%x: hbm bf16[128, 128]) -> (%y: hbm f32[128, 128])", """
            %s = alloc sbuf bf16[128 | 128]
            dma.load %x[0, 0] -> %s
            %acc = alloc psum f32[128 | 128]
            %t1 = alloc psum f32[128 | 384]
            %t2 = alloc psum f32[128 | 384]
            pe.matmul %s, %s -> %acc start stop
            %o = alloc sbuf f32[128 | 128]
            dve.copy %acc -> %o
            dve.tensor_scalar mul %t1, 1.0 -> %t1
            dve.tensor_scalar mul %t2, 1.0 -> %t2
            dma.store %o -> %y[0, 0]
            return
        """)
    let placed = placements(try scheduled("allocate", text))
    #expect(placed["acc"]?.offset == 0)
    #expect(placed["t1"]?.offset == 2048)
    #expect(placed["t2"]?.offset == 4096)
}

@Test func nineLiveAccumulatorsExceedTheEightPSUMBanks() throws {
    var body = "        %s = alloc sbuf bf16[128 | 128]\n        dma.load %x[0, 0] -> %s\n"
    for i in 0..<9 { body += "        %acc\(i) = alloc psum f32[128 | 128]\n        pe.matmul %s, %s -> %acc\(i) start stop\n" }
    body += "        %o = alloc sbuf f32[128 | 128]\n"
    for i in 0..<9 { body += "        dve.tensor_tensor add %o, %acc\(i) -> %o\n" }
    body += "        dma.store %o -> %y[0, 0]\n        return"
    let (_, report) = try schedulingRun("allocate", on: SchedulingSamples.module(
        "(%x: hbm bf16[128, 128]) -> (%y: hbm f32[128, 128])", body))
    let errors = report.diagnostics.filter { $0.severity == .error }
    #expect(errors.count == 1)
    let message = try #require(errors.first?.message)
    #expect(errors.first?.id.code == "K3701")
    #expect(message.contains("cannot place %acc8 (psum f32[128 | 128])"))
    #expect(message.contains("trn1 PSUM has 16384 bytes per partition (16 KiB)"))
    #expect(message.contains("%acc0 (2048 B)") && message.contains("%acc7 (2048 B)") && message.contains("16384 B in all"))
}

@Test func overCapacityNamesTheLiveTilesAndTheTargetsCapacity() throws {
    let text = SchedulingSamples.module(hbmSignature, """
            %big = alloc sbuf f32[128 | 25600]
            %other = alloc sbuf f32[128 | 25600]
            dma.load %x[0, 0] -> %big
            act.activate exp %big -> %other
            dma.store %other -> %y[0, 0]
            return
        """)
    let (_, trn1Report) = try schedulingRun("allocate", on: text, target: .trn1)
    let error = try #require(trn1Report.diagnostics.first { $0.severity == .error })
    #expect(error.id.code == "K3701")
    #expect(error.message == "cannot place %other (sbuf f32[128 | 25600]), 102400 bytes per partition: "
        + "trn1 SBUF has 196608 bytes per partition (192 KiB); live there: %big (102400 B), 102400 B in all")
    // trn2's 224 KiB partitions hold both.
    let placed = placements(try scheduled("allocate", text, target: .trn2))
    #expect(placed["other"] == TilePlacement(partition: 0, offset: 102400))
}
