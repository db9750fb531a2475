// ListSchedule.swift: the dependences between straight-line engine ops and the cost-driven list schedule over them.

import KilnMachine
import KilnTileIR

/// The in-order streams' estimated timeline a list schedule fills: when each engine (and each DMA queue, the core's
/// shared DMA bandwidth, and each memory port two engines share on trn1) is next free, from the ops' declared costs (the op table's `nanoseconds`). The chain tiler's block merge (`scheduled`)
/// and `interleave` share it.
struct StreamTimeline {
    let target: MachineTarget
    /// The type of every value the estimated ops refer to.
    var types: [ValueID: IRType]
    private var engineFree: [Engine: Double] = [:]
    /// When each memory port two engines share (trn1: `MachineTarget.exclusiveMemoryUse`) is next free.
    private var portFree: [ExclusiveMemoryUse: Double] = [:]
    /// One entry per DMA queue that transfers without a queue of their own can go to (`schedule` spreads them
    /// round-robin over the target's queues), each in order.
    private var dmaFree: [Double]
    /// When the core's shared DMA bandwidth is next free: the queues' data moves through it in issue order, as in
    /// the simulator (`SimulationRun`'s `dmaChannelFree`), so loads placed ahead delay every later transfer.
    private var channelFree: Double = 0

    init(target: MachineTarget, types: [ValueID: IRType], dmaQueues: Int) {
        self.target = target
        self.types = types
        self.dmaFree = Array(repeating: 0, count: max(1, dmaQueues))
    }

    /// The op's declared duration in nanoseconds (0 for anything that is not an engine instruction).
    func cost(_ op: Operation) -> Double {
        op.kind.instruction?.nanoseconds({ types[$0] }, target: target) ?? 0
    }

    /// A DMA op's transfer timing (nil for other ops).
    private func dmaTiming(_ op: Operation) -> DMATransferTiming? {
        op.kind.instruction?.dmaTiming({ types[$0] }, target: target)
    }

    /// The earliest the op's stream could start it: when the stream is free, and not before `ready`. An engine
    /// that waits for another stream's result (a semaphore) starts the fixed instruction overhead after it arrives,
    /// as the simulator does (`SimulationRun.wait`).
    func start(_ op: Operation, ready: Double) -> Double {
        guard let engine = op.kind.engine else { return ready }
        if engine == .dma {
            let queue = max(ready, dmaFree.min() ?? 0)
            guard let timing = dmaTiming(op) else { return queue }
            return max(queue, channelFree - timing.fixedNanoseconds)
        }
        var free = engineFree[engine] ?? 0
        for port in ports(op, on: engine) { free = max(free, portFree[port] ?? 0) }
        guard ready > free else { return free }
        return ready + target.nanoseconds(cycles: target.costs.fixedInstructionOverhead, on: engine)
    }

    /// Puts the op on its stream at `start` (as `start(_:ready:)` gave it); returns when it finishes.
    mutating func commit(_ op: Operation, at start: Double) -> Double {
        var finish = start + cost(op)
        guard let engine = op.kind.engine else { return finish }
        if engine == .dma {
            if let timing = dmaTiming(op) {
                let dataStart = max(start + timing.fixedNanoseconds, channelFree)
                channelFree = dataStart + Double(timing.bytes) / timing.channelBytesPerNanosecond
                finish = dataStart + Double(timing.bytes) / timing.bytesPerNanosecond
            }
            let queue = dmaFree.indices.min { dmaFree[$0] < dmaFree[$1] } ?? 0
            dmaFree[queue] = finish
        } else {
            engineFree[engine] = finish
            for port in ports(op, on: engine) { portFree[port] = finish }
        }
        return finish
    }

    /// The shared memory ports the op occupies: those of its engine for the memories it reads or writes.
    private func ports(_ op: Operation, on engine: Engine) -> [ExclusiveMemoryUse] {
        guard !target.exclusiveMemoryUse.isEmpty else { return [] }
        let memories = Set((op.kind.reads + op.kind.writes).compactMap { types[$0]?.tileType?.space })
        return target.exclusiveMemoryUse.filter { ($0.first == engine || $0.second == engine) && memories.contains($0.memory) }
    }
}

/// The order constraints between the engine ops of a straight-line run. Every op's memory is named by value: a
/// tile by its root `alloc` (`TileViews`: a view is its root's memory), an HBM tensor as a whole. Op B must follow
/// an earlier op A when B reads what A writes (read after write), B writes what A reads (write after read) or B
/// writes what A writes (write after write); two reads never order. `var` updates (`acc = acc * c + pv`, an op
/// reading and writing its buffer) are reads and writes of the buffer; a PSUM accumulation group is a chain of
/// writes of its accumulator; loads and stores of the same HBM tensor keep their order when one of them writes.
enum OpDependences {
    /// For each op, the indices of the earlier ops it must follow (sorted, no duplicates). Ops that are not engine
    /// instructions (allocs, views) neither have nor give dependences; callers keep them before their users.
    static func of(_ ops: [Operation], views: TileViews) -> [[Int]] {
        var lastWriter: [ValueID: Int] = [:]
        var readersSinceWrite: [ValueID: [Int]] = [:]
        var result: [[Int]] = []
        result.reserveCapacity(ops.count)
        for (index, op) in ops.enumerated() {
            guard op.kind.instruction != nil else {
                result.append([])
                continue
            }
            var before = Set<Int>()
            let reads = Set(op.kind.reads.map(views.root))
            let writes = Set(op.kind.writes.map(views.root))
            for value in reads.union(writes) {
                if let writer = lastWriter[value] { before.insert(writer) }
            }
            for value in writes { for reader in readersSinceWrite[value] ?? [] { before.insert(reader) } }
            before.remove(index)
            for value in reads where !writes.contains(value) { readersSinceWrite[value, default: []].append(index) }
            for value in writes {
                lastWriter[value] = index
                readersSinceWrite[value] = []
            }
            result.append(before.sorted())
        }
        return result
    }
}
