// SchedulingRaceChecker.swift: runs a scheduled function abstractly and reports races and deadlocks (test oracle).

import KilnMachine
import KilnTileIR

/// An oracle for `schedule`, independent of its dependence analysis: executes the function with loops
/// unrolled, each stream (engine, or DMA queue) in order, counting semaphores whose waits take the oldest
/// units, and vector clocks for happens-before. Two accesses on different streams race when they touch
/// overlapping bytes (concrete HBM slices per iteration, placed tile ranges), one writes, and neither
/// happens before the other; on trn1, dve/pool on SBUF and dve/act on PSUM also may not overlap.
struct SchedulingRaceChecker {
    enum Region {
        case tile(MemorySpace, Range<Int>, Range<Int>)
        case hbm(ValueID, [Range<Int>])

        func overlaps(_ other: Region) -> Bool {
            switch (self, other) {
            case (.tile(let s, let p, let b), .tile(let t, let q, let c)): s == t && p.overlaps(q) && b.overlaps(c)
            case (.hbm(let a, let x), .hbm(let b, let y)): a == b && zip(x, y).allSatisfy { $0.overlaps($1) }
            default: false
            }
        }
    }

    enum Step {
        case access(engine: Engine, reads: [Region], writes: [Region], what: String)
        case signal(Int)
        case wait(Int, Int)
    }

    struct Record {
        var stream: String
        var sequence: Int
        var clock: [String: Int]
        var engine: Engine
        var reads: [Region]
        var writes: [Region]
        var what: String
    }

    let target: MachineTarget
    var streams: [String: [Step]] = [:]
    var types: [ValueID: ValueDef] = [:]
    var placements: [ValueID: TilePlacement] = [:]
    let views: TileViews

    init(_ function: Function, target: MachineTarget) {
        self.target = target
        types = function.valueTable()
        views = TileViews(function)
        function.body.walk { op in
            if case .alloc(_, let placement?) = op.kind, let id = op.result?.id { placements[id] = placement }
        }
        flatten(function.body, values: [:])
    }

    private mutating func flatten(_ block: Block, values: [ValueID: Int]) {
        for op in block.ops {
            switch op.kind {
            case .forLoop(let loop):
                for value in stride(from: loop.lowerBound, to: loop.upperBound, by: loop.step) {
                    var inner = values
                    inner[loop.inductionVariable.id] = value
                    flatten(loop.body, values: inner)
                }
            case .syncSignal(let semaphore, let engine, let queue):
                streams[name(engine, queue), default: []].append(.signal(semaphore))
            case .syncWait(let semaphore, let count, let engine, let queue):
                streams[name(engine, queue), default: []].append(.wait(semaphore, count))
            default:
                guard let engine = op.kind.engine else { continue }
                var reads = op.kind.reads.compactMap(tile)
                var writes = op.kind.writes.compactMap(tile)
                var queue: Int?
                if let transfer = op.kind.asLoad { queue = transfer.queue; reads.append(slice(transfer, values)) }
                if let transfer = op.kind.asStore { queue = transfer.queue; writes.append(slice(transfer, values)) }
                streams[name(engine, queue), default: []].append(.access(engine: engine, reads: reads, writes: writes,
                                                                         what: "\(op.opcode) \(values.values.sorted())"))
            }
        }
    }

    private func name(_ engine: Engine, _ queue: Int?) -> String { queue.map { "\(engine)\($0)" } ?? engine.rawValue }

    private func tile(_ value: ValueID) -> Region? {
        guard let type = types[value]?.type.tileType, let rootSpot = placements[views.root(value)] else { return nil }
        let spot = views.placement(of: value, root: rootSpot)
        return .tile(type.space, spot.partition..<(spot.partition + type.partitions),
                     spot.offset..<(spot.offset + type.bytesPerPartition))
    }

    private func slice(_ transfer: DMATransfer, _ values: [ValueID: Int]) -> Region {
        let shape = types[transfer.tile]?.type.tileType?.shape ?? []
        let extents = transfer.transpose ? shape.reversed() : shape
        let ranges = zip(transfer.offsets, extents).map { offset, extent in
            let start = offset.terms.reduce(offset.constant) { $0 + $1.coefficient * (values[$1.variable] ?? 0) }
            return start..<(start + extent)
        }
        return .hbm(transfer.hbm, ranges)
    }

    /// Runs every stream to the end; returns the races found, or a deadlock description.
    func check() -> (races: [String], deadlock: String?) {
        let names = streams.keys.sorted()
        var positions = [String: Int](uniqueKeysWithValues: names.map { ($0, 0) })
        var clocks = [String: [String: Int]](uniqueKeysWithValues: names.map { ($0, [:]) })
        var semaphores: [Int: [[String: Int]]] = [:]
        var records: [Record] = []
        var progressed = true
        while progressed {
            progressed = false
            for stream in names {
                let steps = streams[stream] ?? []
                while let position = positions[stream], position < steps.count {
                    var clock = clocks[stream] ?? [:]
                    var blocked = false
                    switch steps[position] {
                    case .access(let engine, let reads, let writes, let what):
                        clock[stream, default: 0] += 1
                        records.append(Record(stream: stream, sequence: clock[stream] ?? 0, clock: clock, engine: engine,
                                              reads: reads, writes: writes, what: what))
                    case .signal(let semaphore):
                        clock[stream, default: 0] += 1
                        semaphores[semaphore, default: []].append(clock)
                    case .wait(let semaphore, let count):
                        guard semaphores[semaphore, default: []].count >= count else {
                            blocked = true
                            break
                        }
                        for unit in semaphores[semaphore, default: []].prefix(count) {
                            clock.merge(unit) { max($0, $1) }
                        }
                        semaphores[semaphore]?.removeFirst(count)
                        clock[stream, default: 0] += 1
                    }
                    if blocked { break }
                    clocks[stream] = clock
                    positions[stream] = position + 1
                    progressed = true
                }
            }
        }
        let stuck = names.filter { (positions[$0] ?? 0) < (streams[$0]?.count ?? 0) }
        if !stuck.isEmpty { return ([], "deadlock: " + stuck.joined(separator: ", ") + " cannot go on") }
        return (races(records), nil)
    }

    private func races(_ records: [Record]) -> [String] {
        var found: [String] = []
        for (i, a) in records.enumerated() {
            for b in records[(i + 1)...] where a.stream != b.stream && conflict(a, b) {
                let ordered = (b.clock[a.stream] ?? 0) >= a.sequence || (a.clock[b.stream] ?? 0) >= b.sequence
                if !ordered { found.append("\(a.stream) \(a.what) and \(b.stream) \(b.what)") }
            }
        }
        return found
    }

    private func conflict(_ a: Record, _ b: Record) -> Bool {
        let hazard = a.writes.contains { w in (b.reads + b.writes).contains(where: w.overlaps) }
            || b.writes.contains { w in a.reads.contains(where: w.overlaps) }
        if hazard { return true }
        func spaces(_ r: Record) -> Set<MemorySpace> {
            Set((r.reads + r.writes).compactMap { if case .tile(let space, _, _) = $0 { return space } else { return nil } })
        }
        return target.exclusiveMemoryUse.contains { rule in
            Set([a.engine, b.engine]) == [rule.first, rule.second] && spaces(a).contains(rule.memory)
                && spaces(b).contains(rule.memory)
        }
    }
}
