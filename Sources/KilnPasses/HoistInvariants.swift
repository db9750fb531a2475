// HoistInvariants.swift: the `licm` pass: moves loop-invariant vector/scalar-engine computations out of tile loops.

import KilnISA
import KilnMachine
import KilnPluginAPI
import KilnTileIR

/// `licm`: loop-invariant code motion for engine ops. A computation whose operands no iteration of a loop
/// changes gives the same tile every iteration; it runs once, before the loop (as neuronx-cc does for NKI
/// kernels: the fused Mamba tutorial's `delta * u` inside the state loop, Docs/simulator.md).
///
/// Algorithm, per function, inner loops first (so a computation can leave several loops, one at a time):
/// 1. For a loop with at least one iteration, collect the values any op of its body writes, nested loops
///    included, and the tiles its body's top level allocates.
/// 2. Walk the body's top level in order. An engine op is *invariant* when it is a pure elementwise computation
///    (`dve.tensor_tensor`, `dve.tensor_scalar`, `dve.copy`, `dve.reciprocal`, or `act.activate` without a
///    reduction), it writes exactly one tile, that tile is allocated at the body's top level and written by
///    no other op of the loop, it does not read that tile, and every value it reads is defined outside the loop
///    (or by an op already hoisted, or is a `view` at the body's top level of a tile defined outside the loop:
///    a fixed window, which moves with it), written by no op of the loop (through any `view` of its memory: writes
///    count against the `alloc`ed root, `TileViews`), and is not the induction variable.
/// 3. Each invariant op moves, with its tile's `alloc`, to just before the loop, in body order.
/// Capacity: a hoisted tile lives across the whole loop, so a loop's invariants are hoisted only when they fit
/// beside the tiles of the enclosing blocks live at the loop and the loop's own tiles, counted either as every
/// `alloc` of the body (inner loops included) or as the body's peak by live ranges (`DoubleBufferRewriter`'s
/// footprints; every PSUM tile a whole bank); a loop near the memory's capacity is left alone. The values are the
/// same (the op computes what it computed in every iteration), so no executor's result changes.
public struct HoistInvariants: Pass {
    public let name = "licm"
    public let summary = "move loop-invariant engine computations (elementwise, pure) out of tile loops"

    public init() {}

    public func run(on module: inout Module, context: inout PassContext) throws {
        let capacity: [MemorySpace: Int] = [.sbuf: context.target.sbuf.bytesPerPartition,
                                             .psum: context.target.psum.bytesPerPartition]
        for index in module.functions.indices {
            let views = TileViews(module.functions[index])
            module.functions[index].body = Self.hoist(module.functions[index].body, enclosing: [:], capacity: capacity,
                                                      views: views, bankBytes: context.target.psumBankBytes)
        }
    }

    /// The engine ops that compute a tile from their operands alone.
    static let pureOps: Set<EngineOp> = [.dveTensorTensor, .dveTensorScalar, .dveCopy, .dveReciprocal, .actActivate]

    /// Whether the hoisted tiles, live across the whole loop, fit beside the enclosing tiles live at the loop and
    /// the loop's own tiles: either every `alloc` of the body counted at once, or, by live ranges, the body's peak
    /// (`DoubleBufferRewriter.peakFootprint`, every PSUM tile a whole bank: the worst case of `allocate`). An
    /// unrolled body (the fused Mamba's 16 sequence tiles) allocates many times what it holds at once.
    static func fits(hoisted: [Operation], body: Block, around: [MemorySpace: Int], capacity: [MemorySpace: Int],
                     bankBytes: Int) -> Bool {
        let kept = DoubleBufferRewriter.footprint(body)
        let peak = DoubleBufferRewriter.peakFootprint(body, bankBytes: bankBytes, everyPSUMTileABank: true)
        let moved = DoubleBufferRewriter.footprint(Block(hoisted))
        return [kept, peak].contains { inside in
            capacity.allSatisfy { space, bytes in
                inside[space, default: 0] + moved[space, default: 0] + around[space, default: 0] <= bytes
            }
        }
    }

    static func hoist(_ block: Block, enclosing: [MemorySpace: Int], capacity: [MemorySpace: Int], views: TileViews,
                      bankBytes: Int) -> Block {
        var ops: [Operation] = []
        let lastUse = DoubleBufferRewriter.lastUses(in: block)
        for (position, var op) in block.ops.enumerated() {
            guard case .forLoop(var loop) = op.kind else {
                ops.append(op)
                continue
            }
            var around = enclosing
            for (space, bytes) in DoubleBufferRewriter.footprint(block, liveAt: position, lastUse: lastUse) {
                around[space, default: 0] += bytes
            }
            loop.body = hoist(loop.body, enclosing: around, capacity: capacity, views: views, bankBytes: bankBytes)
            let (hoisted, body) = loop.tripCount >= 1 ? invariants(of: loop, views: views) : ([], loop.body)
            if !hoisted.isEmpty && fits(hoisted: hoisted, body: body, around: around, capacity: capacity, bankBytes: bankBytes) {
                loop.body = body
                ops += hoisted
            }
            op.kind = .forLoop(loop)
            ops.append(op)
        }
        return Block(ops)
    }

    /// The invariant ops of `loop`'s body (with their tiles' allocs), and the body without them.
    static func invariants(of loop: ForLoop, views: TileViews) -> (hoisted: [Operation], body: Block) {
        var writeCounts: [ValueID: Int] = [:]
        var definedInside = Set<ValueID>()
        loop.body.walk { op in
            for value in op.kind.writes { writeCounts[views.root(value), default: 0] += 1 }
            if let result = op.result?.id { definedInside.insert(result) }
        }
        var allocs: [ValueID: Int] = [:]
        // Views at a fixed offset of a tile defined before the loop: the same window every iteration.
        var outsideViews: [ValueID: Int] = [:]
        for (index, op) in loop.body.ops.enumerated() {
            if case .alloc = op.kind, let id = op.result?.id { allocs[id] = index }
            if case .view(let source, _) = op.kind, let id = op.result?.id, !definedInside.contains(source) {
                outsideViews[id] = index
            }
        }
        var moved = Set<Int>()
        var hoistedValues = Set<ValueID>()
        for (index, op) in loop.body.ops.enumerated() {
            guard let engineOp = op.kind.engineOp, pureOps.contains(engineOp),
                  !(engineOp == .actActivate && op.kind.asActivation?.reduce != nil) else { continue }
            let writes = op.kind.writes
            guard writes.count == 1, let tile = writes.first, let allocIndex = allocs[tile], writeCounts[tile] == 1
            else { continue }
            let reads = op.kind.reads
            guard !reads.contains(tile), !reads.contains(loop.inductionVariable.id),
                  reads.allSatisfy({ hoistedValues.contains($0)
                      || ((!definedInside.contains($0) || outsideViews[$0] != nil) && writeCounts[views.root($0)] == nil) })
            else { continue }
            moved.insert(allocIndex)
            moved.insert(index)
            // The windows it reads move with it (a view defined before the loop is the same window in every
            // iteration, so the body's other readers of it see what they saw).
            for read in reads { if let viewIndex = outsideViews[read] { moved.insert(viewIndex) } }
            hoistedValues.insert(tile)
        }
        let hoisted = loop.body.ops.indices.filter(moved.contains).map { loop.body.ops[$0] }
        let kept = loop.body.ops.indices.filter { !moved.contains($0) }.map { loop.body.ops[$0] }
        return (hoisted, Block(kept))
    }
}
