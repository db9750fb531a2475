// TilingReductionChunks.swift: tiles a row group with free-axis reductions whose rows do not fit SBUF, chunk by chunk.

import KilnMachine
import KilnPluginAPI
import KilnSource
import KilnTileIR

/// Emits a row group over [R, C] whose row tile does not fit SBUF with the free axis whole, by splitting
/// the free axis into chunks of `width` and making one pass over the chunks per reduction (softmax or
/// layernorm at a large D), and a group with scans along such rows, whose state goes from chunk to chunk.
///
/// Per row tile (a loop over `tile_m` partitions, remainder peeled), the reductions are taken in program
/// order. For each, a *phase* recomputes, chunk by chunk, the ops of the group its operand depends on (its
/// ancestors, with earlier reductions already done standing in as [P | 1] columns) and reduces each
/// chunk of the operand: the first chunk is peeled and reduced into the accumulator column; in the loop over
/// the other chunks a sum goes on from the accumulator (`dve.reduce add ... initial %acc`, so the f32 sum adds
/// the row's elements in order, as one pass would: Docs/numerics.md, "Reduction order"), and max/min reduce
/// into a partial combined into it (`dve.tensor_tensor max|min`). A mean divides the f32 sum by C once; a
/// float sum or mean is then rounded once to its dtype. A final pass over the chunks computes the values the group
/// stores at full width and stores each chunk; the reductions the group stores are stored once per row
/// tile. Rows broadcast along partitions ([C] operands) are loaded per chunk, since the chunk loop is the
/// inner one. Elementwise work is recomputed once per phase: the price of not keeping a whole row on chip.
/// A scan among the ops a phase or the final pass lowers carries its state across the chunks in order
/// (`ScanCarry`), starting afresh in each pass's first chunk, which the final pass then also peels.
struct ChunkedReductionTiler {
    let types: [ValueID: ValueDef]
    let sizes: TileSizes
    let rows: Int
    let columns: Int
    let width: Int

    func emit(_ ops: [Operation], into top: TileEmitter, scalars: [ValueID: TileOperand],
              hbmSources: [ValueID: ValueID], stores: [GroupStore]) throws(TilingError) {
        let reductions = ops.filter { if case .reduce = $0.kind { true } else { false } }
        let reductionResults = Set(reductions.compactMap { $0.result?.id })
        let fullStores = stores.filter { !reductionResults.contains($0.value) }
        let columnStores = stores.filter { reductionResults.contains($0.value) }
        top.span = ops.first?.span ?? top.span
        try top.tiled(extent: rows, tile: sizes.m, name: "i") { (_, row, rowOffset, partitions) throws(TilingError) in
            var done = scalars
            func window(_ offset: AffineExpr, _ chunkWidth: Int) -> TileWindow {
                TileWindow(partitions: partitions, width: chunkWidth, rowOffset: rowOffset, columnOffset: offset,
                           rows: rows, columns: columns)
            }
            let firstWidth = min(width, columns)
            for reduction in reductions {
                guard let result = reduction.result, case .reduce(let kind, let source, _) = reduction.kind else { continue }
                let needed = ancestors(of: [source], in: ops, done: done)
                let element = types[result.id]?.type.element ?? .f32
                let reduceOp: EngineReduceOp = kind == .max ? .max : kind == .min ? .min : .add
                let isSum = reduceOp == .add && element.isFloat
                // This chunk's values of the reduced operand, as a [P | w] tile.
                func chunkTile(_ lowering: inout ElementwiseLowering) throws(TilingError) -> ValueID {
                    lowering.planInPlace(needed, keeping: [source])
                    for op in needed { try lowering.lower(op) }
                    let operand = try lowering.operand(source, for: reduction)
                    return lowering.fullTile(operand, element: lowering.element(source), name: nil)
                }
                row.span = reduction.span
                let carry = ScanCarry()
                var first = ElementwiseLowering(body: row, hoist: row, window: window(.constant(0), firstWidth), types: types,
                                                hbmSources: hbmSources, operands: done)
                first.scanCarry = carry
                let firstTile = try chunkTile(&first)
                row.span = reduction.span
                let accumulator = row.alloc(.sbuf, isSum ? .f32 : element, partitions: partitions, free: [1], name: result.nameHint)
                row.emit(.dveReduce(reduceOp, firstTile, destination: accumulator))
                try row.tiled(extent: columns - firstWidth, tile: width, name: "j") { (_, chunk, offset, chunkWidth) throws(TilingError) in
                    var lowering = ElementwiseLowering(body: chunk, hoist: chunk, window: window(offset.adding(firstWidth), chunkWidth),
                                                       types: types, hbmSources: hbmSources, operands: done)
                    lowering.scanCarry = carry
                    let tile = try chunkTile(&lowering)
                    chunk.span = reduction.span
                    if isSum {
                        // The running sum goes on in order from the accumulator: the bits of one pass over the row.
                        chunk.emit(.dveReduce(.add, tile, destination: accumulator, initial: .value(accumulator)))
                    } else {
                        let partial = chunk.alloc(.sbuf, element, partitions: partitions, free: [1], name: nil)
                        chunk.emit(.dveReduce(reduceOp, tile, destination: partial))
                        chunk.emit(.dveTensorTensor(kind == .max ? .max : kind == .min ? .min : .add, accumulator, partial,
                                                    destination: accumulator))
                    }
                }
                var column = accumulator
                if kind == .mean {
                    row.emit(.dveTensorScalar(.div, accumulator, .constant(Double(columns)), destination: accumulator))
                }
                if isSum && element != .f32 {
                    // The f32 sum (or mean) rounds once, to the result's dtype.
                    column = row.alloc(.sbuf, element, partitions: partitions, free: [1], name: result.nameHint)
                    row.emit(.dveCopy(source: accumulator, destination: column))
                }
                done[result.id] = .column(column, element)
            }
            let stored = ancestors(of: fullStores.map(\.value), in: ops, done: done)
            if !fullStores.isEmpty {
                let carry = ScanCarry()
                func storeChunk(_ chunk: TileEmitter, _ offset: AffineExpr, _ chunkWidth: Int) throws(TilingError) {
                    var lowering = ElementwiseLowering(body: chunk, hoist: chunk, window: window(offset, chunkWidth), types: types,
                                                       hbmSources: hbmSources, operands: done)
                    lowering.scanCarry = carry
                    lowering.planInPlace(stored, keeping: fullStores.map(\.value))
                    for op in stored {
                        chunk.span = op.span
                        try lowering.lower(op)
                    }
                    for store in fullStores {
                        chunk.span = store.op.span
                        try lowering.store(store.value, to: store.output, for: store.op)
                    }
                }
                // A scan's chunks go in order from the row's first, which starts its state: peel that one.
                let scans = stored.contains { if case .scan = $0.kind { true } else { false } }
                let start = scans ? firstWidth : 0
                if scans { try storeChunk(row, .constant(0), firstWidth) }
                try row.tiled(extent: columns - start, tile: width, name: "j") { (_, chunk, offset, chunkWidth) throws(TilingError) in
                    try storeChunk(chunk, offset.adding(start), chunkWidth)
                }
            }
            var columnLowering = ElementwiseLowering(body: row, hoist: row, window: window(.constant(0), firstWidth),
                                                     types: types, hbmSources: hbmSources, operands: done)
            for store in columnStores {
                row.span = store.op.span
                try columnLowering.store(store.value, to: store.output, for: store.op)
            }
        }
    }

    /// The ops of `ops` that `targets` depend on (themselves included), in program order, stopping at
    /// values already computed (`done`).
    private func ancestors(of targets: [ValueID], in ops: [Operation], done: [ValueID: TileOperand]) -> [Operation] {
        var producer: [ValueID: Operation] = [:]
        for op in ops { if let result = op.result { producer[result.id] = op } }
        var wanted = Set<ValueID>()
        var stack = targets
        while let value = stack.popLast() {
            guard done[value] == nil, producer[value] != nil, wanted.insert(value).inserted,
                  let op = producer[value] else { continue }
            stack += op.kind.reads
        }
        return ops.filter { op in op.result.map { wanted.contains($0.id) } ?? false }
    }
}
