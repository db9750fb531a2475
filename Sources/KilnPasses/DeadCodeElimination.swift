// DeadCodeElimination.swift: the `dce` pass: removes values nobody reads and tiles nobody reads, with their writers.

import KilnPluginAPI
import KilnTileIR

/// `dce`: dead code elimination for both levels of the IR.
///
/// Algorithm, per function, repeated until nothing changes (each round can expose more dead code):
/// 1. Count, over the whole function (loop bodies included), how often each value is *read*
///    (`OpKind.reads`). A read of a tile by an op that also writes it (an accumulating matmul reading its
///    own accumulator) does not count: it does not make the tile observable.
/// 2. A tile made by `alloc` that no op reads is dead; so is every engine op whose writes all go to dead
///    tiles (its work can never be observed).
/// 3. A pure tensor-level op whose result is never read is dead.
/// 4. Remove the dead ops; then remove `alloc`s nothing refers to any more, and loops whose bodies are empty.
/// Side effects on HBM (`dma.store`), synchronisation, calls and `return` are always kept; parameters and
/// outputs are roots. The result is the same program without work whose effect nobody sees.
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
            let observedReads = observedReadCounts(result.body)
            var deadTiles = Set<ValueID>()
            result.body.walk { op in
                if case .alloc = op.kind, let tile = op.result?.id, observedReads[tile, default: 0] == 0 {
                    deadTiles.insert(tile)
                }
            }
            let withoutDeadOps = removeDeadOps(result.body, observedReads: observedReads, deadTiles: deadTiles)
            var referenced = Set<ValueID>()
            withoutDeadOps.walk { op in referenced.formUnion(op.kind.uses) }
            let cleaned = removeUnreferencedAllocsAndEmptyLoops(withoutDeadOps, referenced: referenced)
            if cleaned == result.body { return result }
            result.body = cleaned
        }
    }

    /// Reads that can make a value observable: every read except an op reading a tile it also writes.
    private func observedReadCounts(_ block: Block) -> [ValueID: Int] {
        var counts: [ValueID: Int] = [:]
        block.walk { op in
            let written = Set(op.kind.writes)
            for value in op.kind.reads where !written.contains(value) { counts[value, default: 0] += 1 }
        }
        return counts
    }

    private func removeDeadOps(_ block: Block, observedReads: [ValueID: Int], deadTiles: Set<ValueID>) -> Block {
        var kept: [Operation] = []
        for var op in block.ops {
            if op.kind.isPure, let result = op.result, observedReads[result.id, default: 0] == 0 { continue }
            if op.kind.engine != nil, !op.kind.writes.isEmpty, op.kind.writes.allSatisfy(deadTiles.contains) { continue }
            if case .forLoop(var loop) = op.kind {
                loop.body = removeDeadOps(loop.body, observedReads: observedReads, deadTiles: deadTiles)
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
            case .alloc:
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
