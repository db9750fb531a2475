// DeadCodeElimination.swift: the `dce` pass: removes values nobody reads and tiles nobody reads, with their writers.

import KilnPluginAPI
import KilnTileIR

/// `dce`: dead code elimination for both levels of the IR.
///
/// Algorithm, per function, repeated until nothing changes (each round can expose more dead code):
/// 1. Liveness as a fixpoint over the function (loop bodies included), from the roots: ops with effects
///    beyond the values they write (`return`, calls, synchronisation) and every op that writes a kernel output.
///    A value is *needed* when a live op reads it (`OpKind.reads`); a pure tensor-level op is live when its
///    result is needed; an engine op is live when it writes a needed value or an output (its declared
///    writes, `OpKind.writes`). So an op's read of a tile it also writes (an accumulating matmul, an in-place
///    activation) makes that tile needed only when the op is live for another reason.
/// 2. Remove the ops that are not live; then remove `alloc`s nothing refers to any more, and loops whose
///    bodies are empty.
/// Parameters and outputs are roots. A `view` names part of another tile's memory (`TileViews`): reading or
/// writing it reads or writes that tile, so needed-ness is tracked per `alloc`ed tile, and a view stays while
/// anything refers to it, as an `alloc` does.
/// The result is the same program without work whose effect nobody sees.
public struct DeadCodeElimination: Pass {
    public let name = "dce"
    public let summary = "remove unread values, unread tiles and the ops that only write them"

    public init() {}

    public func run(on module: inout Module, context: inout PassContext) throws {
        for index in module.functions.indices {
            module.functions[index] = eliminate(in: module.functions[index])
        }
    }

    func eliminate(in function: Function) -> Function {
        var result = function
        while true {
            let needed = neededValues(result)
            let outputs = Set(function.outputs.map(\.id))
            let withoutDeadOps = removeDeadOps(result.body, needed: needed, outputs: outputs, views: TileViews(result))
            var referenced = Set<ValueID>()
            withoutDeadOps.walk { op in referenced.formUnion(op.kind.uses) }
            let cleaned = removeUnreferencedAllocsAndEmptyLoops(withoutDeadOps, referenced: referenced)
            if cleaned == result.body { return result }
            result.body = cleaned
        }
    }

    /// The values live ops read, grown from the roots until no op becomes live.
    private func neededValues(_ function: Function) -> Set<ValueID> {
        let outputs = Set(function.outputs.map(\.id))
        let views = TileViews(function)
        var ops: [(kind: OpKind, result: ValueID?)] = []
        function.body.walk { ops.append(($0.kind, $0.result?.id)) }
        var needed = Set<ValueID>()
        var live = [Bool](repeating: false, count: ops.count)
        var changed = true
        while changed {
            changed = false
            for (index, op) in ops.enumerated() where !live[index] {
                guard isLive(op.kind, result: op.result, needed: needed, outputs: outputs, views: views) else { continue }
                live[index] = true
                needed.formUnion(op.kind.reads.map(views.root))
                changed = true
            }
        }
        return needed
    }

    /// True if an op must stay: it has effects of its own, writes an output or a needed value, or (pure) defines
    /// a needed value. Loops and allocs stay here; they go once their contents or their tile are unreferenced.
    private func isLive(_ kind: OpKind, result: ValueID?, needed: Set<ValueID>, outputs: Set<ValueID>,
                        views: TileViews) -> Bool {
        switch kind {
        case .engine:
            let writes = kind.writes
            return writes.isEmpty || writes.contains { needed.contains(views.root($0)) || outputs.contains($0) }
        case .constant, .iota, .scan, .slice, .concat, .gather, .scatterAdd, .topk, .unary, .binary, .broadcast, .reduce, .matmul, .transpose, .permute, .reshape, .select,
             .cast:
            return result.map(needed.contains) ?? false
        case .call, .ret, .syncSignal, .syncWait, .forLoop, .alloc, .view, .hbmAlloc:
            return true
        }
    }

    private func removeDeadOps(_ block: Block, needed: Set<ValueID>, outputs: Set<ValueID>, views: TileViews) -> Block {
        var kept: [Operation] = []
        for var op in block.ops {
            if !isLive(op.kind, result: op.result?.id, needed: needed, outputs: outputs, views: views) { continue }
            if case .forLoop(var loop) = op.kind {
                loop.body = removeDeadOps(loop.body, needed: needed, outputs: outputs, views: views)
                op.kind = .forLoop(loop)
            }
            kept.append(op)
        }
        return Block(kept)
    }

    private func removeUnreferencedAllocsAndEmptyLoops(_ block: Block, referenced: Set<ValueID>) -> Block {
        var kept: [Operation] = []
        for var op in block.ops {
            switch op.kind {
            case .alloc, .view:
                if let tile = op.result?.id, !referenced.contains(tile) { continue }
            case .forLoop(var loop):
                loop.body = removeUnreferencedAllocsAndEmptyLoops(loop.body, referenced: referenced)
                if loop.body.ops.isEmpty { continue }
                op.kind = .forLoop(loop)
            default:
                break
            }
            kept.append(op)
        }
        return Block(kept)
    }
}
