// DoubleBuffer.swift: the `double-buffer` pass: unrolls load-then-compute loops so the next loads overlap compute.

import KilnMachine
import KilnPluginAPI
import KilnTileIR

/// `double-buffer`: rotates the load buffers of loops that load with DMA and then compute, so iteration i+1's
/// loads can run while iteration i computes.
///
/// Design: unroll by the buffer count B and load first. B is the function's `schedule(bufs = N)` hint, 2
/// without one, and at most the loop's trip count; B = 1 leaves the function alone. A loop qualifies when its
/// body has, at its top level, a *prefetchable load*: a `dma.load` from a function input into a tile
/// allocated at the top level of the body, the load being that tile's first access, and a compute op
/// (pe / act / dve / pool) in the body reading the tile. Inner loops are handled before outer ones.
///
/// Algorithm for a qualifying `for %i = L to U step S` with trip count T:
/// 1. Main loop: `for %i = L to L + (T - T mod B) * S step S * B`. Its body is B copies of the original
///    body; copy j stands for iteration `%i + j * S`: its defined values are fresh (name hint plus `.j`),
///    its DMA offsets and affine operands (`pool.iota` bases) add `j * S * coefficient`, its matmul flags `start(%i == v)` become `%i == v - j*S`,
///    and flags no main-loop value of `%i` satisfies become absent.
/// 2. Order: the prefetchable loads of every copy (each with its `alloc`) come first, copy 0 to B-1, then
///    the rest of each copy in order. Moving those loads up is safe: their tile is fresh and untouched before
///    the load, and inputs are never written.
/// 3. Remainder: when T mod B != 0, a copy of the original loop runs the last T mod B iterations.
///
/// Straight-line code (every block, after its loops) is handled too: reloaded tiles rotate through up to 8
/// buffers and loads and transposes are hoisted (`DoubleBufferRotation.swift`).
///
/// Capacity: a loop is unrolled only if B copies of its body's tiles fit beside the tiles of the enclosing
/// blocks: for SBUF and PSUM separately, B x (bytes per partition of every `alloc` in the body, inner loops
/// included, after they were rewritten) + (the `alloc`s directly in enclosing blocks) <= the target's bytes
/// per partition, where an enclosing block's tiles count only if they are live at the loop (allocated before
/// it and used at or after it, within that block): straight-line code with many loops in a row (a triangular
/// loop unrolled over its outer loop) does not add up tiles that `allocate` gives the same memory. A loop that
/// keeps large tiles resident (a matmul's B slabs across row tiles) is left rolled; its inner loops are still
/// double-buffered. (This is still conservative: `allocate` also reuses memory within a loop body.)
///
/// The result, once allocated and scheduled: the B copies' buffers are live together (distinct memory),
/// and the only wait a load has is for the compute that read the same buffer B iterations earlier, so
/// the DMA queues run ahead of the compute engines by up to B - 1 iterations.
public struct DoubleBuffer: Pass {
    public let name = "double-buffer"
    public let summary = "unroll load-then-compute loops by the buffer count, loads first, so loads overlap compute"
    /// Buffers per loop without a `bufs` hint.
    public static let defaultBuffers = 2
    public let options: [PassOption] = [
        PassOption("bufs", .integers(1...8), default: "@schedule's, else 2",
                   help: "buffers per load-then-compute loop (the unroll factor); 1 leaves loops alone"),
    ]

    public init() {}

    public func run(on module: inout Module, context: inout PassContext) throws {
        for index in module.functions.indices {
            var function = module.functions[index]
            let buffers = context.options.overriding(function.schedule)["bufs"] ?? DoubleBuffer.defaultBuffers
            guard buffers >= 2 else { continue }
            let inputs = Set(function.parameters.map(\.value.id))
            let capacity: [MemorySpace: Int] = [.sbuf: context.target.sbuf.bytesPerPartition,
                                                 .psum: context.target.psum.bytesPerPartition]
            var rewriter = DoubleBufferRewriter(buffers: buffers, inputs: inputs, capacity: capacity,
                                                bankBytes: context.target.psumBankBytes)
            function.body = rewriter.rewrite(function.body, enclosing: [:], in: &function)
            module.functions[index] = function
        }
    }
}

/// The rewriting behind `double-buffer`.
struct DoubleBufferRewriter {
    let buffers: Int
    let inputs: Set<ValueID>
    /// Bytes per partition of SBUF and PSUM.
    let capacity: [MemorySpace: Int]
    /// PSUM bytes a matmul accumulator takes however small it is (`allocate` gives each a bank of its own).
    var bankBytes: Int? = nil

    /// Rewrites the loops of `block`; `enclosing` is the per-partition footprint of the tiles allocated
    /// directly in the blocks around it.
    mutating func rewrite(_ block: Block, enclosing: [MemorySpace: Int], in function: inout Function) -> Block {
        var ops: [Operation] = []
        let lastUse = Self.lastUses(in: block)
        for (position, var op) in block.ops.enumerated() {
            guard case .forLoop(var loop) = op.kind else {
                ops.append(op)
                continue
            }
            var around = enclosing
            for (space, bytes) in Self.footprint(block, liveAt: position, lastUse: lastUse) { around[space, default: 0] += bytes }
            loop.body = rewrite(loop.body, enclosing: around, in: &function)
            op.kind = .forLoop(loop)
            let copies = min(buffers, loop.tripCount)
            let loads = prefetchableLoads(in: loop.body)
            if copies >= 2, !loads.isEmpty, fits(copies: copies, of: loop.body, prefetching: loads, around: around) {
                ops += unroll(op, loop, copies: copies, in: &function)
            } else {
                ops.append(op)
            }
        }
        return rotateAndHoist(Block(ops), around: enclosing, in: &function)
    }

    /// For each tile used in `block`, the position of the last op of the block (itself or a loop around the use)
    /// that uses it.
    static func lastUses(in block: Block) -> [ValueID: Int] {
        var last: [ValueID: Int] = [:]
        let views = TileViews(block)
        func visit(_ op: Operation, at position: Int) {
            op.kind.forEachUse { last[views.root($0)] = position }
            if case .forLoop(let loop) = op.kind { for inner in loop.body.ops { visit(inner, at: position) } }
        }
        for (position, op) in block.ops.enumerated() { visit(op, at: position) }
        return last
    }

    /// Bytes per partition, by memory, of the tiles allocated directly in `block` that are live at `position`:
    /// allocated before it and used at or after it.
    static func footprint(_ block: Block, liveAt position: Int, lastUse: [ValueID: Int]) -> [MemorySpace: Int] {
        var total: [MemorySpace: Int] = [:]
        for (index, op) in block.ops[..<position].enumerated() {
            guard case .alloc(let tile, _) = op.kind, let id = op.result?.id, (lastUse[id] ?? index) >= position else { continue }
            total[tile.space, default: 0] += tile.bytesPerPartition
        }
        return total
    }

    /// Whether `copies` copies of `body` fit beside the enclosing tiles, in SBUF and in PSUM, once the loads
    /// `prefetching` move to the front: each copy needs at most its peak (`peakFootprint`) with the prefetched tiles
    /// live from the front of the body, so `copies` times that bounds the unrolled body's.
    func fits(copies: Int, of body: Block, prefetching loads: [PrefetchableLoad], around: [MemorySpace: Int]) -> Bool {
        let prefetched = Set(loads.map(\.tile))
        let inside = Self.peakFootprint(body, liveFromStart: prefetched, bankBytes: bankBytes)
        return capacity.allSatisfy { space, bytes in copies * inside[space, default: 0] + around[space, default: 0] <= bytes }
    }

    /// The most bytes per partition, by memory, that `block`'s tiles hold at once: at each op, the tiles allocated
    /// directly in the block that are live there (first use to last use, through views; `liveFromStart` from the
    /// block's start), plus the peak of a loop's body at the loop. Tiles allocated in a loop body are fresh each
    /// iteration, so a body's peak is one iteration's. Given `bankBytes`, a PSUM matmul accumulator counts as a whole
    /// bank, as `allocate` places it; with `everyPSUMTileABank` every PSUM tile does (the worst case of `allocate`'s
    /// placement: a small tile that never crosses a bank may still keep a whole bank from an accumulator).
    static func peakFootprint(_ block: Block, liveFromStart: Set<ValueID> = [], bankBytes: Int? = nil,
                              everyPSUMTileABank: Bool = false) -> [MemorySpace: Int] {
        let views = TileViews(block)
        var accumulators = Set<ValueID>()
        if bankBytes != nil { block.walk { op in if let matmul = op.kind.asMatmul { accumulators.insert(views.root(matmul.accumulator)) } } }
        var first: [ValueID: Int] = [:], last: [ValueID: Int] = [:]
        var tiles: [(id: ValueID, tile: TileType, alloc: Int)] = []
        for (position, op) in block.ops.enumerated() {
            if case .alloc(let tile, _) = op.kind, let id = op.result?.id { tiles.append((id, tile, position)) }
            var uses: [ValueID] = []
            op.kind.forEachUse { uses.append(views.root($0)) }
            op.regions.forEach { $0.walk { $0.kind.forEachUse { uses.append(views.root($0)) } } }
            for use in uses {
                if first[use] == nil { first[use] = position }
                last[use] = position
            }
        }
        // A sweep over the positions: each tile's bytes join at its first live position and leave after its last.
        var changes = Array(repeating: [(space: MemorySpace, bytes: Int)](), count: block.ops.count + 1)
        for entry in tiles {
            let start = liveFromStart.contains(entry.id) ? 0 : (first[entry.id] ?? entry.alloc)
            let end = last[entry.id] ?? entry.alloc
            guard start <= end else { continue }
            let wholeBank = entry.tile.space == .psum && (everyPSUMTileABank || accumulators.contains(entry.id))
            let bank = max(1, bankBytes ?? 1)
            let bytes = wholeBank && bankBytes != nil
                ? (entry.tile.bytesPerPartition + bank - 1) / bank * bank : entry.tile.bytesPerPartition
            changes[start].append((entry.tile.space, bytes))
            changes[end + 1].append((entry.tile.space, -bytes))
        }
        var peak: [MemorySpace: Int] = [:]
        var live: [MemorySpace: Int] = [:]
        for (position, op) in block.ops.enumerated() {
            for change in changes[position] { live[change.space, default: 0] += change.bytes }
            var here = live
            if case .forLoop(let loop) = op.kind {
                for (space, bytes) in peakFootprint(loop.body, bankBytes: bankBytes, everyPSUMTileABank: everyPSUMTileABank) {
                    here[space, default: 0] += bytes
                }
            }
            for (space, bytes) in here where bytes > 0 { peak[space] = max(peak[space] ?? 0, bytes) }
        }
        return peak
    }

    /// Bytes per partition of the `alloc`s of `block` and of the loops nested in it, by memory.
    static func footprint(_ block: Block) -> [MemorySpace: Int] {
        var total: [MemorySpace: Int] = [:]
        for op in block.ops {
            switch op.kind {
            case .alloc(let tile, _): total[tile.space, default: 0] += tile.bytesPerPartition
            case .forLoop(let loop):
                for (space, bytes) in footprint(loop.body) { total[space, default: 0] += bytes }
            default: break
            }
        }
        return total
    }

    /// A load that can move to the front of a loop body: the positions of the ops that move with it, in program
    /// order: its tile's `alloc` first, then the `view`s it loads through (if it loads into a window of the tile),
    /// then the load.
    struct PrefetchableLoad {
        /// The `alloc`ed tile the load fills (through its views, if any).
        var tile: ValueID
        var positions: [Int]
    }

    /// The loads of `body` that can move to its front: from a function input into a tile allocated at the top level
    /// of the body (or into a view of one, made at the top level), the load being the tile's first access (making a
    /// view of it is no access), and a compute op reading the tile (or a view of it).
    func prefetchableLoads(in body: Block) -> [PrefetchableLoad] {
        let views = TileViews(body)
        var allocPosition: [ValueID: Int] = [:]
        var viewPosition: [ValueID: Int] = [:]
        var touched = Set<ValueID>()
        var found: [PrefetchableLoad] = []
        var allocMoved = Set<ValueID>()
        for (position, op) in body.ops.enumerated() {
            if case .alloc = op.kind, let tile = op.result?.id {
                allocPosition[tile] = position
                continue
            }
            if case .view = op.kind, let view = op.result?.id {
                viewPosition[view] = position
                continue
            }
            if let transfer = op.kind.asLoad, inputs.contains(transfer.hbm) {
                let root = views.root(transfer.tile)
                var chain: [Int] = []
                var link = transfer.tile
                while let at = viewPosition[link], case .view(let base, _) = body.ops[at].kind {
                    chain.insert(at, at: 0)
                    link = base
                }
                if link == root, let alloc = allocPosition[root], !touched.contains(root), !touched.contains(transfer.tile),
                   isComputed(root, in: body, views: views) {
                    let allocPart = allocMoved.insert(root).inserted ? [alloc] : []
                    found.append(PrefetchableLoad(tile: root, positions: allocPart + chain + [position]))
                    continue
                }
            }
            var uses: [ValueID] = []
            op.kind.forEachUse { uses.append(views.root($0)) }
            op.regions.forEach { $0.walk { $0.kind.forEachUse { uses.append(views.root($0)) } } }
            touched.formUnion(uses)
        }
        return found
    }

    /// True if a compute engine op (not DMA) in `body` reads `tile` or a view of it.
    private func isComputed(_ tile: ValueID, in body: Block, views: TileViews) -> Bool {
        var read = false
        body.walk { op in
            if let engine = op.kind.engine, engine != .dma, op.kind.reads.contains(where: { views.root($0) == tile }) { read = true }
        }
        return read
    }

    /// The main loop of `copies` copies, loads first, and the remainder loop if the trip count needs one.
    private func unroll(_ op: Operation, _ loop: ForLoop, copies: Int, in function: inout Function) -> [Operation] {
        let variable = loop.inductionVariable.id
        let mainTrips = loop.tripCount - loop.tripCount % copies
        let mainUpper = loop.lowerBound + mainTrips * loop.step
        let mainStep = loop.step * copies
        var prefetch: [Operation] = []
        var rest: [Operation] = []
        for copy in 0..<copies {
            var body = loop.body
            if copy > 0 {
                var cloner = SchedulingCloner(shifting: variable, by: copy * loop.step, suffix: ".\(copy)")
                body = cloner.clone(loop.body, in: &function)
            }
            body = simplifyFlags(body, variable: variable, lower: loop.lowerBound, upper: mainUpper, step: mainStep)
            let moved = prefetchableLoads(in: body)
            let movedPositions = Set(moved.flatMap(\.positions))
            for entry in moved { prefetch += entry.positions.map { body.ops[$0] } }
            rest += body.ops.enumerated().filter { !movedPositions.contains($0.offset) }.map(\.element)
        }
        var main = loop
        main.upperBound = mainUpper
        main.step = mainStep
        main.body = Block(prefetch + rest)
        var result = [Operation(.forLoop(main), span: op.span, textSpan: op.textSpan)]
        if mainTrips < loop.tripCount {
            var remainder = loop
            var cloner = SchedulingCloner(suffix: "")
            let fresh = function.makeValue(.index, name: loop.inductionVariable.nameHint)
            cloner.renamed[variable] = fresh.id
            remainder.inductionVariable = fresh
            remainder.lowerBound = mainUpper
            remainder.body = cloner.clone(loop.body, in: &function)
            result.append(Operation(.forLoop(remainder), span: op.span, textSpan: op.textSpan))
        }
        return result
    }

    /// Matmul flags on `variable` (at any depth) that the main loop's values never satisfy become absent.
    private func simplifyFlags(_ block: Block, variable: ValueID, lower: Int, upper: Int, step: Int) -> Block {
        Block(block.ops.map { op in
            var copy = op
            if case .forLoop(var inner) = op.kind {
                inner.body = simplifyFlags(inner.body, variable: variable, lower: lower, upper: upper, step: step)
                copy.kind = .forLoop(inner)
            } else {
                copy.kind = op.kind.simplifyingFlags(on: variable, lower: lower, upper: upper, step: step)
            }
            return copy
        })
    }
}
