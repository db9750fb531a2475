// ScheduleHBMTests.swift: `schedule` on HBM accesses compared per loop variable, store queues, and tile views.

import KilnMachine
import KilnPasses
import KilnPluginAPI
import KilnSource
import KilnTileIR
import Testing

/// The semaphores waited on by each DMA queue, by queue.
private func waitsByQueue(_ module: Module) -> [Int: Int] {
    var waits: [Int: Int] = [:]
    for entry in opsWithLoops(module.functions[0].body) {
        if case .syncWait(_, _, .dma, let queue?) = entry.op.kind { waits[queue, default: 0] += 1 }
    }
    return waits
}

@Test func storesOfOneIterationAtDifferentOffsetsDoNotWaitForEachOther() throws {
    // Two stores per iteration into rows %i + 0 and %i + 128 of a 256-row step: never the same rows, in any pair of
    // iterations. With boxes over the loop they overlapped; compared on %i they do not.
    let module = try scheduled("schedule", SchedulingSamples.module("(%x: hbm f32[128, 64]) -> (%y: hbm f32[1024, 64])", """
            %t = alloc sbuf f32[128 | 64]
            dma.load %x[0, 0] -> %t
            for %i = 0 to 1024 step 256 {
              dma.store %t -> %y[%i, 0]
              dma.store %t -> %y[%i + 128, 0]
            }
            return
        """))
    let (races, deadlock) = SchedulingRaceChecker(module.functions[0], target: .trn1).check()
    #expect(deadlock == nil)
    #expect(races.isEmpty, "\(races.prefix(3))")
    // Only the waits for the load remain (one on each store's queue); neither store's queue signals the other.
    var waits = 0
    var storeQueueSignals = 0
    for entry in opsWithLoops(module.functions[0].body) {
        if case .syncWait = entry.op.kind { waits += 1 }
        if case .syncSignal(_, .dma, let queue?) = entry.op.kind, queue != 0 { storeQueueSignals += 1 }
    }
    #expect(waits == 2, "\(TileIR.print(module))")
    #expect(storeQueueSignals == 0, "\(TileIR.print(module))")
}

@Test func aStoreReadBackByALaterIterationStillWaits() throws {
    // Iteration i stores rows %i + 128 of a scratch tensor that iteration i + 1 loads (rows %i): the offsets differ
    // by the step, so the carried dependence must stay.
    let module = try scheduled("schedule", SchedulingSamples.module("(%x: hbm f32[128, 64]) -> (%y: hbm f32[128, 64])", """
            %s = hbm.alloc f32[1280, 64]
            %t = alloc sbuf f32[128 | 64]
            dma.load %x[0, 0] -> %t
            dma.store %t -> %s[0, 0]
            for %i = 0 to 1024 step 128 {
              %u = alloc sbuf f32[128 | 64]
              dma.load %s[%i, 0] -> %u
              dma.store %u -> %s[%i + 128, 0]
            }
            dma.store %t -> %y[0, 0]
            return
        """))
    let (races, deadlock) = SchedulingRaceChecker(module.functions[0], target: .trn1).check()
    #expect(deadlock == nil)
    #expect(races.isEmpty, "\(races.prefix(3))")
}

@Test func storeQueuesKeepStoresOffTheLoadQueues() throws {
    let module = try scheduled("schedule{store_queues=2}", SchedulingSamples.matmul1024)
    for entry in opsWithLoops(module.functions[0].body) {
        guard case .engine(let instruction) = entry.op.kind, instruction.op.engine == .dma, let queue = instruction.queue else { continue }
        if instruction.op == .dmaStore { #expect((14...15).contains(queue)) } else { #expect((0...13).contains(queue)) }
    }
    let (races, deadlock) = SchedulingRaceChecker(module.functions[0], target: .trn1).check()
    #expect(deadlock == nil)
    #expect(races.isEmpty)
    #expect(waitsByQueue(module).keys.allSatisfy { $0 < 16 })
}

@Test func writesThroughAViewOrderReadsOfItsBaseAndTheReverse() throws {
    // A load into the second half of %b through a view, then a dve read of all of %b, then a store of the view:
    // the dve op must wait for the load (RAW through the view) and nothing may write %b's second half while the
    // store reads it.
    let module = try scheduled("allocate,schedule", SchedulingSamples.module("(%x: hbm f32[128, 64]) -> (%y: hbm f32[128, 64])", """
            %b = alloc sbuf f32[128 | 128]
            %first = view %b offset 0 : sbuf f32[128 | 64]
            %second = view %b offset 64 : sbuf f32[128 | 64]
            dma.load %x[0, 0] -> %first
            dma.load %x[0, 0] -> %second
            act.activate exp %b -> %b
            dve.tensor_scalar mul %second, 2.0 -> %second
            dma.store %second -> %y[0, 0]
            return
        """))
    let (races, deadlock) = SchedulingRaceChecker(module.functions[0], target: .trn1).check()
    #expect(deadlock == nil)
    #expect(races.isEmpty, "\(races.prefix(3))")
    let text = TileIR.print(module)
    #expect(text.contains("view %b offset 64 : sbuf f32[128 | 64]"))
    #expect(text.contains("sync.wait"), "\(text)")
}

@Test func aViewOutsideItsBaseIsAVerifierError() throws {
    let text = SchedulingSamples.module("(%x: hbm f32[128, 64]) -> (%y: hbm f32[128, 64])", """
            %b = alloc sbuf f32[128 | 128]
            %v = view %b offset 100 : sbuf f32[128 | 64]
            return
        """)
    let (_, report) = try schedulingRun("dce", on: text)
    #expect(!report.succeeded)
    #expect(report.diagnostics.contains { $0.message.contains("does not fit in sbuf f32[128 | 128]") })
}
