// TileMatmulRowChainOnline.swift: tiles an attention chain whose row ops are a softmax by online softmax, key window by key window.

import KilnMachine
import KilnTileIR

/// `tile{chain_online}`: whether a chain whose row group is a softmax streams its key windows (`MatmulRowChainTiler.emitOnline`).
enum ChainOnlineMode: String, CaseIterable, Sendable {
    /// Only when the chain's whole rows do not fit SBUF (the whole-row form is exact to the unchained schedule).
    case auto
    /// Always (for testing the streamed form on small shapes).
    case on
    /// Never: a chain too large for SBUF goes through HBM scratch group by group.
    case off
}

/// A chain's row ops when they are one softmax of the held scores `x`: `m = max(x)`, `e = exp(x - m)`, `s = sum(e)`,
/// `p = e / s` (with the broadcasts of m and s between), then optionally a cast of p: P, the second matmul's left operand.
struct OnlineSoftmax {
    /// The scores (the one value of the scores part the row ops read) and their row max.
    var scores: ValueID, max: ValueID

    init?(_ plan: MatmulRowChainTiler.Plan, types: [ValueID: ValueDef]) {
        guard plan.crossing.count == 1, types[plan.crossing[0]]?.type.element == .f32 else { return nil }
        let x = plan.crossing[0]
        var broadcastOf: [ValueID: ValueID] = [:]
        var max: ValueID?, shifted: ValueID?, e: ValueID?, sum: ValueID?, p: ValueID?, cast: ValueID?
        let source = { (value: ValueID) in broadcastOf[value] ?? value }
        for op in plan.rowOps {
            guard let result = op.result?.id else { return nil }
            switch op.kind {
            case .reduce(.max, x, _) where max == nil: max = result
            case .broadcast(let value) where value == max || value == sum: broadcastOf[result] = value
            case .binary(.sub, x, let b) where max != nil && source(b) == max: shifted = result
            case .unary(.exp, let d) where shifted != nil && d == shifted: e = result
            case .reduce(.sum, let value, _) where e != nil && value == e: sum = result
            case .binary(.div, let a, let b) where e != nil && a == e && sum != nil && source(b) == sum: p = result
            case .cast(let value) where p != nil && value == p && cast == nil: cast = result
            default: return nil
            }
        }
        guard let max, shifted != nil, e != nil, sum != nil, let p, plan.p == (cast ?? p) else { return nil }
        (scores, self.max) = (x, max)
    }
}

extension MatmulRowChainTiler {
    /// The online-softmax (flash attention) form of a chain whose row ops are a softmax (`OnlineSoftmax`). Per block
    /// of tile_m query rows, for each tile_n window of keys (512: one PSUM bank of f32 scores) no mask covers:
    ///
    ///     S_w = A^T-block @ B_w into PSUM, the scores' epilogue into an f32 SBUF window, its row max m_w fused into
    ///       that epilogue's last op (`emitScores` on one window)
    ///     m = max(m_old, m_w) (the first window's m_w, clamped to -3e38 so a row wholly masked there stays finite)
    ///     P_w = exp(S_w - m) on act (bias -m, one instruction) with its f32 row sum l_w fused, written as P's dtype
    ///     O_w = P_w @ V_w: P_w's 128-key pieces transposed on the PE, summed in PSUM (`accumulateProduct`)
    ///     c = exp(m_old - m); l = l * c + l_w; acc = acc * c + O_w (dve, in place; the first window copies)
    ///   then O = acc / l, the second matmul's epilogue and stores.
    ///
    /// B and V stay resident when both fit half of SBUF; the blocks of a loop body (or the unrolled blocks when a mask
    /// skips windows) are then merged by `scheduled` as in the whole-row form. Else each window's B and V tiles are
    /// loaded once for all the blocks of a loop body, which go window by window together (`interleave` overlaps them
    /// and the next window's loads), so the key length is unbounded by SBUF and no score reaches HBM. P is divided by the row sum at the end rather than before the second matmul, so O's rounding differs from
    /// the reference's (Docs/numerics.md, "Online softmax").
    func emitOnline(_ plan: Plan, _ softmax: OnlineSoftmax, into top: TileEmitter) throws(TilingError) {
        top.span = plan.first.span
        // Each block holds its O accumulators, an S window and a P^T tile in PSUM at a time (`emit` checks one fits).
        let banksPerBlock = TileSplit(extent: plan.d, tile: sizes.n).pieces.count + 2
        var blocks = max(1, blocksPerBody)
        while blocks > 1, blocks * banksPerBlock > target.psumBanks { blocks /= 2 }
        let trial = TileEmitter(values: TilingValues(top.values.function), span: top.span)
        _ = emitResidents(plan, into: trial)
        let residentBytes = DoubleBufferRewriter.footprint(Block(trial.ops))[MemorySpace.sbuf] ?? 0
        let residentStart = top.ops.count
        let residents = residentBytes <= target.sbuf.bytesPerPartition / 2 ? emitResidents(plan, into: top) : nil
        let residentTypes = typesOf(Array(top.ops[residentStart...]))
        if skipsWindows(plan) {
            try emitOnlineBlocks(plan, softmax, residents: residents, residentTypes: residentTypes, into: top, hoist: top,
                                 mOffset: .constant(0), rows: plan.m, skipping: true, inFlight: blocks)
            return
        }
        try top.tiled(extent: plan.m, tile: sizes.m * blocks, name: "m") { (hoist, body, mOffset, rows) throws(TilingError) in
            try emitOnlineBlocks(plan, softmax, residents: residents, residentTypes: residentTypes, into: body, hoist: hoist,
                                 mOffset: mOffset, rows: rows, skipping: false, inFlight: blocks)
        }
    }

    /// `rows` rows from `mOffset` as blocks of tile_m. With resident keys and values (or one block) each block is
    /// streamed on its own and the blocks merged by `scheduled`; else the blocks go window by window together, each
    /// window's keys and values loaded once for all of them, and `interleave` overlaps the blocks.
    private func emitOnlineBlocks(_ plan: Plan, _ softmax: OnlineSoftmax, residents: (b: [ValueID], v: [ValueID])?,
                                  residentTypes: [ValueID: IRType], into body: TileEmitter, hoist: TileEmitter,
                                  mOffset: AffineExpr, rows: Int, skipping: Bool, inFlight: Int) throws(TilingError) {
        let shared = residents == nil && TileSplit(extent: rows, tile: sizes.m).pieces.count > 1
        var blocks: [OnlineBlock] = []
        for block in TileSplit(extent: rows, tile: sizes.m).pieces {
            let offset = mOffset.adding(block.offset)
            let emitter = shared ? body : body.child()
            blocks.append(OnlineBlock(emitter: emitter, mOffset: offset, rows: block.size,
                                      live: computedColumns(plan, mOffset: offset, rows: block.size, skipping: skipping),
                                      stationary: emitStationary(plan, into: emitter, mOffset: offset, rows: block.size)))
        }
        let windows = TileSplit(extent: plan.n, tile: sizes.n).pieces
        if shared {
            for window in windows where blocks.contains(where: { $0.live.contains(window.offset) }) {
                let columns = window.offset ..< window.offset + window.size
                let keys = loadKeys(plan, columns: columns, into: body), values = loadValues(plan, rows: columns, into: body)
                for index in blocks.indices where blocks[index].live.contains(window.offset) {
                    try emitOnlineWindow(plan, softmax, columns: columns, keys: keys, keyBase: window.offset, values: values,
                                         block: &blocks[index], hoist: hoist)
                }
            }
        } else {
            for index in blocks.indices {
                for window in windows where blocks[index].live.contains(window.offset) {
                    let columns = window.offset ..< window.offset + window.size
                    let pieces = TileSplit(extent: window.size, tile: sizes.m).pieces.count
                    let keys = residents?.b ?? loadKeys(plan, columns: columns, into: blocks[index].emitter)
                    let values = residents.map { Array($0.v[(window.offset / sizes.m)...].prefix(pieces)) }
                        ?? loadValues(plan, rows: columns, into: blocks[index].emitter)
                    try emitOnlineWindow(plan, softmax, columns: columns, keys: keys,
                                         keyBase: residents == nil ? window.offset : 0, values: values,
                                         block: &blocks[index], hoist: hoist)
                }
            }
        }
        for block in blocks { try finishOnline(plan, block, hoist: hoist) }
        if !shared { body.ops += scheduled(blocks.map(\.emitter.ops), types: residentTypes, inFlight: inFlight) }
    }

    /// One block of query rows being streamed: where its ops go, its A^T tiles and its running max, sum and output.
    private struct OnlineBlock {
        let emitter: TileEmitter
        let mOffset: AffineExpr, rows: Int, live: Range<Int>
        let stationary: [ValueID]
        var state: (max: ValueID, sum: ValueID, output: [ValueID])?
    }

    /// One window of keys (`columns`, B's tiles `keys` from `keyBase`, V's 128-row tiles `values`) for one block.
    private func emitOnlineWindow(_ plan: Plan, _ softmax: OnlineSoftmax, columns: Range<Int>, keys: [ValueID], keyBase: Int,
                                  values: [ValueID], block: inout OnlineBlock, hoist: TileEmitter) throws(TilingError) {
        let body = block.emitter, rows = block.rows
        let dPieces = TileSplit(extent: plan.d, tile: sizes.n).pieces
        func column(_ name: String) -> ValueID { body.alloc(.sbuf, .f32, partitions: rows, free: [1], name: name) }
        let scores = try emitScores(plan, stationary: block.stationary, keys: keys, keyBase: keyBase, into: body,
                                    hoist: hoist, mOffset: block.mOffset, rows: rows, live: columns)
        guard let s = scores.held[softmax.scores]?.id, case .column(let windowMax, _)? = scores.reduced[softmax.max] else {
            throw .unsupported(plan.second, "the online softmax lost its scores")
        }
        body.span = plan.second.span
        let newMax = column("m")
        if let state = block.state {
            body.emit(.dveTensorTensor(.max, state.max, windowMax, destination: newMax))
        } else {
            body.emit(.dveTensorScalar(.max, windowMax, .constant(-3.0e38), destination: newMax))
        }
        let negated = column("neg_m")
        body.emit(.dveTensorScalar(.mul, newMax, .constant(-1), destination: negated))
        let p = body.alloc(.sbuf, plan.productElement, partitions: rows, free: [columns.count], name: "p")
        let windowSum = column("l_w")
        body.emit(.actActivate(Activation(function: .exp, source: s, destination: p, scale: 1, bias: .value(negated),
                                          reduce: FreeAxisReduce(.add, into: windowSum))))
        let accumulators = dPieces.map { body.alloc(.psum, .f32, partitions: rows, free: [$0.size], name: "o_psum") }
        let pieces = zip(TileSplit(extent: columns.count, tile: sizes.m).pieces, values).map { (p: $0.0.offset, size: $0.0.size, v: $0.1) }
        accumulateProduct(plan, p: p, pieces: pieces, into: accumulators, body: body, rows: rows)
        guard let old = block.state else {
            let output = zip(dPieces, accumulators).map { piece, accumulator in
                let tile = body.alloc(.sbuf, .f32, partitions: rows, free: [piece.size], name: "acc")
                body.emit(.dveCopy(source: accumulator, destination: tile))
                return tile
            }
            block.state = (newMax, windowSum, output)
            return
        }
        let correction = column("corr")
        body.emit(.actActivate(Activation(function: .exp, source: old.max, destination: correction, scale: 1,
                                          bias: .value(negated))))
        body.emit(.dveTensorScalar(.mul, old.sum, .value(correction), destination: old.sum))
        body.emit(.dveTensorTensor(.add, old.sum, windowSum, destination: old.sum))
        for (output, accumulator) in zip(old.output, accumulators) {
            body.emit(.dveTensorScalar(.mul, output, .value(correction), destination: output))
            body.emit(.dveTensorTensor(.add, output, accumulator, destination: output))
        }
        block.state = (newMax, old.sum, old.output)
    }

    /// O = acc / l for a block after its last window, then the second matmul's epilogue and stores.
    private func finishOnline(_ plan: Plan, _ block: OnlineBlock, hoist: TileEmitter) throws(TilingError) {
        guard let state = block.state else { throw .unsupported(plan.second, "the online softmax has no live window") }
        block.emitter.span = plan.second.span
        for output in state.output {
            block.emitter.emit(.dveTensorScalar(.div, output, .value(state.sum), destination: output))
        }
        try emitProductEpilogue(plan, results: state.output.map { .tile($0, .f32, .sbuf) }, into: block.emitter,
                                hoist: hoist, mOffset: block.mOffset, rows: block.rows)
    }
}
