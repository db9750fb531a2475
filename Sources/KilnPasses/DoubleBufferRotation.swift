// DoubleBufferRotation.swift: `double-buffer` within straight-line code: rotating reloaded tiles, hoisting loads and transposes.

import KilnMachine
import KilnTileIR

/// The straight-line half of `double-buffer` (see `DoubleBuffer`), applied to every block after its loops:
///
/// 1. **Rotation.** A tile allocated in the block and loaded several times from a function input by
///    top-level `dma.load`s (its first access being the first load) has one *version* per load: the load and
///    the uses up to the next load. Version v is renamed to copy `v mod R` of the tile (copy 0 is the
///    original; copies 1..<R are new `alloc`s right after it), R = min(`maxRotation`, versions), reduced
///    until R - 1 more copies fit beside the tiles of the block and of the enclosing blocks (as for loops).
///    Each load then waits only for the uses of the version R loads earlier, not of the previous one.
/// 2. **Hoisting.** Every top-level `dma.load` from an input and every `pe.transpose` moves up, in program
///    order, past the ops before it that share no value with it (a nested loop counts with all the values it
///    refers to; `alloc`s of its tiles and `sync` ops stop it), at most `maxHoist` ops. Loads thus start as
///    soon as their buffer is free, and the tensor engine transposes the next tile before it multiplies the
///    current one instead of waiting for the copy out of PSUM between the two. Values shared only by
///    reading would be safe to cross; treating them as barriers keeps the rule simple and conservative.
extension DoubleBufferRewriter {
    static let maxRotation = 8
    static let maxHoist = 64

    func rotateAndHoist(_ block: Block, around: [MemorySpace: Int], in function: inout Function) -> Block {
        let rotated = rotate(block, around: around, in: &function)
        return hoist(rotated)
    }

    private func rotate(_ block: Block, around: [MemorySpace: Int], in function: inout Function) -> Block {
        var ops = block.ops
        var allocPosition: [ValueID: Int] = [:]
        var loads: [ValueID: [Int]] = [:]
        var firstAccess: [ValueID: Int] = [:]
        for (position, op) in ops.enumerated() {
            if case .alloc = op.kind, let tile = op.result?.id { allocPosition[tile] = position }
            var touched = op.kind.uses
            op.regions.forEach { $0.walk { touched += $0.kind.uses } }
            for value in touched where firstAccess[value] == nil { firstAccess[value] = position }
            if let transfer = op.kind.asLoad, inputs.contains(transfer.hbm), allocPosition[transfer.tile] != nil {
                loads[transfer.tile, default: []].append(position)
            }
        }
        var footprint = Self.footprint(block)
        var newAllocs: [Int: [Operation]] = [:]
        for tile in loads.keys.sorted() {
            guard let positions = loads[tile], positions.count >= 2, firstAccess[tile] == positions[0],
                  let allocAt = allocPosition[tile], case .alloc(let type, _) = ops[allocAt].kind,
                  let definition = ops[allocAt].result else { continue }
            var copies = min(Self.maxRotation, positions.count)
            while copies >= 2, !fitsMore(type, count: copies - 1, footprint: footprint, around: around) { copies -= 1 }
            guard copies >= 2 else { continue }
            footprint[type.space, default: 0] += (copies - 1) * type.bytesPerPartition
            var copyIDs = [tile]
            for copy in 1..<copies {
                let value = function.makeValue(definition.type, name: (definition.nameHint ?? "t") + ".r\(copy)")
                copyIDs.append(value.id)
                newAllocs[allocAt, default: []].append(Operation(.alloc(type, nil), result: value, span: ops[allocAt].span,
                                                                 textSpan: ops[allocAt].textSpan))
            }
            for (version, start) in positions.enumerated() where version % copies != 0 {
                let end = version + 1 < positions.count ? positions[version + 1] : ops.count
                let replacement = copyIDs[version % copies]
                for position in start..<end { ops[position] = Self.renaming(ops[position], tile, to: replacement) }
            }
        }
        var result: [Operation] = []
        for (position, op) in ops.enumerated() {
            result.append(op)
            result += newAllocs[position] ?? []
        }
        return Block(result)
    }

    private func fitsMore(_ type: TileType, count: Int, footprint: [MemorySpace: Int], around: [MemorySpace: Int]) -> Bool {
        guard let limit = capacity[type.space] else { return false }
        return footprint[type.space, default: 0] + around[type.space, default: 0] + count * type.bytesPerPartition <= limit
    }

    /// `op` with every reference to `tile` (nested regions included) replaced by `replacement`.
    static func renaming(_ op: Operation, _ tile: ValueID, to replacement: ValueID) -> Operation {
        var renamed = op
        let map: (ValueID) -> ValueID = { $0 == tile ? replacement : $0 }
        if case .forLoop(var loop) = op.kind {
            loop.body = Block(loop.body.ops.map { renaming($0, tile, to: replacement) })
            renamed.kind = .forLoop(loop)
        } else {
            renamed.kind = op.kind.mappingValues(map)
        }
        return renamed
    }

    private func hoist(_ block: Block) -> Block {
        var ops = block.ops
        for position in ops.indices {
            let op = ops[position]
            let movable: Bool
            if let transfer = op.kind.asLoad {
                movable = inputs.contains(transfer.hbm)
            } else {
                movable = op.kind.engineOp == .peTranspose
            }
            guard movable else { continue }
            let values = Set(op.kind.uses)
            var target = position
            while target > 0, position - target < Self.maxHoist, !Self.blocks(ops[target - 1], values) { target -= 1 }
            if target < position {
                ops.remove(at: position)
                ops.insert(op, at: target)
            }
        }
        return Block(ops)
    }

    /// Whether `op` must stay before an op that refers to `values`.
    private static func blocks(_ op: Operation, _ values: Set<ValueID>) -> Bool {
        switch op.kind {
        case .syncSignal, .syncWait, .ret: return true
        default: break
        }
        if let result = op.result?.id, values.contains(result) { return true }
        var touched = op.kind.uses
        op.regions.forEach { $0.walk { touched += $0.kind.uses + ($0.result.map { [$0.id] } ?? []) } }
        return touched.contains { values.contains($0) }
    }
}
