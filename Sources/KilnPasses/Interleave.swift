// Interleave.swift: the `interleave` pass: list-schedules straight-line engine ops so independent work overlaps.


import KilnMachine
import KilnPluginAPI
import KilnTileIR

/// `interleave`: reorders the engine ops of each straight-line run so that independent chains overlap on the
/// in-order engine streams. Each engine runs its instructions in program order, so two independent chains written
/// one after the other (the unrolled query blocks of a tile-form flash attention, each a serial
/// act -> dve -> pe -> act chain) run one after the other even when every engine idles half the time; interleaved,
/// one chain's softmax runs on act while another's scores are evacuated on dve and the PE multiplies a third.
///
/// Algorithm, per block (function body and loop bodies, inner blocks first):
/// 1. Runs: the block's ops split at every op that is not an engine instruction, an `alloc` or a `view` (loops,
///    `sync.signal`/`sync.wait`, `hbm.alloc`, tensor-level ops and `return` stay where they are and nothing moves
///    across them).
/// 2. Dependences (`OpDependences`): within a run, an op follows every earlier op it has a read after write, write
///    after read or write after write with, on the root tile of any view or on an HBM tensor.
/// 3. List schedule (`StreamTimeline`): repeatedly, of the ops whose predecessors are placed and which lie within
///    `window` ops of the first op not yet placed, place the one whose stream could start it earliest (its engine
///    or the least busy DMA queue free, its predecessors finished, by the op table's declared costs; an engine waiting
///    on another stream's result pays the fixed instruction overhead, and DMA data moves through the core's shared
///    bandwidth in issue order, as in the simulator); ties go to the op with
///    the longest path of dependent ops' costs after it (so long chains start early and do not finish alone), then
///    to program order. An op that would make new tiles live (its run's first access to them) is taken only if the
///    tiles live then, plus its new ones, fit the memory beside the enclosing blocks' live tiles; the first op not
///    yet placed is always allowed, so the schedule always advances. An `alloc` or `view` is placed just before the
///    first op that refers to it (liveness starts at a tile's first access, so where an `alloc` stands is not a
///    live range).
///    Ops taken ahead of the first unplaced one also leave room for the most any one op of the run makes live.
/// 4. Capacity guard: the reordered block must fit beside the enclosing tiles: its peak footprint
///    (`DoubleBufferRewriter.peakFootprint`) must fit with accumulators as whole banks, and its PSUM tiles must
///    either fit with every PSUM tile as a whole bank (the worst case of `allocate`'s bank rules) or, when no PSUM
///    tile is live around the block, be placed by `allocate`'s own placement (`TileAllocator.placesPSUM`), so small
///    tiles may share banks. Where a block starts in the whole function changes `allocate`'s next-fit cursor, so
///    the whole rewritten function is then placed the same way, and if its PSUM tiles do not all place, the function
///    is rewritten again with the worst-case count alone. A block that does not fit is scheduled again at the same
///    window with every PSUM tile counted as a whole bank in step 3 (small tiles such as P's transposes, placed next
///    fit, can otherwise take a slice of every bank and leave none whole for the next accumulator), then so and with
///    one bank fewer (the first unplaced op, always taken, may still go one bank over), and if none of these fits,
///    with half the window, down to program order (a block whose original order does not fit is left alone).
/// 5. Placement guard: step 4 counts bytes, but `allocate` places tiles of many sizes first fit, so a reordered
///    function can leave SBUF too fragmented for a large tile even though the bytes fit (causal attention at
///    S = 8192: 30 KiB score rows among 80 KiB live). When the original function places and the rewritten one does
///    not (`TileAllocator.places`), the function is rewritten again with half the window, down to program order.
/// Only independent ops trade places, and every op computes what it computed, so every executor's results are
/// bit-for-bit unchanged. It runs after `double-buffer` (whose unrolled copies it interleaves) and before
/// `allocate` (which places the tiles by the new live ranges) and `schedule` (which adds semaphores for them).
public struct Interleave: Pass {
    public let name = "interleave"
    public let summary = "list-schedule straight-line engine ops by dependences and op costs so independent chains overlap"
    /// Ops of lookahead by default: about four 2048-key steps of a tile-form flash attention (~100 ops each). On
    /// `flash_attention_fwd` at [1, 8, 4096, 128], 128 took 2.00 ms (trn1) / 1.80 ms (trn2) and 512 took
    /// 1.77 / 1.76 ms; SD attention [4096, 128] went 358.3 -> 367.2 us on trn1 and 393.6 -> 361.0 us on trn2.
    public static let defaultWindow = 512
    public let options: [PassOption] = [
        PassOption("window", .integers(1...4096), default: "512",
                   help: "how many ops past the first unplaced one an op may be moved ahead of (1 keeps program order)"),
    ]

    public init() {}

    public func run(on module: inout Module, context: inout PassContext) throws {
        let window = context.options.integer("window") ?? Self.defaultWindow
        let capacity: [MemorySpace: Int] = [.sbuf: context.target.sbuf.bytesPerPartition,
                                             .psum: context.target.psum.bytesPerPartition]
        for index in module.functions.indices {
            let function = module.functions[index]
            // Step 5: the rewritten function must place wherever the original does.
            let originalPlaces = TileAllocator.places(function.body, spaces: [.sbuf, .psum], target: context.target)
            var lookahead = window
            while lookahead > 1 {
                var rewriter = InterleaveRewriter(target: context.target, types: Self.valueTypes(of: function),
                                                  views: TileViews(function), window: lookahead, capacity: capacity,
                                                  bankBytes: context.target.psumBankBytes, psumByPlacement: true)
                var body = rewriter.rewrite(function.body, enclosing: [:])
                if !TileAllocator.placesPSUM(of: body, target: context.target) {
                    rewriter.psumByPlacement = false
                    body = rewriter.rewrite(function.body, enclosing: [:])
                }
                if !originalPlaces || TileAllocator.places(body, spaces: [.sbuf, .psum], target: context.target) {
                    module.functions[index].body = body
                    break
                }
                lookahead /= 2
            }
        }
    }
}

extension Interleave {
    /// The type of every value of `function`: its parameters, its outputs and every op's definitions.
    static func valueTypes(of function: Function) -> [ValueID: IRType] {
        var types: [ValueID: IRType] = [:]
        for parameter in function.parameters { types[parameter.value.id] = parameter.value.type }
        for output in function.outputs { types[output.id] = output.type }
        function.body.walk { op in for definition in op.definitions { types[definition.id] = definition.type } }
        return types
    }
}

/// The rewriting behind `interleave`.
struct InterleaveRewriter {
    let target: MachineTarget
    let types: [ValueID: IRType]
    let views: TileViews
    let window: Int
    let capacity: [MemorySpace: Int]
    let bankBytes: Int
    /// Whether a block's PSUM tiles may fit by `allocate`'s placement rather than only by the worst-case count
    /// (step 4); `run` turns it off when the whole function's PSUM tiles then do not place.
    var psumByPlacement: Bool

    /// `block` with its loops' bodies rewritten and each of its runs list-scheduled; `enclosing` is the
    /// per-partition footprint of the tiles of the blocks around it that are live at it.
    func rewrite(_ block: Block, enclosing: [MemorySpace: Int]) -> Block {
        let lastUse = DoubleBufferRewriter.lastUses(in: block)
        var ops: [Operation] = []
        for (position, var op) in block.ops.enumerated() {
            if case .forLoop(var loop) = op.kind {
                var around = enclosing
                for (space, bytes) in DoubleBufferRewriter.footprint(block, liveAt: position, lastUse: lastUse) {
                    around[space, default: 0] += bytes
                }
                loop.body = rewrite(loop.body, enclosing: around)
                op.kind = .forLoop(loop)
            }
            ops.append(op)
        }
        let budget = capacity.merging(enclosing) { total, used in total - used }
        let original = Block(ops)
        let fitsCount = { (block: Block, everyPSUMTileABank: Bool) in
            DoubleBufferRewriter.peakFootprint(block, bankBytes: bankBytes, everyPSUMTileABank: everyPSUMTileABank)
                .allSatisfy { space, bytes in bytes <= budget[space, default: Int.max] }
        }
        let psumAround = enclosing[.psum, default: 0] > 0
        let fits = { (block: Block) in
            guard fitsCount(block, false) else { return false }
            return fitsCount(block, true)
                || (psumByPlacement && !psumAround && TileAllocator.placesPSUM(of: block, target: target))
        }
        guard ops.contains(where: { $0.kind.instruction != nil }), fits(original) else { return original }
        var lookahead = window
        while lookahead > 1 {
            for (psumByBank, margin) in [(false, 0), (true, 0), (true, bankBytes)] {
                var tighter = budget
                if let psum = tighter[.psum] { tighter[.psum] = psum - margin }
                let reordered = Block(schedule(ops, budget: tighter, window: lookahead, everyPSUMTileABank: psumByBank))
                if fits(reordered) { return reordered }
            }
            lookahead /= 2
        }
        return original
    }

    /// The ops of a block, each run of engine ops, allocs and views list-scheduled (the rest in place).
    /// `everyPSUMTileABank` counts every PSUM tile as a whole bank while the list schedule checks what fits (the
    /// worst case of `allocate`'s bank rules), instead of accumulators as banks and other PSUM tiles by their bytes.
    func schedule(_ ops: [Operation], budget: [MemorySpace: Int], window: Int,
                  everyPSUMTileABank: Bool = false) -> [Operation] {
        let accumulators = Set(ops.compactMap { $0.kind.asMatmul.map { views.root($0.accumulator) } })
        // First and last top-level positions at which each root tile is used (a loop counts as its position).
        var first: [ValueID: Int] = [:], last: [ValueID: Int] = [:]
        for (position, op) in ops.enumerated() {
            var uses: [ValueID] = []
            op.kind.forEachUse { uses.append(views.root($0)) }
            op.regions.forEach { $0.walk { $0.kind.forEachUse { uses.append(views.root($0)) } } }
            for use in uses {
                if first[use] == nil { first[use] = position }
                last[use] = position
            }
        }
        var bytes: [ValueID: (MemorySpace, Int)] = [:]
        for op in ops {
            guard case .alloc(let tile, _) = op.kind, let id = op.result?.id else { continue }
            let size = tile.space == .psum && (everyPSUMTileABank || accumulators.contains(id))
                ? max(tile.bytesPerPartition, bankBytes) : tile.bytesPerPartition
            bytes[id] = (tile.space, size)
        }
        var result: [Operation] = []
        var start = 0
        while start < ops.count {
            guard Self.movable(ops[start]) else {
                result.append(ops[start])
                start += 1
                continue
            }
            var end = start
            while end < ops.count, Self.movable(ops[end]) { end += 1 }
            result += scheduleRun(ops, start ..< end, first: first, last: last, bytes: bytes, budget: budget, window: window)
            start = end
        }
        return result
    }

    /// Engine instructions, allocs and views: the ops a run is made of.
    static func movable(_ op: Operation) -> Bool {
        switch op.kind {
        case .engine, .alloc, .view: true
        default: false
        }
    }

    /// One run `range` of `ops`, list-scheduled (the algorithm's steps 2 and 3).
    private func scheduleRun(_ ops: [Operation], _ range: Range<Int>, first: [ValueID: Int], last: [ValueID: Int],
                             bytes: [ValueID: (MemorySpace, Int)], budget: [MemorySpace: Int], window: Int) -> [Operation] {
        let run = Array(ops[range])
        let engineOps = run.indices.filter { run[$0].kind.instruction != nil }
        guard engineOps.count > 1, window > 1 else { return run }
        let dependences = OpDependences.of(run, views: views)
        // Definitions (allocs, views) and the run positions that define each value they name.
        var definer: [ValueID: Int] = [:]
        for (index, op) in run.enumerated() where op.kind.instruction == nil { if let id = op.result?.id { definer[id] = index } }
        // Remaining uses within the run of each root tile, and the tiles live when the run starts.
        // The root tiles each op of the run refers to, once each (asked for every candidate at every step).
        let roots = run.map { Array(Set($0.kind.uses.map(views.root))) }
        var remaining: [ValueID: Int] = [:]
        for (index, op) in run.enumerated() where op.kind.instruction != nil {
            for root in roots[index] { remaining[root, default: 0] += 1 }
        }
        var live = Set<ValueID>()
        var liveBytes: [MemorySpace: Int] = [:]
        for (root, (space, size)) in bytes {
            guard let firstUse = first[root], let lastUse = last[root], firstUse < range.lowerBound,
                  lastUse >= range.lowerBound else { continue }
            live.insert(root)
            liveBytes[space, default: 0] += size
        }
        var successors = Array(repeating: [Int](), count: run.count)
        var waiting = Array(repeating: 0, count: run.count)
        for (index, before) in dependences.enumerated() {
            waiting[index] = before.count
            for predecessor in before { successors[predecessor].append(index) }
        }
        var timeline = StreamTimeline(target: target, types: types, dmaQueues: target.dma.queuesPerEngine)
        // Each op's longest path to the run's end (its cost and its successors'), the tie-break between ops that
        // could start at the same time: the longer chain goes first, so no long chain is left for the end alone.
        var remainingPath = Array(repeating: 0.0, count: run.count)
        for index in run.indices.reversed() {
            remainingPath[index] = timeline.cost(run[index]) + (successors[index].map { remainingPath[$0] }.max() ?? 0)
        }
        var finish = Array(repeating: 0.0, count: run.count)
        var placed = Array(repeating: false, count: run.count)
        var ready = run.indices.map { run[$0].kind.instruction != nil && waiting[$0] == 0 }
        var emitted = Set<Int>()
        var result: [Operation] = []
        var cursor = 0  // index into engineOps of the first op not yet placed
        func emitDefinition(of value: ValueID) {
            guard let index = definer[value], !emitted.contains(index) else { return }
            if case .view(let base, _) = run[index].kind { emitDefinition(of: base) }
            emitted.insert(index)
            result.append(run[index])
        }
        func newBytes(_ index: Int) -> [MemorySpace: Int] {
            var added: [MemorySpace: Int] = [:]
            for root in roots[index] where !live.contains(root) {
                if let (space, size) = bytes[root] { added[space, default: 0] += size }
            }
            return added
        }
        // Headroom kept for the ops in program order: an op taken ahead of the first unplaced one must leave room
        // for the largest set of tiles any one op of the run makes live.
        var reserve: [MemorySpace: Int] = [:]
        for index in engineOps {
            for (space, size) in newBytes(index) { reserve[space] = max(reserve[space] ?? 0, size) }
        }
        while cursor < engineOps.count {
            let head = engineOps[cursor]
            let limit = cursor + window < engineOps.count ? engineOps[cursor + window] : run.count
            var best: (index: Int, start: Double)?
            // The window's ready ops: engine ops from the first unplaced one up to `limit`.
            for index in engineOps[cursor...].prefix(while: { $0 < limit }) where ready[index] {
                if index != head {
                    let fits = newBytes(index).allSatisfy { space, size in
                        liveBytes[space, default: 0] + size + reserve[space, default: 0] <= budget[space, default: Int.max] }
                    guard fits else { continue }
                }
                let readyAt = dependences[index].reduce(0.0) { max($0, finish[$1]) }
                let start = timeline.start(run[index], ready: readyAt)
                if let current = best {
                    let better = start < current.start || (start == current.start
                        && (remainingPath[index] > remainingPath[current.index]
                            || (remainingPath[index] == remainingPath[current.index] && index < current.index)))
                    if !better { continue }
                }
                best = (index, start)
            }
            let (chosen, start) = best ?? (head, timeline.start(run[head], ready: dependences[head].reduce(0.0) { max($0, finish[$1]) }))
            run[chosen].kind.forEachUse(emitDefinition)
            result.append(run[chosen])
            emitted.insert(chosen)
            placed[chosen] = true
            ready[chosen] = false
            finish[chosen] = timeline.commit(run[chosen], at: start)
            for successor in successors[chosen] {
                waiting[successor] -= 1
                if waiting[successor] == 0 { ready[successor] = true }
            }
            for root in roots[chosen] {
                guard let (space, size) = bytes[root] else { continue }
                if !live.contains(root) {
                    live.insert(root)
                    liveBytes[space, default: 0] += size
                }
                remaining[root, default: 1] -= 1
                if remaining[root] == 0, (last[root] ?? 0) < range.upperBound {
                    live.remove(root)
                    liveBytes[space, default: 0] -= size
                }
            }
            while cursor < engineOps.count, placed[engineOps[cursor]] { cursor += 1 }
        }
        // Allocs and views no engine op of the run refers to keep their relative order at the run's end.
        for index in run.indices where !emitted.contains(index) { result.append(run[index]) }
        return result
    }
}
