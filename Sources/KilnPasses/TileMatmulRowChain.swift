// TileMatmulRowChain.swift: tiles a matmul -> row ops -> matmul chain (attention) with every intermediate row in SBUF.

import KilnMachine
import KilnPluginAPI
import KilnSource
import KilnTileIR

/// Emits one on-chip chain (`MatmulRowChain`): `S = A @ B` with its epilogue, the row ops `P = f(S)` and
/// `O = P @ V` with its epilogue, for every block of `tile_m` rows, without writing S or P to HBM:
///
///     B resident: [K tile | N] per K tile (a `transpose` of a kernel input: its [128 | K tile] blocks loaded and
///       transposed on the PE, or by a transposing DMA on trn2); V resident: [128 | D] per 128 rows of V
///     for row block (tile_m rows, remainder peeled):
///       A^T tiles of the block (as `tile` transposes a matmul's A)
///       for each tile_n window of N: pe.matmul over the K tiles into PSUM; the epilogue (and the position ops of a
///         mask) on the window, its values written into their window of a [rows | N] SBUF row
///       the row ops on the whole [rows | N] row (reductions over N in one instruction each, results written over
///         their inputs where `planInPlace` allows)
///       for each 128 columns of P: pe.transpose into PSUM, copied to SBUF, pe.matmul with V's rows into one
///         PSUM accumulator per tile_n columns of D (start on the first, stop on the last); then the epilogue and
///         the stores
///
/// Every engine op is the one the unchained groups would run on the same tiles, in the same order per element (the
/// row ops see whole rows, as `RowGroupTiler` gives them when a row fits; P's columns are summed over N in order), so
/// results are bit for bit those of the unchained schedule; what changes is that S and P never leave SBUF.
/// `blocksPerBody` row blocks make one loop body, their ops merged by a list schedule (`scheduled`) so that the in-order
/// engine streams overlap one block's softmax with the other's. The chain needs the residents plus the peak of one
/// loop body in SBUF; when they do not fit, tiling throws `chainTooLarge` and `FunctionTiler` tiles the chain's groups
/// one by one (S and P through HBM scratch), unless the row ops are a softmax: then `emitOnline` streams the keys
/// (`tile{chain_online=auto}`; `on` streams every softmax chain, `off` none).
struct MatmulRowChainTiler {
    let chain: MatmulRowChain
    let target: MachineTarget
    let types: [ValueID: ValueDef]
    let sizes: TileSizes
    let scalars: [ValueID: TileOperand]
    let hbmSources: [ValueID: ValueID]
    let stores: [GroupStore]
    /// Row blocks per loop body (`tile{chain_blocks}`), fewer when SBUF or half the PSUM banks do not hold them.
    let blocksPerBody: Int
    /// When a softmax chain streams its keys by online softmax instead (`tile{chain_online}`).
    let online: ChainOnlineMode

    /// The chain's operands and sizes, read off its (rank-2 view) ops.
    struct Plan {
        var first: Operation, second: Operation
        var scoreOps: [Operation], rowOps: [Operation], productOps: [Operation]
        /// The first matmul's A, and B or the kernel input B is the transpose of.
        var a: ValueID, b: ValueID, bTransposed: Bool
        var v: ValueID
        /// The values of the scores part the row ops read (held as whole SBUF rows), and P (the second matmul's A).
        var crossing: [ValueID], p: ValueID
        /// Row ops taking the max or min of a held row: reduced window by window as the row is written.
        var windowReductions: [(result: ValueID, op: EngineReduceOp, source: ValueID)] = []
        /// Position masks whose covered windows are skipped (`ChainMask`); none when tile_n is not a multiple of
        /// tile_m (P's 128-key pieces must not straddle a skipped window).
        var masks: [ChainMask] = []
        var m: Int, k: Int, n: Int, d: Int
        var element: ElementType, productElement: ElementType
    }

    func emit(_ ops: [Operation], into top: TileEmitter) throws(TilingError) {
        let plan = try self.plan(ops)
        // The streamed form holds a block's O accumulators, an S window and a P^T tile in PSUM at once.
        let onlineBanks = TileSplit(extent: plan.d, tile: sizes.n).pieces.count + 2
        let softmax = online == .off || sizes.n % sizes.m != 0 || onlineBanks > target.psumBanks ? nil
            : OnlineSoftmax(plan, types: types)
        if online == .on, let softmax { return try emitOnline(plan, softmax, into: top) }
        // Trial: the residents and one loop body of row blocks, to see that the body's peak fits beside the residents
        // (`double-buffer` checks the same before it unrolls the loop); fewer blocks per body when it does not.
        // Each block holds one PSUM bank per tile_n columns of O through its product; half the banks at most, so the
        // S windows and transposes have the rest.
        let banksPerBlock = TileSplit(extent: plan.d, tile: sizes.n).pieces.count
        var blocks = max(1, blocksPerBody)
        while blocks > 1, blocks * banksPerBlock > max(1, target.psumBanks / 2) { blocks /= 2 }
        guard banksPerBlock < target.psumBanks else {
            throw TilingError(.at(plan.second) { DiagnosticCatalogue.tilingUnsupported(
                plan.second.opcode, "its \(banksPerBlock) PSUM accumulators leave no bank for the scores", at: $0) },
                unfitChain: chain.key)
        }
        while true {
            let trial = TileEmitter(values: TilingValues(top.values.function), span: top.span)
            let residents = emitResidents(plan, into: trial)
            let residentBytes = DoubleBufferRewriter.footprint(Block(trial.ops))[MemorySpace.sbuf] ?? 0
            let rowStart = trial.ops.count
            try emitBlocks(plan, residents: residents, residentTypes: typesOf(trial.ops), into: trial, hoist: trial,
                           mOffset: .constant(0), rows: min(plan.m, sizes.m * blocks), skipping: false)
            let rowBytes = DoubleBufferRewriter.peakFootprint(Block(Array(trial.ops[rowStart...])))[MemorySpace.sbuf] ?? 0
            let capacity = target.sbuf.bytesPerPartition
            if residentBytes + rowBytes <= capacity { break }
            guard blocks > 1 else {
                if let softmax { return try emitOnline(plan, softmax, into: top) }
                throw TilingError.chainTooLarge(plan.second, key: chain.key, bytes: residentBytes + rowBytes, capacity: capacity)
            }
            blocks /= 2
        }
        let blockRows = sizes.m * blocks
        top.span = plan.first.span
        let residentStart = top.ops.count
        let resident = emitResidents(plan, into: top)
        let residentTypes = typesOf(Array(top.ops[residentStart...]))
        // Masked windows differ from block to block: the blocks are then emitted one after another, each with its own
        // columns, instead of as a loop, and merged by `scheduled` with `blocks` of them in flight at a time.
        if skipsWindows(plan) {
            try emitBlocks(plan, residents: resident, residentTypes: residentTypes, into: top, hoist: top,
                           mOffset: .constant(0), rows: plan.m, skipping: true, inFlight: blocks)
            return
        }
        try top.tiled(extent: plan.m, tile: blockRows, name: "m") { (hoist, body, mOffset, rows) throws(TilingError) in
            try emitBlocks(plan, residents: resident, residentTypes: residentTypes, into: body, hoist: hoist,
                           mOffset: mOffset, rows: rows, skipping: false)
        }
    }

    /// At most this many row blocks are emitted one after another to skip masked windows. The straight-line code
    /// grows as blocks x windows, so its compile time grows with the square of the rows: at 64 blocks (S = 8192,
    /// 512-key windows) `kiln build` takes about 20 s in a release build, most of it in `interleave`. Longer
    /// chains keep their loop and compute every window.
    static let maxSkippingBlocks = 64

    /// True when a mask covers a window of some block of `tile_m` rows (and the blocks are few enough to unroll).
    func skipsWindows(_ plan: Plan) -> Bool {
        guard !plan.masks.isEmpty, TileSplit(extent: plan.m, tile: sizes.m).pieces.count <= Self.maxSkippingBlocks else {
            return false
        }
        let windows = TileSplit(extent: plan.n, tile: sizes.n).pieces
        return TileSplit(extent: plan.m, tile: sizes.m).pieces.contains { block in
            Self.liveColumns(rows: block.offset ..< block.offset + block.size, windows: windows, masks: plan.masks)
                != 0 ..< plan.n
        }
    }

    /// The columns of the scores the block of `rows` rows from `mOffset` computes: all unless skipping, when the
    /// masks' covered windows are left out (`liveColumns`).
    func computedColumns(_ plan: Plan, mOffset: AffineExpr, rows: Int, skipping: Bool) -> Range<Int> {
        guard skipping, mOffset.terms.isEmpty else { return 0 ..< plan.n }
        return Self.liveColumns(rows: mOffset.constant ..< mOffset.constant + rows,
                                windows: TileSplit(extent: plan.n, tile: sizes.n).pieces, masks: plan.masks)
    }

    func plan(_ ops: [Operation]) throws(TilingError) -> Plan {
        let part = { (set: Set<ValueID>) in ops.filter { op in op.result.map { set.contains($0.id) } ?? false } }
        let scoreOps = part(chain.scores), rowOps = part(chain.rows), productOps = part(chain.product)
        guard let first = scoreOps.first(where: { if case .matmul = $0.kind { true } else { false } }),
              case .matmul(let a, let b) = first.kind,
              let second = productOps.first(where: { if case .matmul = $0.kind { true } else { false } }),
              case .matmul(let p, let v) = second.kind else {
            throw .unsupported(ops[0], "the chain has lost a matmul")
        }
        var keys = b, bTransposed = false
        if chain.transposed.contains(b), let op = ops.first(where: { $0.result?.id == b }), case .transpose(let source) = op.kind {
            (keys, bTransposed) = (source, true)
        }
        let (aHBM, left) = try hbm(a, of: first)
        let (bHBM, right) = try hbm(keys, of: first)
        let (vHBM, values) = try hbm(v, of: second)
        guard left.rank == 2, right.rank == 2, values.rank == 2, let pType = types[p]?.type.tensorType, pType.rank == 2 else {
            throw .unsupported(second, "a chain's matmul operands must be matrices")
        }
        let (m, k) = (left.shape[0], left.shape[1])
        let n = bTransposed ? right.shape[0] : right.shape[1]
        guard (bTransposed ? right.shape[1] : right.shape[0]) == k, pType.shape == [m, n], values.shape[0] == n else {
            throw .unsupported(second, "the chain's shapes do not line up: [\(m), \(k)] @ \(right.shape), then \(pType.shape) @ \(values.shape)")
        }
        let rowReads = Set(rowOps.flatMap(\.kind.reads))
        let crossing = scoreOps.compactMap { $0.result?.id }.filter { rowReads.contains($0) }
        let windowReductions = rowOps.compactMap { op -> (result: ValueID, op: EngineReduceOp, source: ValueID)? in
            guard case .reduce(let kind, let source, let axis) = op.kind, crossing.contains(source), let result = op.result,
                  axis == (result.type.tensorType?.rank ?? 0) - 1, kind == .max || kind == .min else { return nil }
            return (result.id, kind == .max ? .max : .min, source)
        }
        var plan = Plan(first: first, second: second, scoreOps: scoreOps.filter { $0 != first }, rowOps: rowOps,
                    productOps: productOps.filter { $0 != second }, a: aHBM, b: bHBM, bTransposed: bTransposed, v: vHBM,
                    crossing: crossing, p: p, m: m, k: k, n: n, d: values.shape[1],
                    element: left.element, productElement: pType.element)
        plan.windowReductions = windowReductions
        if sizes.n % sizes.m == 0 {
            plan.masks = ChainMask.find(in: ops.filter { scoreOps.contains($0) || rowOps.contains($0) }, p: p,
                                        types: types, m: m, n: n)
        }
        return plan
    }

    private func hbm(_ value: ValueID, of op: Operation) throws(TilingError) -> (ValueID, TensorType) {
        guard let source = hbmSources[value], let tensor = types[source]?.type.hbmType else {
            throw TilingError(.at(op) { DiagnosticCatalogue.tilingValueCrossesLoopNests(
                types[value]?.nameHint.map { "%" + $0 } ?? "an operand of '\(op.opcode)'", at: $0) })
        }
        return (source, tensor)
    }

    /// B as [K tile | N] tiles (one per K tile) and V as [rows | D] tiles (one per 128 rows of V).
    func emitResidents(_ plan: Plan, into top: TileEmitter) -> (b: [ValueID], v: [ValueID]) {
        (loadKeys(plan, columns: 0 ..< plan.n, into: top), loadValues(plan, rows: 0 ..< plan.n, into: top))
    }

    /// B's `columns` as [K tile | columns] tiles, one per K tile: B^T's [128 | K tile] blocks loaded and transposed on
    /// the PE (or by a transposing DMA on trn2) when B is a `transpose` of a kernel input.
    func loadKeys(_ plan: Plan, columns: Range<Int>, into top: TileEmitter) -> [ValueID] {
        let kPieces = TileSplit(extent: plan.k, tile: sizes.k).pieces
        let keyPieces = TileSplit(extent: columns.count, tile: sizes.m).pieces
        let b = kPieces.map { top.alloc(.sbuf, plan.element, partitions: $0.size, free: [columns.count], name: "bT") }
        for (kIndex, kPiece) in kPieces.enumerated() {
            guard plan.bTransposed else {
                top.load(plan.b, at: [.constant(kPiece.offset), .constant(columns.lowerBound)], into: b[kIndex])
                continue
            }
            for key in keyPieces {
                let window = top.view(b[kIndex], offset: key.offset,
                                      as: TileType(.sbuf, plan.element, partitions: kPiece.size, free: [key.size]), name: "bT_w")
                let at: [AffineExpr] = [.constant(columns.lowerBound + key.offset), .constant(kPiece.offset)]
                if target.dma.canTransposeInFlight {
                    top.load(plan.b, at: at, into: window, transpose: true)
                    continue
                }
                let rows = top.alloc(.sbuf, plan.element, partitions: key.size, free: [kPiece.size], name: "b")
                top.load(plan.b, at: at, into: rows)
                let transposed = top.alloc(.psum, plan.element, partitions: kPiece.size, free: [key.size], name: "bT_psum")
                top.emit(.peTranspose(source: rows, destination: transposed))
                top.emit(.dveCopy(source: transposed, destination: window))
            }
        }
        return b
    }

    /// V's `rows` as [128 | D] tiles, one per 128 rows.
    func loadValues(_ plan: Plan, rows: Range<Int>, into top: TileEmitter) -> [ValueID] {
        TileSplit(extent: rows.count, tile: sizes.m).pieces.map { key in
            let tile = top.alloc(.sbuf, plan.productElement, partitions: key.size, free: [plan.d], name: "v")
            top.load(plan.v, at: [.constant(rows.lowerBound + key.offset), .constant(0)], into: tile)
            return tile
        }
    }

    /// Row blocks per loop body by default (`tile{chain_blocks}`), their ops merged by `scheduled`: on attention at
    /// S = 4096 on trn1 (before the fused max and the banked transposes), 1 block took 0.90 ms, 2 took 0.74 ms, 4 took
    /// 0.66 ms.
    static let defaultBlocks = 4

    /// `rows` rows from `mOffset` as blocks of `tile_m`: each block's scores, rows and product, the blocks merged by
    /// `scheduled` with `inFlight` of them (all by default) in flight at a time.
    private func emitBlocks(_ plan: Plan, residents: (b: [ValueID], v: [ValueID]), residentTypes: [ValueID: IRType],
                            into body: TileEmitter, hoist: TileEmitter, mOffset: AffineExpr, rows: Int, skipping: Bool,
                            inFlight: Int? = nil) throws(TilingError) {
        let blocks = TileSplit(extent: rows, tile: sizes.m).pieces
        let live = blocks.map { computedColumns(plan, mOffset: mOffset.adding($0.offset), rows: $0.size, skipping: skipping) }
        var scores: [(emitter: TileEmitter, stage: ScoresStage)] = []
        for (index, block) in blocks.enumerated() {
            let stage = body.child()
            let stationary = emitStationary(plan, into: stage, mOffset: mOffset.adding(block.offset), rows: block.size)
            scores.append((stage, try emitScores(plan, stationary: stationary, keys: residents.b, into: stage, hoist: hoist,
                                                 mOffset: mOffset.adding(block.offset), rows: block.size, live: live[index])))
        }
        var products: [(emitter: TileEmitter, p: ValueID)] = []
        for (index, block) in blocks.enumerated() {
            let stage = body.child()
            let window = TileWindow(partitions: block.size, width: live[index].count, rowOffset: mOffset.adding(block.offset),
                                    columnOffset: .constant(live[index].lowerBound), rows: plan.m, columns: plan.n)
            var lowering = ElementwiseLowering(body: stage, hoist: hoist, window: window, types: types,
                                               hbmSources: hbmSources, operands: scalars)
            for (value, tile) in scores[index].stage.held {
                lowering.operands[value] = .tile(tile.id, tile.type.element, .sbuf)
                lowering.adopted[tile.id] = tile.type
            }
            lowering.precomputed = scores[index].stage.reduced
            lowering.planInPlace(plan.rowOps, keeping: [plan.p])
            for op in plan.rowOps {
                stage.span = op.span
                try lowering.lower(op)
            }
            stage.span = plan.second.span
            products.append((stage, lowering.sbufTile(try lowering.operand(plan.p, for: plan.second),
                                                      element: plan.productElement, name: types[plan.p]?.nameHint)))
        }
        var outputs: [TileEmitter] = []
        for (index, block) in blocks.enumerated() {
            let stage = body.child()
            try emitProduct(plan, p: products[index].p, v: residents.v, into: stage, hoist: hoist,
                            mOffset: mOffset.adding(block.offset), rows: block.size, live: live[index])
            outputs.append(stage)
        }
        body.ops += scheduled(blocks.indices.map { scores[$0].emitter.ops + products[$0].emitter.ops + outputs[$0].ops },
                              types: residentTypes, inFlight: inFlight ?? blocks.count)
    }

    /// The op lists of independent blocks merged into one, each list's own order kept, by a greedy list schedule
    /// on the ops' declared costs: next comes the list whose next engine or DMA op could start earliest (its engine
    /// free, the tiles it reads and writes done by the ops of its list before it), with the allocs and views before
    /// it. Blocks then skew instead of running in lockstep: while one block's softmax waits on act, another block's
    /// work is next in dve's stream, and the tensor engine multiplies a third. At most `inFlight` lists are begun and
    /// not finished at any time (the next list in order begins when one finishes), so at most that many blocks' tiles
    /// are live: a sliding window over the blocks rather than groups in lockstep.
    func scheduled(_ lists: [[Operation]], types known: [ValueID: IRType], inFlight: Int) -> [Operation] {
        var types = known
        for list in lists { for op in list { if let result = op.result { types[result.id] = result.type } } }
        var root: [ValueID: ValueID] = [:]
        for list in lists { for op in list { if case .view(let base, _) = op.kind, let id = op.result?.id { root[id] = root[base] ?? base } } }
        // One DMA stream: the blocks' loads are few (the keys and values are resident), so where they go matters little.
        var timeline = StreamTimeline(target: target, types: types, dmaQueues: 1)
        var readyAt: [ValueID: Double] = [:]
        var positions = lists.map { _ in 0 }
        var merged: [Operation] = []
        func nextEngineOp(_ list: Int) -> Int? {
            lists[list][positions[list]...].firstIndex { $0.kind.engine != nil }
        }
        func start(_ op: Operation) -> Double {
            let ready = (op.kind.reads + op.kind.writes).reduce(0.0) { max($0, readyAt[root[$1] ?? $1] ?? 0) }
            return timeline.start(op, ready: ready)
        }
        var begun = 0
        while true {
            let active = lists.indices[..<begun].filter { positions[$0] < lists[$0].count }
            let candidates = active.count < inFlight && begun < lists.count ? active + [begun] : active
            var best: (list: Int, start: Double)?
            for list in candidates where positions[list] < lists[list].count {
                let start = nextEngineOp(list).map { start(lists[list][$0]) } ?? 0
                if best == nil || start < best!.start { best = (list, start) }
            }
            guard let (list, _) = best else {
                guard begun < lists.count else { break }
                begun += 1  // an empty list
                continue
            }
            if list == begun { begun += 1 }
            let end = nextEngineOp(list) ?? lists[list].count - 1
            for op in lists[list][positions[list]...end] {
                merged.append(op)
                guard op.kind.engine != nil else { continue }
                let finish = timeline.commit(op, at: start(op))
                for value in op.kind.writes { readyAt[root[value] ?? value] = finish }
            }
            positions[list] = end + 1
        }
        return merged
    }

    /// What a block's scores stage leaves: the SBUF rows, by the value each holds, and the row maxima (minima) made as
    /// the rows were written.
    struct ScoresStage {
        var held: [ValueID: (id: ValueID, type: TileType)] = [:]
        var reduced: [ValueID: TileOperand] = [:]
    }

    /// A^T tiles of a block of `rows` rows from `mOffset`, [K tile | rows] (as `tile` transposes a matmul's A).
    func emitStationary(_ plan: Plan, into body: TileEmitter, mOffset: AffineExpr, rows: Int) -> [ValueID] {
        TileSplit(extent: plan.k, tile: sizes.k).pieces.map { piece -> ValueID in
            let aT = body.alloc(.sbuf, plan.element, partitions: piece.size, free: [rows], name: "aT")
            if target.dma.canTransposeInFlight {
                body.load(plan.a, at: [mOffset, .constant(piece.offset)], into: aT, transpose: true)
            } else {
                let loaded = body.alloc(.sbuf, plan.element, partitions: rows, free: [piece.size], name: "a")
                body.load(plan.a, at: [mOffset, .constant(piece.offset)], into: loaded)
                let transposed = body.alloc(.psum, plan.element, partitions: piece.size, free: [rows], name: "aT_psum")
                body.emit(.peTranspose(source: loaded, destination: transposed))
                body.emit(.dveCopy(source: transposed, destination: aT))
            }
            return aT
        }
    }

    /// One block's S, window by window into SBUF rows holding the `live` columns. A max or min of a held row is reduced
    /// per window by the op writing the window (act.activate's or dve.tensor_scalar's fused reduce, when the row is f32: they reduce the
    /// f32 results; else a dve.reduce of the window) into a column of a [rows | windows] tile, then one dve.reduce of
    /// that tile: the first of equal values and any NaN win, as one reduction of the row gives.
    /// `keys` are B's [K tile | columns] tiles (one per K tile) holding the scores' columns from `keyBase`.
    func emitScores(_ plan: Plan, stationary: [ValueID], keys: [ValueID], keyBase: Int = 0, into body: TileEmitter,
                    hoist: TileEmitter, mOffset: AffineExpr, rows: Int, live: Range<Int>) throws(TilingError) -> ScoresStage {
        let kPieces = TileSplit(extent: plan.k, tile: sizes.k).pieces
        var stage = ScoresStage()
        for value in plan.crossing {
            let type = TileType(.sbuf, types[value]?.type.element ?? .f32, partitions: rows, free: [live.count])
            stage.held[value] = (body.alloc(type.space, type.element, partitions: rows, free: [live.count],
                                            name: types[value]?.nameHint ?? "s"), type)
        }
        let windows = TileSplit(extent: plan.n, tile: sizes.n).pieces.filter { live.contains($0.offset) }
        // One window (the online form's, or a short row): its reduction is the row's, written straight into the result.
        let direct = windows.count == 1
            && plan.windowReductions.allSatisfy { (types[$0.result]?.type.element ?? .f32) == .f32 }
        let partials = plan.windowReductions.map { reduction in
            body.alloc(.sbuf, .f32, partitions: rows, free: [windows.count],
                       name: direct ? types[reduction.result]?.nameHint : "partial")
        }
        for (windowIndex, column) in windows.enumerated() {
            body.span = plan.first.span
            let accumulator = body.alloc(.psum, .f32, partitions: rows, free: [column.size], name: "s_psum")
            for (index, piece) in kPieces.enumerated() {
                let moving = body.view(keys[index], offset: column.offset - keyBase,
                                       as: TileType(.sbuf, plan.element, partitions: piece.size, free: [column.size]), name: "bT_w")
                body.emit(.peMatmul(PEMatmul(stationary: stationary[index], moving: moving, accumulator: accumulator,
                                             start: index == 0 ? .always : .never,
                                             stop: index == kPieces.count - 1 ? .always : .never)))
            }
            let window = TileWindow(partitions: rows, width: column.size, rowOffset: mOffset,
                                    columnOffset: .constant(column.offset), rows: plan.m, columns: plan.n)
            var operands = scalars
            if let result = plan.first.result?.id { operands[result] = .tile(accumulator, .f32, .psum) }
            var lowering = ElementwiseLowering(body: body, hoist: hoist, window: window, types: types,
                                               hbmSources: hbmSources, operands: operands)
            var targets: [(value: ValueID, tile: ValueID, element: ElementType)] = []
            for value in plan.crossing {
                guard let row = stage.held[value] else { continue }
                let tile = body.view(row.id, offset: column.offset - live.lowerBound,
                                     as: TileType(.sbuf, row.type.element, partitions: rows, free: [column.size]), name: "s_w")
                targets.append((value, tile, row.type.element))
                lowering.destinations[value] = tile
            }
            lowering.planInPlace(plan.scoreOps, keeping: plan.crossing)
            for op in plan.scoreOps {
                body.span = op.span
                try lowering.lower(op)
            }
            for target in targets {
                try lowering.write(target.value, into: target.tile, element: target.element, for: plan.first)
            }
            for (reduction, partial) in zip(plan.windowReductions, partials) {
                guard let target = targets.first(where: { $0.value == reduction.source }) else { continue }
                let column = body.view(partial, offset: windowIndex,
                                       as: TileType(.sbuf, .f32, partitions: rows, free: [1]), name: "partial_w")
                Self.reduce(target.tile, element: target.element, reduction.op, into: column, in: body)
            }
        }
        for (reduction, partial) in zip(plan.windowReductions, partials) {
            if direct {
                stage.reduced[reduction.result] = .column(partial, .f32)
                continue
            }
            let element = types[reduction.result]?.type.element ?? .f32
            let result = body.alloc(.sbuf, element, partitions: rows, free: [1], name: types[reduction.result]?.nameHint)
            body.emit(.dveReduce(reduction.op, partial, destination: result))
            stage.reduced[reduction.result] = .column(result, element)
        }
        return stage
    }

    /// `op` of each partition of `tile` into `column`: folded into the op that last wrote `tile` when it is an
    /// act.activate or dve.tensor_scalar without a reduce and `tile` is f32, else a dve.reduce.
    static func reduce(_ tile: ValueID, element: ElementType, _ op: EngineReduceOp, into column: ValueID, in body: TileEmitter) {
        if element == .f32, let index = body.ops.lastIndex(where: { $0.kind.writes.contains(tile) }),
           case .engine(var instruction) = body.ops[index].kind,
           [.actActivate, .dveTensorScalar].contains(instruction.op),
           let field = instruction.op.fields.firstIndex(where: { $0.name == "reduce" }),
           instruction.operands.indices.contains(field), instruction.operands[field] == .reduceInto(nil),
           !body.ops[(index + 1)...].contains(where: { $0.kind.reads.contains(tile) || $0.kind.writes.contains(tile) }) {
            instruction.operands[field] = .reduceInto(FreeAxisReduce(op, into: column))
            // The column's view was made after the op: move the op after it.
            let writer = body.ops.remove(at: index)
            body.ops.append(Operation(.engine(instruction), span: writer.span))
            return
        }
        body.emit(.dveReduce(op, tile, destination: column))
    }

    /// O = P @ V for one row block (`accumulateProduct` over the live columns' 128-key pieces); then the epilogue
    /// and the stores.
    private func emitProduct(_ plan: Plan, p: ValueID, v: [ValueID], into body: TileEmitter, hoist: TileEmitter,
                             mOffset: AffineExpr, rows: Int, live: Range<Int>) throws(TilingError) {
        // The 128-key pieces of the live columns, with V's resident tile each multiplies.
        let keyPieces = TileSplit(extent: plan.n, tile: sizes.m).pieces.enumerated()
            .filter { live.contains($0.element.offset) }
            .map { (p: $0.element.offset - live.lowerBound, size: $0.element.size, v: v[$0.offset]) }
        let columns = TileSplit(extent: plan.d, tile: sizes.n).pieces
        let accumulators = columns.map { body.alloc(.psum, .f32, partitions: rows, free: [$0.size], name: "o_psum") }
        accumulateProduct(plan, p: p, pieces: keyPieces, into: accumulators, body: body, rows: rows)
        try emitProductEpilogue(plan, results: accumulators.map { .tile($0, .f32, .psum) }, into: body, hoist: hoist,
                                mOffset: mOffset, rows: rows)
    }

    /// P's 128-column pieces (`p`: offset in P, size, the [size | D] tile of V it multiplies) transposed on the PE, as
    /// many as one PSUM bank holds into one PSUM tile copied to SBUF by one instruction, then summed in order into one
    /// PSUM accumulator per tile_n columns of D (start on the first piece, stop on the last).
    func accumulateProduct(_ plan: Plan, p: ValueID, pieces keyPieces: [(p: Int, size: Int, v: ValueID)],
                           into accumulators: [ValueID], body: TileEmitter, rows: Int) {
        let columns = TileSplit(extent: plan.d, tile: sizes.n).pieces
        let perBank = max(1, target.psumBankBytes / max(1, rows * plan.productElement.byteSize))
        // Groups of up to `perBank` pieces of one size (the remainder piece, on fewer partitions, is a group of its own).
        var starts: [Int] = []
        for index in keyPieces.indices where starts.isEmpty || index - starts.last! == perBank
            || keyPieces[index].size != keyPieces[index - 1].size { starts.append(index) }
        for (number, start) in starts.enumerated() {
            let group = Array(keyPieces[start..<(number + 1 < starts.count ? starts[number + 1] : keyPieces.count)])
            let partitions = group[0].size
            let transposed = body.alloc(.psum, plan.productElement, partitions: partitions, free: [group.count * rows],
                                        name: "pT_psum")
            for (slot, key) in group.enumerated() {
                let window = body.view(p, offset: key.p,
                                       as: TileType(.sbuf, plan.productElement, partitions: rows, free: [key.size]), name: "p_w")
                let target = body.view(transposed, offset: slot * rows,
                                       as: TileType(.psum, plan.productElement, partitions: key.size, free: [rows]), name: "pT_psum_w")
                body.emit(.peTranspose(source: window, destination: target))
            }
            let pT = body.alloc(.sbuf, plan.productElement, partitions: partitions, free: [group.count * rows], name: "pT")
            body.emit(.dveCopy(source: transposed, destination: pT))
            for (slot, key) in group.enumerated() {
                let index = start + slot
                let stationary = body.view(pT, offset: slot * rows,
                                           as: TileType(.sbuf, plan.productElement, partitions: key.size, free: [rows]), name: "pT_w")
                for (column, accumulator) in zip(columns, accumulators) {
                    let moving = columns.count == 1 ? key.v
                        : body.view(key.v, offset: column.offset,
                                    as: TileType(.sbuf, plan.productElement, partitions: key.size, free: [column.size]),
                                    name: "v_w")
                    body.emit(.peMatmul(PEMatmul(stationary: stationary, moving: moving, accumulator: accumulator,
                                                 start: index == 0 ? .always : .never,
                                                 stop: index == keyPieces.count - 1 ? .always : .never)))
                }
            }
        }
    }

    /// The second matmul's epilogue and stores on O's tiles of a row block, one per tile_n columns of D.
    func emitProductEpilogue(_ plan: Plan, results: [TileOperand], into body: TileEmitter, hoist: TileEmitter,
                             mOffset: AffineExpr, rows: Int) throws(TilingError) {
        let tiler = MatmulTiler(matmul: plan.second, epilogue: plan.productOps,
                                blocking: MatmulBlocking(sizes: sizes, subtiles: 1, slabBytes: 0), target: target, types: types,
                                hbmSources: hbmSources, scalars: scalars, stores: stores)
        for (column, result) in zip(TileSplit(extent: plan.d, tile: sizes.n).pieces, results) {
            let window = TileWindow(partitions: rows, width: column.size, rowOffset: mOffset,
                                    columnOffset: .constant(column.offset), rows: plan.m, columns: plan.d)
            try tiler.emitEpilogue(result: result, window: window, body: body, hoist: hoist)
        }
    }

    /// The types of the values the ops define, with the function's (parameters: the DMA costs read them).
    func typesOf(_ ops: [Operation]) -> [ValueID: IRType] {
        var table = types.mapValues(\.type)
        for op in ops { if let result = op.result { table[result.id] = result.type } }
        return table
    }
}

extension ElementwiseLowering {
    /// Writes a value of this window into `destination` (an SBUF tile of the window's shape and `element`): an
    /// affine operand is computed straight into it, anything else copied (PSUM evacuated, converted).
    mutating func write(_ value: ValueID, into destination: ValueID, element: ElementType, for op: Operation) throws(TilingError) {
        let operand = try self.operand(value, for: op)
        if case .tile(destination, _, _) = operand { return }
        if case .affine(let source, let scale, let bias, let affineElement) = operand, affineElement == element {
            activation(.identity, source: source, into: destination, scale: scale, bias: bias)
            return
        }
        if case .column = operand {
            throw .unsupported(op, "a per-row value cannot be held as a whole row of the chain")
        }
        let tile = fullTile(operand, element: element, name: hint(value))
        body.emit(.dveCopy(source: tile, destination: destination))
    }
}
