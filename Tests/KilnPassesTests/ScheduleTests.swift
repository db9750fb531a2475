// ScheduleTests.swift: the `schedule` pass: DMA queues, semaphores on every cross-stream dependence and none within one.

import KilnMachine
import KilnPasses
import KilnPluginAPI
import KilnSource
import KilnTileIR
import Testing

private let fullPipeline = "assign-engines,double-buffer,allocate,schedule"

/// Every sync op: semaphore, stream, and whether it is a signal.
private func syncOps(_ module: Module) -> [(semaphore: Int, stream: String, signal: Bool, count: Int)] {
    opsWithLoops(module.functions[0].body).compactMap { entry in
        switch entry.op.kind {
        case .syncSignal(let semaphore, let engine, let queue):
            return (semaphore, engine.rawValue + (queue.map { " queue \($0)" } ?? ""), true, 1)
        case .syncWait(let semaphore, let count, let engine, let queue):
            return (semaphore, engine.rawValue + (queue.map { " queue \($0)" } ?? ""), false, count)
        default:
            return nil
        }
    }
}

@Test func theScheduledMatmulIsRaceFreeWithDoubleBufferedLoadsAndSemaphoresBetweenStreams() throws {
    let module = try scheduled(fullPipeline, SchedulingSamples.matmul1024)
    let (races, deadlock) = SchedulingRaceChecker(module.functions[0], target: .trn1).check()
    #expect(deadlock == nil)
    #expect(races.isEmpty, "\(races.prefix(5))")
    let text = TileIR.print(module)
    // Loads of both buffers first on four queues, each waiting for the matmul that read its buffer last.
    #expect(text.contains("""
                  %at = alloc sbuf bf16[128 | 128] at partition 0 offset 0
                  sync.wait sem 8 >= 1 on dma queue 0
                  dma.load %a_t[%k, %m] -> %at queue 0
                  sync.signal sem 4 on dma queue 0

        """))
    #expect(text.contains("dma.load %a_t[%k + 128, %m] -> %at.1 queue 2"))
    #expect(text.contains("sync.wait sem 4 >= 1 on pe\n          sync.wait sem 5 >= 1 on pe\n"))
    #expect(text.contains("pe.matmul %at, %bt -> %acc start(%k == 0)\n          sync.signal sem 8 on pe\n"))
    #expect(text.contains("sync.wait sem 1 >= 1 on act\n        sync.wait sem 2 >= 1 on act\n        act.activate identity %acc -> %r\n"))
    // The PSUM evacuation (on act, the faster engine) waits for the matmuls; the store waits for it.
    let streams = Set(syncOps(module).map(\.stream))
    #expect(streams.isSuperset(of: ["pe", "act", "dma queue 0", "dma queue 1", "dma queue 2", "dma queue 3", "dma queue 4"]))
}

@Test func eachSemaphoreJoinsTwoDifferentStreamsWithCountOne() throws {
    let module = try scheduled(fullPipeline, SchedulingSamples.matmul1024)
    let syncs = syncOps(module)
    for semaphore in Set(syncs.map(\.semaphore)) {
        let signals = syncs.filter { $0.semaphore == semaphore && $0.signal }
        let waits = syncs.filter { $0.semaphore == semaphore && !$0.signal }
        #expect(waits.count == 1 && (1...2).contains(signals.count))
        #expect(Set(signals.map(\.stream)).count == 1)
        #expect(signals.first?.stream != waits.first?.stream)
        #expect(waits.first?.count == 1)
    }
}

@Test func removingAnyWaitLetsTheOracleFindARaceOrTheScheduleIsMinimal() throws {
    let module = try scheduled(fullPipeline, SchedulingSamples.matmul1024)
    func withoutWait(_ semaphore: Int, _ block: Block) -> Block {
        Block(block.ops.compactMap { op in
            if case .syncWait(semaphore, _, _, _) = op.kind { return nil }
            var copy = op
            if case .forLoop(var loop) = op.kind {
                loop.body = withoutWait(semaphore, loop.body)
                copy.kind = .forLoop(loop)
            }
            return copy
        })
    }
    for semaphore in Set(syncOps(module).map(\.semaphore)).sorted() {
        var broken = module.functions[0]
        broken.body = withoutWait(semaphore, broken.body)
        let (races, deadlock) = SchedulingRaceChecker(broken, target: .trn1).check()
        #expect(deadlock == nil)
        #expect(!races.isEmpty, "semaphore \(semaphore) orders nothing")
    }
}

@Test func opsOnOneEngineNeedNoSemaphores() throws {
    let module = try scheduled("schedule", SchedulingSamples.module("(%x: hbm f32[128, 512]) -> (%y: hbm f32[128, 512])", """
            %a = alloc sbuf f32[128 | 512]
            %b = alloc sbuf f32[128 | 512]
            dve.tensor_scalar mul %a, 2.0 -> %b
            dve.tensor_tensor add %a, %b -> %a
            dve.copy %a -> %b
            return
        """))
    #expect(syncOps(module).isEmpty)
}

@Test func dmaQueuesAreAssignedRoundRobinAndCheckedAgainstTheTarget() throws {
    let module = try scheduled(fullPipeline, SchedulingSamples.matmul1024)
    let queues = opsWithLoops(module.functions[0].body).compactMap { entry -> Int? in
        switch entry.op.kind {
        case .engine(let instruction) where instruction.op.engine == .dma: instruction.queue
        default: nil
        }
    }
    #expect(queues == [0, 1, 2, 3, 4])
    let text = SchedulingSamples.module("(%x: hbm f32[128, 512]) -> (%y: hbm f32[128, 512])", """
            %a = alloc sbuf f32[128 | 512]
            dma.load %x[0, 0] -> %a queue 16
            dma.store %a -> %y[0, 0]
            return
        """)
    let (_, report) = try schedulingRun("schedule", on: text)
    #expect(report.diagnostics.map(\.id.code) == ["K3720"])
    #expect(report.diagnostics.first?.message == "DMA queue 16 does not exist: trn1 has queues 0...15")
}

@Test func tilesSharingMemoryAndTrn1PortsAreOrderedToo() throws {
    // %x3 reuses %x1's memory; pool and dve share trn1's SBUF port.
    let text = SchedulingSamples.module("(%x: hbm f32[128, 24576]) -> (%y: hbm f32[128, 24576])", """
            for %i = 0 to 4 {
              %x1 = alloc sbuf f32[128 | 24576]
              %x2 = alloc sbuf f32[128 | 24576]
              %x3 = alloc sbuf f32[128 | 24576]
              dma.load %x[0, 0] -> %x1
              act.activate exp %x1 -> %x2
              pool.iota base 0 partition_step 1 free_step 0 -> %x3
              dve.tensor_tensor add %x2, %x3 -> %x3
              dma.store %x3 -> %y[0, 0]
            }
            return
        """)
    for target in [MachineTarget.trn1, .trn2] {
        let module = try scheduled("allocate,schedule", text, target: target)
        let (races, deadlock) = SchedulingRaceChecker(module.functions[0], target: target).check()
        #expect(deadlock == nil)
        #expect(races.isEmpty, "\(target): \(races.prefix(3))")
    }
}

@Test func syncOpsNameAQueueOnlyOnDMAAndRoundTrip() throws {
    let text = SchedulingSamples.module("(%x: hbm f32[128, 512]) -> ()", """
            sync.signal sem 1 on dma queue 3
            sync.wait sem 1 >= 1 on pe queue 2
            return
        """)
    let module = try #require(TileIR.parse(SourceFile(path: "t.tir", text: text)).module)
    #expect(TileIR.verify(module, target: .trn1).map(\.id.code) == ["K3212"])
    #expect(TileIR.print(module).contains("sync.signal sem 1 on dma queue 3\n    sync.wait sem 1 >= 1 on pe queue 2\n"))
}
