// SchedulingDependences.swift: which engine ops touch which memory, and the cross-stream dependences between them.

import KilnMachine
import KilnISA
import KilnTileIR

/// An in-order instruction stream: one engine's queue, or one DMA queue.
struct SchedulingStream: Hashable, Comparable {
    var engine: Engine
    var queue: Int?

    static func < (lhs: SchedulingStream, rhs: SchedulingStream) -> Bool {
        let order = Engine.allCases
        let (a, b) = (order.firstIndex(of: lhs.engine) ?? 0, order.firstIndex(of: rhs.engine) ?? 0)
        return a != b ? a < b : (lhs.queue ?? -1) < (rhs.queue ?? -1)
    }
}

/// A piece of memory an op touches: a placed tile's partitions and bytes, an unplaced tile as a whole, or the
/// part of an HBM tensor it touches over every iteration of the enclosing loops, one `HBMRange` per dim.
enum SchedulingRegion: Equatable {
    case placed(MemorySpace, partitions: Range<Int>, bytes: Range<Int>)
    case unplaced(ValueID)
    case hbm(ValueID, dims: [HBMRange])

    func overlaps(_ other: SchedulingRegion) -> Bool {
        switch (self, other) {
        case (.placed(let s, let p, let b), .placed(let t, let q, let c)): s == t && p.overlaps(q) && b.overlaps(c)
        case (.unplaced(let a), .unplaced(let b)): a == b
        case (.hbm(let a, let dims), .hbm(let b, let other)):
            a == b && zip(dims, other).allSatisfy { $0.mayOverlap($1) }
        default: false
        }
    }

    var space: MemorySpace {
        switch self {
        case .placed(let space, _, _): space
        case .unplaced: .sbuf
        case .hbm: .hbm
        }
    }
}

/// The offsets one HBM access covers along one dim over all iterations of its loops: `box`, and when the offset
/// names at most one loop variable, the exact lattice `constant + coefficient * v` for v = first, first + step,
/// ..., last, each start followed by `extent` elements.
struct HBMRange: Equatable {
    struct Lattice: Equatable {
        var variable: ValueID?
        var coefficient: Int
        var constant: Int
        var first: Int
        var last: Int
        var step: Int
        var extent: Int
        /// Iterations after the first: v = first + m * step for m in 0...count.
        var count: Int { step > 0 ? max(0, (last - first) / step) : 0 }
    }
    var box: ClosedRange<Int>
    var lattice: Lattice?

    /// False only if no iteration of one access meets any iteration of the other along this dim (so the two never
    /// touch the same element, whatever the other dims do). Two offsets on the same loop variable with the same
    /// coefficient are compared by their difference, the others by the values each takes; anything else by boxes.
    func mayOverlap(_ other: HBMRange) -> Bool {
        guard box.overlaps(other.box) else { return false }
        guard let a = lattice, let b = other.lattice else { return true }
        // Starts s_a, s_b overlap when -extent_a < s_a - s_b < extent_b.
        if let v = a.variable, v == b.variable, a.coefficient == b.coefficient, a.step == b.step {
            // s_a - s_b = (a.constant - b.constant) + coefficient * step * m, m in -count...count.
            return Self.hits(base: a.constant - b.constant, stride: a.coefficient * a.step, m: -a.count...a.count,
                             above: -a.extent, below: b.extent)
        }
        if a.variable == nil || b.variable == nil {
            let (moving, fixed, sign) = a.variable == nil ? (b, a, -1) : (a, b, 1)
            // s_moving - s_fixed in (-extent, extent') with the extents of (a, b) in order.
            let base = moving.constant + moving.coefficient * moving.first - fixed.constant
            let (low, high) = sign == 1 ? (-a.extent, b.extent) : (-b.extent, a.extent)
            return Self.hits(base: base, stride: moving.coefficient * moving.step, m: 0...moving.count, above: low, below: high)
        }
        return true
    }

    /// Whether base + stride * m lies strictly between `above` and `below` for some m in `m`.
    static func hits(base: Int, stride: Int, m: ClosedRange<Int>, above: Int, below: Int) -> Bool {
        if stride == 0 { return above < base && base < below }
        let (s, low, high) = stride > 0 ? (stride, above - base, below - base) : (-stride, base - below, base - above)
        // s * m' in (low, high) for m' in m (m' = -m when the stride was negative).
        let range = stride > 0 ? m : (-m.upperBound)...(-m.lowerBound)
        let smallest = Int((Double(low) / Double(s)).rounded(.down)) + 1
        let largest = Int((Double(high) / Double(s)).rounded(.up)) - 1
        return max(smallest, range.lowerBound) <= min(largest, range.upperBound)
    }
}

/// One engine op: where it is (indices through the nested blocks), its stream, and what it reads and writes.
struct SchedulingAccess {
    var path: [Int]
    var stream: SchedulingStream
    var reads: [SchedulingRegion]
    var writes: [SchedulingRegion]
    var spaces: Set<MemorySpace>
}

/// A dependence to enforce: in the block at `block` (loop indices from the function body), the op at
/// `consumer` on `consumerStream` waits for the op at `producer` on `producerStream` of the same iteration
/// (forward), or of the previous iteration (`carried`, producer after consumer in the body).
struct SchedulingEdge: Hashable {
    var block: [Int]
    var producer: Int
    var producerStream: SchedulingStream
    var consumer: Int
    var consumerStream: SchedulingStream
    var carried: Bool
}

/// Collects every engine op's accesses in program order.
struct SchedulingAccessCollector {
    let types: [ValueID: ValueDef]
    var placements: [ValueID: TilePlacement] = [:]
    let views: TileViews
    var loopRanges: [ValueID: ClosedRange<Int>] = [:]
    var loopSteps: [ValueID: Int] = [:]
    var accesses: [SchedulingAccess] = []

    init(function: Function) {
        types = function.valueTable()
        views = TileViews(function)
        function.body.walk { op in
            if case .alloc(_, let placement?) = op.kind, let id = op.result?.id { placements[id] = placement }
        }
        collect(function.body, path: [])
    }

    private mutating func collect(_ block: Block, path: [Int]) {
        for (index, op) in block.ops.enumerated() {
            if case .forLoop(let loop) = op.kind {
                if let last = loop.lastValue { loopRanges[loop.inductionVariable.id] = loop.lowerBound...last }
                loopSteps[loop.inductionVariable.id] = loop.step
                collect(loop.body, path: path + [index])
                continue
            }
            guard let engine = op.kind.engine, !op.kind.isSynchronisation else { continue }
            var queue: Int?
            var hbmRegion: SchedulingRegion?
            if let transfer = op.kind.asTransfer { queue = transfer.queue; hbmRegion = region(of: transfer) }
            var gatherReads: [SchedulingRegion] = []
            var scatterWrites: [SchedulingRegion] = []
            if let instruction = op.kind.instruction, instruction.op == .dmaGather {
                queue = instruction.queue
                gatherReads = indirectRegions(instruction, table: 0, indices: 1, tile: 2)
            }
            if let instruction = op.kind.instruction, instruction.op == .dmaScatterAdd {
                // A read-modify-write of the table rows: ordered after every access to them, and every later one after it.
                queue = instruction.queue
                gatherReads = indirectRegions(instruction, table: 1, indices: 2, tile: 0)
                scatterWrites = Array(gatherReads.prefix(1))
            }
            let tileReads = op.kind.reads.compactMap(region(ofTile:))
            let tileWrites = op.kind.writes.compactMap(region(ofTile:))
            var access = SchedulingAccess(path: path + [index], stream: SchedulingStream(engine: engine, queue: queue),
                                          reads: tileReads, writes: tileWrites, spaces: [])
            if let hbmRegion {
                if op.kind.asLoad != nil { access.reads.append(hbmRegion) } else { access.writes.append(hbmRegion) }
            }
            access.reads += gatherReads
            access.writes += scatterWrites
            access.spaces = Set((access.reads + access.writes).map(\.space))
            accesses.append(access)
        }
    }

    private func region(ofTile value: ValueID) -> SchedulingRegion? {
        guard let tile = types[value]?.type.tileType else { return nil }
        let root = views.root(value)
        guard let rootSpot = placements[root] else { return .unplaced(root) }
        let spot = views.placement(of: value, root: rootSpot)
        return .placed(tile.space, partitions: spot.partition..<(spot.partition + tile.partitions),
                       bytes: spot.offset..<(spot.offset + max(1, tile.bytesPerPartition)))
    }

    /// The HBM box a transfer touches over all iterations of its loops.
    private func region(of transfer: DMATransfer) -> SchedulingRegion? {
        guard let tile = types[transfer.tile]?.type.tileType else { return nil }
        let hbmRank: Int
        switch types[transfer.hbm]?.type {
        case .hbm(let tensor)?, .tensor(let tensor)?: hbmRank = tensor.rank
        default: hbmRank = transfer.offsets.count
        }
        let extents = transfer.sliceShape(tile: tile, hbmRank: hbmRank) ?? tile.shape
        return region(transfer.hbm, transfer.offsets, extents: extents)
    }

    /// The HBM boxes `dma.gather` reads and `dma.scatter_add` reads and writes (`DMAGather`), by operand field: the
    /// table's columns, every row, then the index run.
    private func indirectRegions(_ instruction: EngineInstruction, table tableField: Int, indices indexField: Int,
                                 tile tileField: Int) -> [SchedulingRegion] {
        guard instruction.operands.count == 3, case .slice(let table, let tableOffsets) = instruction.operands[tableField],
              case .slice(let indices, let indexOffsets) = instruction.operands[indexField],
              case .tile(let value) = instruction.operands[tileField], let tile = types[value]?.type.tileType,
              let tableShape = types[table]?.type.hbmType?.shape, tableShape.count == 2,
              let indexRank = types[indices]?.type.hbmType?.rank else { return [] }
        return [region(table, tableOffsets, extents: DMAGather.tableExtents(rows: tableShape[0], free: tile.freeElements)),
                region(indices, indexOffsets, extents: DMAGather.indexExtents(rank: indexRank, partitions: tile.partitions))]
    }

    /// The box `offsets` plus `extents` covers over all iterations of the loops the offsets name.
    private func region(_ tensor: ValueID, _ offsets: [AffineExpr], extents: [Int]) -> SchedulingRegion {
        var dims: [HBMRange] = []
        for (dim, offset) in offsets.enumerated() {
            var low = offset.constant, high = offset.constant
            for term in offset.terms {
                let range = loopRanges[term.variable] ?? 0...0
                let (a, b) = (term.coefficient * range.lowerBound, term.coefficient * range.upperBound)
                low += min(a, b)
                high += max(a, b)
            }
            let extent = max(1, dim < extents.count ? extents[dim] : 1)
            var lattice: HBMRange.Lattice?
            if offset.terms.isEmpty {
                lattice = .init(variable: nil, coefficient: 0, constant: offset.constant, first: 0, last: 0, step: 1, extent: extent)
            } else if offset.terms.count == 1, let term = offset.terms.first, let range = loopRanges[term.variable],
                      let step = loopSteps[term.variable], step > 0 {
                lattice = .init(variable: term.variable, coefficient: term.coefficient, constant: offset.constant,
                                first: range.lowerBound, last: range.upperBound, step: step, extent: extent)
            }
            dims.append(HBMRange(box: low...(high + extent - 1), lattice: lattice))
        }
        return .hbm(tensor, dims: dims)
    }
}

extension OpKind {
    var isSynchronisation: Bool {
        switch self {
        case .syncSignal, .syncWait: true
        default: false
        }
    }
}

/// The dependence analysis behind `schedule`.
enum SchedulingDependences {
    /// True if the two ops must not overlap in time: they touch overlapping memory and one of them writes it,
    /// or their engines share a memory port (trn1) and both use that memory.
    static func conflict(_ a: SchedulingAccess, _ b: SchedulingAccess, target: MachineTarget) -> Bool {
        let hazard = a.writes.contains { w in b.reads.contains(where: w.overlaps) || b.writes.contains(where: w.overlaps) }
            || b.writes.contains { w in a.reads.contains(where: w.overlaps) }
        if hazard { return true }
        let (x, y) = (a.stream.engine, b.stream.engine)
        return target.exclusiveMemoryUse.contains { rule in
            // The two engines are the rule's pair (in either order; no set is built: this runs for every pair).
            ((x == rule.first && y == rule.second) || (x == rule.second && y == rule.first))
                && a.spaces.contains(rule.memory) && b.spaces.contains(rule.memory)
        }
    }

    /// Every dependence between ops on different streams, lifted to the innermost block holding both
    /// (forward within an iteration, and carried from one iteration to the next when that block is a loop
    /// body), then pruned to the ones program order on the consumer's stream does not already imply.
    static func edges(_ accesses: [SchedulingAccess], target: MachineTarget) -> [SchedulingEdge] {
        var all: [SchedulingEdge] = []
        for (i, first) in accesses.enumerated() {
            for second in accesses[(i + 1)...] where first.stream != second.stream && conflict(first, second, target: target) {
                var depth = 0
                while depth < first.path.count - 1, depth < second.path.count - 1, first.path[depth] == second.path[depth] {
                    depth += 1
                }
                let block = Array(first.path[..<depth])
                let (a, b) = (first.path[depth], second.path[depth])
                all.append(SchedulingEdge(block: block, producer: a, producerStream: first.stream,
                                          consumer: b, consumerStream: second.stream, carried: false))
                if depth > 0 {
                    all.append(SchedulingEdge(block: block, producer: b, producerStream: second.stream,
                                              consumer: a, consumerStream: first.stream, carried: true))
                }
            }
        }
        return prune(all)
    }

    /// Keeps, per consumer and producer stream, the latest producer (a forward one if any: waiting for this
    /// iteration's op also covers the previous iteration's); then drops waits an earlier wait of the same
    /// consumer stream in the same block already implies.
    static func prune(_ edges: [SchedulingEdge]) -> [SchedulingEdge] {
        struct Key: Hashable {
            var block: [Int]
            var consumer: Int
            var consumerStream: SchedulingStream
            var producerStream: SchedulingStream
        }
        var strongest: [Key: SchedulingEdge] = [:]
        for edge in edges {
            let key = Key(block: edge.block, consumer: edge.consumer, consumerStream: edge.consumerStream,
                          producerStream: edge.producerStream)
            guard let kept = strongest[key] else {
                strongest[key] = edge
                continue
            }
            if (kept.carried && !edge.carried) || (kept.carried == edge.carried && edge.producer > kept.producer) {
                strongest[key] = edge
            }
        }
        let ordered = strongest.values.sorted { a, b in
            if a.block != b.block { return a.block.lexicographicallyPrecedes(b.block) }
            if a.consumerStream != b.consumerStream { return a.consumerStream < b.consumerStream }
            if a.consumer != b.consumer { return a.consumer < b.consumer }
            if a.producerStream != b.producerStream { return a.producerStream < b.producerStream }
            return a.producer < b.producer
        }
        var kept: [SchedulingEdge] = []
        var waited: [[Int]: [SchedulingStream: [SchedulingStream: (forward: Int?, carried: Int?)]]] = [:]
        for edge in ordered {
            let previous = waited[edge.block]?[edge.consumerStream]?[edge.producerStream]
            let implied = edge.carried
                ? previous?.forward != nil || (previous?.carried ?? Int.min) >= edge.producer
                : (previous?.forward ?? Int.min) >= edge.producer
            if implied { continue }
            kept.append(edge)
            var entry = previous ?? (nil, nil)
            if edge.carried { entry.carried = max(entry.carried ?? Int.min, edge.producer) } else {
                entry.forward = max(entry.forward ?? Int.min, edge.producer)
            }
            waited[edge.block, default: [:]][edge.consumerStream, default: [:]][edge.producerStream] = entry
        }
        return kept
    }
}
