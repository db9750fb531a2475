// Schedule.swift: the `schedule` pass: DMA queues, and semaphores for every dependence between instruction streams.

import KilnMachine
import KilnPluginAPI
import KilnSource
import KilnTileIR

/// `schedule`: makes the program safe to run on concurrent in-order streams, one per engine (pe, act, dve,
/// pool) and one per DMA queue, by assigning DMA queues and inserting semaphore signal/wait pairs.
///
/// Per-stream order is program order (earlier passes, `double-buffer` in particular, already put loads
/// ahead of the compute that needs them); within one stream program order suffices, so only dependences
/// between streams get semaphores. Semaphores count: `sync.signal` adds one once everything before it on
/// its stream has finished; `sync.wait sem S >= N` blocks its stream until S holds at least N, then takes N.
///
/// Algorithm, per function:
/// 1. Existing `sync` ops are removed (the pass recomputes all synchronisation). DMA transfers without a
///    queue get one round-robin over the target's queues in program order; a given queue must exist (K3720).
/// 2. Accesses: each engine op's reads and writes: placed tiles as partition and byte ranges (after
///    `allocate`, so tiles sharing memory depend on each other), unplaced tiles as themselves, HBM slices as
///    boxes covering every iteration of the enclosing loops.
/// 3. Dependences: two ops on different streams conflict when they touch overlapping memory and one writes
///    it (RAW, WAR, WAW), or when trn1's shared ports forbid their engines to use one memory together. A
///    conflict is lifted to the innermost block holding both ops: each op is represented there by its
///    *anchor* (itself or the loop containing it). The earlier op's anchor must finish before the later's
///    starts in the same iteration (forward edge); if that block is a loop body, the later op's anchor in
///    iteration i must also finish before the earlier's starts in iteration i+1 (carried edge). Lifting makes
///    both ends run equally often, once per iteration of the block, so counts never depend on the iteration.
/// 4. Pruning: per consumer anchor and producer stream only the latest producer is kept (a forward one over
///    a carried one), and a wait that an earlier wait of the same stream in the same block implies is dropped.
/// 5. Each edge gets its own semaphore: `sync.signal` on the producer's stream right after the producer
///    anchor, `sync.wait ... >= 1` on the consumer's stream right before the consumer anchor. A carried edge
///    also gets one initial signal at the top of the function: the credit that lets the first iteration
///    pass; from then on the consumer in iteration i takes the signal of iteration i-1. Every wait thus
///    waits only for signals earlier in program order, so the schedule cannot deadlock.
public struct Schedule: Pass {
    public let name = "schedule"
    public let summary = "assign DMA queues; insert semaphore signal/wait pairs for every cross-stream dependence"
    public let options: [PassOption] = [
        PassOption("dma_queues", .integers(1...16), default: "all the target's queues, 16",
                   help: "DMA transfers without a queue go round-robin over the first this many queues"),
        PassOption("store_queues", .integers(0...15), default: "0: stores share the queues with loads",
                   help: "stores go round-robin over the last this many of those queues and loads over the others, so a "
                       + "load never waits in a queue behind a store"),
    ]

    public init() {}

    public func run(on module: inout Module, context: inout PassContext) throws {
        for index in module.functions.indices {
            var function = module.functions[index]
            let spread = min(context.options.integer("dma_queues") ?? context.target.dma.queuesPerEngine,
                             context.target.dma.queuesPerEngine)
            let stores = min(context.options.integer("store_queues") ?? 0, spread - 1)
            var queues = QueueCursor(loads: 0..<(spread - stores), stores: stores > 0 ? (spread - stores)..<spread : 0..<spread)
            function.body = Self.prepare(function.body, target: context.target, queues: &queues, context: &context)
            let accesses = SchedulingAccessCollector(function: function).accesses
            let edges = SchedulingDependences.edges(accesses, target: context.target)
            function.body = Self.insertSynchronisation(edges, into: function.body)
            module.functions[index] = function
        }
    }

    /// Round-robin queue choice: stores over `stores`, other transfers over `loads` (one cursor when they are the same
    /// range).
    struct QueueCursor {
        var loads: Range<Int>
        var stores: Range<Int>
        var nextLoad = 0
        var nextStore = 0

        mutating func next(store: Bool) -> Int {
            if loads == stores || !store {
                defer { nextLoad = (nextLoad + 1) % max(1, loads.count) }
                return loads.lowerBound + nextLoad
            }
            defer { nextStore = (nextStore + 1) % max(1, stores.count) }
            return stores.lowerBound + nextStore
        }
    }

    /// Removes `sync` ops and gives every DMA transfer without one a queue, round-robin (`QueueCursor`).
    static func prepare(_ block: Block, target: MachineTarget, queues cursor: inout QueueCursor,
                        context: inout PassContext) -> Block {
        let queues = max(1, target.dma.queuesPerEngine)
        var ops: [Operation] = []
        for var op in block.ops {
            switch op.kind {
            case .syncSignal, .syncWait:
                continue
            case .forLoop(var loop):
                loop.body = prepare(loop.body, target: target, queues: &cursor, context: &context)
                op.kind = .forLoop(loop)
            case .engine(var instruction) where instruction.op.engine == .dma:
                if let queue = instruction.queue {
                    if queue < 0 || queue >= queues {
                        context.report(at: op) {
                            DiagnosticCatalogue.dmaQueueOutOfRange(queue, queues: queues, target: target.name, at: $0)
                        }
                    }
                } else {
                    instruction.queue = cursor.next(store: instruction.op == .dmaStore)
                }
                op.kind = .engine(instruction)
            default:
                break
            }
            ops.append(op)
        }
        return Block(ops)
    }

    /// Inserts one semaphore per edge: signal after the producer anchor, wait before the consumer anchor,
    /// and an initial signal at the top of the function for carried edges.
    static func insertSynchronisation(_ edges: [SchedulingEdge], into body: Block) -> Block {
        var before: [[Int]: [Int: [Operation]]] = [:]
        var after: [[Int]: [Int: [Operation]]] = [:]
        var credits: [Operation] = []
        for (semaphore, edge) in edges.enumerated() {
            let producer = edge.producerStream, consumer = edge.consumerStream
            let signal = Operation(.syncSignal(semaphore: semaphore, engine: producer.engine, queue: producer.queue))
            let wait = Operation(.syncWait(semaphore: semaphore, atLeast: 1, engine: consumer.engine, queue: consumer.queue))
            after[edge.block, default: [:]][edge.producer, default: []].append(signal)
            before[edge.block, default: [:]][edge.consumer, default: []].append(wait)
            if edge.carried { credits.append(signal) }
        }
        func rebuild(_ block: Block, path: [Int]) -> Block {
            var ops: [Operation] = []
            for (index, op) in block.ops.enumerated() {
                var copy = op
                if case .forLoop(var loop) = op.kind {
                    loop.body = rebuild(loop.body, path: path + [index])
                    copy.kind = .forLoop(loop)
                }
                let waits = (before[path]?[index] ?? []).map { Operation($0.kind, span: op.span) }
                let signals = (after[path]?[index] ?? []).map { Operation($0.kind, span: op.span) }
                ops += waits + [copy] + signals
            }
            return Block(ops)
        }
        let rebuilt = rebuild(body, path: [])
        return Block(credits + rebuilt.ops)
    }
}
