// Allocate.swift: the `allocate` pass: places every SBUF and PSUM tile (partition start, byte offset) by liveness.

import KilnMachine
import KilnPluginAPI
import KilnSource
import KilnTileIR

/// `allocate`: gives every `alloc` a place, `at partition P offset B`, so that tiles live at the same time
/// never share a byte of a partition.
///
/// Algorithm, per function:
/// 1. Liveness (`TileLiveness`): program points number the ops in a pre-order walk; a tile lives from its
///    first access to its last, and an access inside a loop the tile was allocated outside of counts for the
///    whole loop. Tiles with disjoint ranges may share memory.
/// 2. Footprints: a tile needs its partition count and its bytes per partition. A PSUM tile that is a
///    `pe.matmul` accumulator takes a whole 2 KiB bank (offset a multiple of the bank size), so each
///    accumulation group has a bank of its own and at most 8 are in flight; other PSUM tiles of up to one
///    bank never cross a bank boundary. SBUF offsets are multiples of 64 bytes.
/// 3. Placement, linear scan: tiles are taken in order of their first live point (then of their `alloc`);
///    tiles the input already placed stay put and are placed first. For each tile, every allowed partition
///    start (K3308: > 64 partitions at 0; 33-64 at 0 or 64; <= 32 at 0, 32, 64, 96) is tried and, for each,
///    the lowest offset that is free in those partitions; the lowest offset wins, then the lowest partition.
///    *Small* SBUF tiles (at most one 64-byte alignment unit per partition: per-row statistics, `[P | 1]`
///    scalars) go the other way, to the highest free offset, so they gather at the top of SBUF instead of
///    splitting the space between large tiles (a reduction kernel's `[128 | 1]` results used to land between
///    its `[128 | 8192]` buffers, leaving no run long enough for one more).
///    "Free" is tried three times: first avoiding every tile placed so far (fresh memory: no reuse, so no false
///    dependencies between engines); then avoiding the tiles whose live ranges meet this one's and the *load
///    buffers* of the loops around it (tiles allocated in such a loop's body that a `dma.load` fills): a tile
///    placed on a load buffer's memory would make the next iteration's load wait for this iteration's use of
///    the tile, not just for the reads of the loaded data, so the load could not run ahead of the compute;
///    then, if that does not fit either, avoiding only the tiles whose live ranges meet this one's (reusing the
///    memory of dead tiles).
///    PSUM reuse (the last two tries) is *next fit*: the search starts after the PSUM tile placed last and wraps
///    around, so consecutive short-lived tiles (accumulation groups, transposes) rotate through PSUM instead of all
///    taking the lowest free offset, and one does not wait for the copy out of the one just before it (the tensor
///    engine keeps working while the vector engine drains PSUM).
/// 4. A tile that fits neither way is an over-capacity error (K3701) at its `alloc`, naming the tiles live
///    with it and their sizes, and the memory's capacity on the target; the other tiles are still placed.
/// Placements satisfy the verifier's K3304-K3306 and K3308/K3310 by construction.
public struct Allocate: Pass {
    public let name = "allocate"
    public let summary = "place SBUF and PSUM tiles by liveness: partition start, byte offset, PSUM banks"
    /// SBUF offsets are multiples of this many bytes.
    public static let sbufAlignment = 64
    /// SBUF tiles of at most this many bytes per partition are placed from the top of SBUF down.
    public static let smallTileBytes = sbufAlignment

    public init() {}

    public func run(on module: inout Module, context: inout PassContext) throws {
        for index in module.functions.indices {
            var allocator = TileAllocator(function: module.functions[index], target: context.target)
            let placements = allocator.placeAll()
            for problem in allocator.problems { context.report(problem) }
            module.functions[index].body = Self.apply(placements, to: module.functions[index].body)
        }
    }

    static func apply(_ placements: [ValueID: TilePlacement], to block: Block) -> Block {
        Block(block.ops.map { op in
            var copy = op
            switch op.kind {
            case .alloc(let tile, _):
                if let id = op.result?.id, let placement = placements[id] { copy.kind = .alloc(tile, placement) }
            case .forLoop(var loop):
                loop.body = apply(placements, to: loop.body)
                copy.kind = .forLoop(loop)
            default:
                break
            }
            return copy
        })
    }
}

/// The linear-scan placement behind `allocate`.
struct TileAllocator {
    struct Footprint {
        var tile: TileType
        var bytes: Int
        var alignment: Int
        var staysInBank: Bool
    }

    let function: Function
    let target: MachineTarget
    let liveness: TileLiveness
    var allocs: [ValueID: Operation] = [:]
    var footprints: [ValueID: Footprint] = [:]
    var placed: [ValueID: TilePlacement] = [:]
    var problems: [Diagnostic] = []
    /// Where the next PSUM search for reusable memory starts: the end of the PSUM tile placed last.
    var psumCursor = 0
    /// Only these memories' tiles are placed (all by default; `placesPSUM` places PSUM alone).
    var spaces: Set<MemorySpace> = [.sbuf, .psum]
    /// Tiles a `dma.load` fills that are allocated inside a loop body, with that (innermost) loop.
    var loadBuffers: [ValueID: ValueID] = [:]

    init(function: Function, target: MachineTarget) {
        self.function = function
        self.target = target
        self.liveness = TileLiveness(function)
        var accumulators = Set<ValueID>()
        var allocs: [ValueID: Operation] = [:]
        var loaded = Set<ValueID>()
        function.body.walk { op in
            if let matmul = op.kind.asMatmul { accumulators.insert(matmul.accumulator) }
            if let load = op.kind.asLoad { loaded.insert(load.tile) }
            if case .alloc = op.kind, let id = op.result?.id { allocs[id] = op }
        }
        self.allocs = allocs
        for tile in loaded { if let loop = liveness.enclosingLoops(of: tile).last { loadBuffers[tile] = loop } }
        for (id, op) in allocs {
            guard case .alloc(let tile, _) = op.kind else { continue }
            let bank = target.psumBankBytes
            if tile.space == .psum, accumulators.contains(id), tile.bytesPerPartition <= bank {
                footprints[id] = Footprint(tile: tile, bytes: bank, alignment: bank, staysInBank: true)
            } else if tile.space == .psum {
                let fitsBank = tile.bytesPerPartition <= bank
                footprints[id] = Footprint(tile: tile, bytes: tile.bytesPerPartition,
                                           alignment: fitsBank ? tile.element.byteSize : bank, staysInBank: fitsBank)
            } else {
                footprints[id] = Footprint(tile: tile, bytes: tile.bytesPerPartition, alignment: Allocate.sbufAlignment,
                                           staysInBank: false)
            }
        }
    }

    mutating func placeAll() -> [ValueID: TilePlacement] {
        var order: [ValueID] = []
        for tile in liveness.tiles {
            if case .alloc(_, let given?) = allocs[tile]?.kind { placed[tile] = given } else { order.append(tile) }
        }
        order.sort { a, b in
            let (ra, rb) = (liveness.ranges[a]?.lowerBound ?? 0, liveness.ranges[b]?.lowerBound ?? 0)
            return ra != rb ? ra < rb : (liveness.allocPoints[a] ?? 0) < (liveness.allocPoints[b] ?? 0)
        }
        for tile in order {
            guard let footprint = footprints[tile], spaces.contains(footprint.tile.space),
                  let memory = target.onChipMemory(footprint.tile.space) else { continue }
            let sameSpace = placed.keys.filter { footprints[$0]?.tile.space == footprint.tile.space }.sorted()
            let interfering = sameSpace.filter { liveness.interfere($0, tile) }
            let loops = Set(liveness.enclosingLoops(of: tile))
            let loadBuffersAround = sameSpace.filter { other in
                !interfering.contains(other) && loadBuffers[other].map(loops.contains) == true
            }
            let cursor = footprint.tile.space == .psum ? psumCursor : 0
            if let spot = firstFit(footprint, avoiding: sameSpace, memory: memory)
                ?? (loadBuffersAround.isEmpty ? nil
                    : firstFit(footprint, avoiding: interfering + loadBuffersAround, memory: memory, from: cursor))
                ?? firstFit(footprint, avoiding: interfering, memory: memory, from: cursor) {
                placed[tile] = spot
                if footprint.tile.space == .psum { psumCursor = spot.offset + footprint.bytes }
            } else {
                reportOverCapacity(tile, footprint, memory: memory, live: interfering)
            }
        }
        return placed
    }

    /// True when `allocate` would place every PSUM tile allocated in `block` if the block were a function's
    /// whole body (no PSUM tile live around it): the exact check `interleave` makes of a reordering whose PSUM
    /// tiles do not fit its simpler worst-case count.
    static func placesPSUM(of block: Block, target: MachineTarget) -> Bool {
        places(block, spaces: [.psum], target: target)
    }

    /// True if `allocate`'s placement places every tile of `block` in `spaces`.
    static func places(_ block: Block, spaces: Set<MemorySpace>, target: MachineTarget) -> Bool {
        var function = Function(name: "placement-trial")
        function.body = block
        var allocator = TileAllocator(function: function, target: target)
        allocator.spaces = spaces
        _ = allocator.placeAll()
        return allocator.problems.isEmpty
    }

    /// The lowest free offset over the allowed partition starts (the highest for a small SBUF tile), or nil; with
    /// `from`, the lowest one at or after it, else the lowest before it (next fit).
    func firstFit(_ footprint: Footprint, avoiding others: [ValueID], memory: OnChipMemory, from cursor: Int = 0) -> TilePlacement? {
        let fromTop = footprint.tile.space == .sbuf && footprint.bytes <= Allocate.smallTileBytes
        var best: TilePlacement?
        for start in target.allowedPartitionStarts(forPartitions: footprint.tile.partitions)
        where start + footprint.tile.partitions <= memory.partitions {
            let blocked: [Range<Int>] = others.compactMap { other in
                guard let spot = placed[other], let theirs = footprints[other] else { return nil }
                let overlapsPartitions = spot.partition < start + footprint.tile.partitions
                    && start < spot.partition + theirs.tile.partitions
                return overlapsPartitions ? spot.offset..<(spot.offset + theirs.bytes) : nil
            }.sorted { $0.lowerBound < $1.lowerBound }
            let capacity = memory.bytesPerPartition
            guard let offset = fromTop ? highestOffset(footprint, blocked: blocked, capacity: capacity)
                                       : lowestOffset(footprint, blocked: blocked, capacity: capacity, from: cursor)
                                         ?? lowestOffset(footprint, blocked: blocked, capacity: capacity) else { continue }
            if let current = best, fromTop ? current.offset >= offset : current.offset <= offset { continue }
            best = TilePlacement(partition: start, offset: offset)
        }
        return best
    }

    /// The lowest aligned offset whose bytes miss every blocked range (and, for PSUM, stay in one bank).
    private func lowestOffset(_ footprint: Footprint, blocked: [Range<Int>], capacity: Int, from start: Int = 0) -> Int? {
        let size = max(footprint.bytes, 1)
        var offset = roundUp(start, to: footprint.alignment)
        while offset + size <= capacity {
            let bank = target.psumBankBytes
            if footprint.staysInBank, offset / bank != (offset + size - 1) / bank {
                offset = (offset / bank + 1) * bank
                continue
            }
            if let hit = blocked.first(where: { $0.overlaps(offset..<(offset + size)) }) {
                offset = roundUp(hit.upperBound, to: footprint.alignment)
                continue
            }
            return offset
        }
        return nil
    }

    /// The highest aligned offset whose bytes miss every blocked range (SBUF: no bank rule).
    private func highestOffset(_ footprint: Footprint, blocked: [Range<Int>], capacity: Int) -> Int? {
        let size = max(footprint.bytes, 1), alignment = max(footprint.alignment, 1)
        var offset = (capacity - size) / alignment * alignment
        while offset >= 0 {
            guard let hit = blocked.first(where: { $0.overlaps(offset..<(offset + size)) }) else { return offset }
            let below = hit.lowerBound - size
            if below < 0 { return nil }
            offset = below / alignment * alignment
        }
        return nil
    }

    private func roundUp(_ value: Int, to alignment: Int) -> Int {
        alignment <= 1 ? value : (value + alignment - 1) / alignment * alignment
    }

    private mutating func reportOverCapacity(_ tile: ValueID, _ footprint: Footprint, memory: OnChipMemory, live: [ValueID]) {
        guard let op = allocs[tile] else { return }
        let names = function.printedNames(of: [tile] + live)
        let liveTiles = zip(names.dropFirst(), live).map { (name: $0.0, bytes: footprints[$0.1]?.bytes ?? 0) }
        let description = "\(names[0]) (\(IRType.tile(footprint.tile)))"
        problems.append(.at(op) {
            DiagnosticCatalogue.allocationOverCapacity(memory: memory.space.rawValue.uppercased(), tile: description,
                                                       bytes: footprint.bytes, capacity: memory.bytesPerPartition,
                                                       target: target.name, live: liveTiles, at: $0)
        })
    }
}
