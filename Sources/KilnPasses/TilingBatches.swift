// TilingBatches.swift: the `tile` pass on rank-3/4 groups: loops over the batch dims around the group's 2-D nest.

import KilnTileIR

/// Tiling a group whose values have rank 3 or 4.
///
/// Algorithm. The group's *batch shape* is the NumPy broadcast of the dims before the last two of every value
/// it computes, reads or stores (`[B, H]` for `[B, H, S, D]` values). Every such value is given its *matrix
/// view*, the type of its last two dims (`[S, D]`), and the group's ops are rewritten to the views (a
/// reduction's axis counts from the end, so it keeps its meaning). The 2-D tilers (rows, matmul, transpose,
/// column reductions) then emit the nest of one batch index, unchanged. Around it goes one `for` loop per
/// batch dim of size above 1 (outermost first), and every DMA transfer of a rank-N HBM tensor gets its
/// leading offsets: the loop variable of the batch dim it is aligned with (on the right, as broadcasting
/// aligns), or 0 where the tensor's own dim is 1 (a `[1, S, D]` or `[S, D]` operand is read whole in every
/// batch iteration, as NumPy broadcasts it).
/// Loads that do not depend on the batch (a shared weight's slabs in `[B, S, D] @ [D, N]`) are hoisted
/// before the loops (`hoistingBatchInvariantLoads`), so the stationary operand stays resident across them.
extension FunctionTiler {
    /// The broadcast batch shape of a group: empty when every value has rank 2 or less.
    func batchShape(_ ops: [Operation], stores: [GroupStore], hbmSources: [ValueID: ValueID]) -> [Int] {
        var values = Set<ValueID>()
        for op in ops {
            values.formUnion(op.kind.reads)
            if let result = op.result?.id { values.insert(result) }
        }
        var shapes = values.compactMap { tensorShape(of: $0) }
        shapes += values.compactMap { hbmSources[$0].flatMap(tensorShape(of:)) }
        shapes += stores.compactMap { tensorShape(of: $0.output.id) }
        var batch: [Int] = []
        for shape in shapes where shape.count > 2 {
            batch = TensorShapes.broadcast(batch, TensorShapes.batch(shape)) ?? batch
        }
        return batch
    }

    /// The shape of a tensor or hbm value.
    func tensorShape(of value: ValueID) -> [Int]? {
        guard let type = types[value]?.type else { return nil }
        return (type.tensorType ?? type.hbmType)?.shape
    }

    /// Tiles a group with batch dims: the 2-D nest of `tileMatrices` on matrix views, in loops over `batch`.
    mutating func tileBatched(_ ops: [Operation], batch: [Int], into top: TileEmitter, sizes: TileSizes,
                              scalars: [ValueID: TileOperand], hbmSources: [ValueID: ValueID],
                              stores: [GroupStore]) throws(TilingError) {
        let fullTypes = types
        defer { types = fullTypes }
        for (id, definition) in fullTypes {
            if let view = Self.matrixView(definition) { types[id] = view }
        }
        let viewOps = ops.map { op in
            var view = op
            view.result = op.result.map { Self.matrixView($0) ?? $0 }
            if case .reduce(let kind, let source, let axis) = op.kind, let rank = fullTypes[source].flatMap({ Self.shape(of: $0) })?.count,
               rank > 2 {
                view.kind = .reduce(kind, source, axis: axis - (rank - 2))
            }
            if case .scan(let a, let b, let axis) = op.kind, let rank = op.result.flatMap({ Self.shape(of: $0) })?.count, rank > 2 {
                view.kind = .scan(a, b, axis: axis - (rank - 2))
            }
            if case .iota(let axis) = op.kind, let rank = op.result.flatMap({ Self.shape(of: $0) })?.count, rank > 2 {
                view.kind = .iota(axis: axis - (rank - 2))   // the checker keeps iota off the batch axes
            }
            return view
        }
        let viewOf = Dictionary(zip(ops, viewOps), uniquingKeysWith: { first, _ in first })
        let viewStores = stores.map { store in
            (value: store.value, output: Self.matrixView(store.output) ?? store.output, op: viewOf[store.op] ?? store.op)
        }
        let nest = top.child()
        try tileMatrices(viewOps, into: nest, sizes: sizes, scalars: scalars, hbmSources: hbmSources, stores: viewStores)
        // One loop per batch dim above 1; `index[axis]` is its variable's offset (0 for a dim of 1).
        var variables: [ValueDef?] = []
        for (axis, extent) in batch.enumerated() {
            variables.append(extent > 1 ? top.values.make(.index, name: batch.count == 1 ? "batch" : "batch\(axis)") : nil)
        }
        let leading = { (hbm: ValueID) -> [AffineExpr] in
            guard let shape = fullTypes[hbm].flatMap({ Self.shape(of: $0) }), shape.count > 2 else { return [] }
            let own = TensorShapes.batch(shape)
            let lead = batch.count - own.count
            return own.indices.map { dim in
                guard own[dim] != 1, lead + dim >= 0, let variable = variables[lead + dim] else { return .constant(0) }
                return AffineExpr(terms: [.init(variable.id, 1)])
            }
        }
        let (invariant, rest) = Self.hoistingBatchInvariantLoads(Self.prefixingOffsets(Block(nest.ops), leading).ops,
                                                                 variables: Set(variables.compactMap { $0?.id }))
        top.ops += invariant
        var body = Block(rest)
        for (axis, variable) in zip(batch.indices, variables).reversed() {
            guard let variable else { continue }
            body = Block([Operation(.forLoop(ForLoop(inductionVariable: variable, lowerBound: 0, upperBound: batch[axis],
                                                     body: body)), span: ops.first?.span ?? top.span)])
        }
        top.ops += body.ops
    }

    /// Splits the top level of a batch nest into the loads that read the same HBM slice in every batch
    /// iteration, with their `alloc`s, and the rest. A load qualifies when it is at the top level, its offsets
    /// mention no batch variable, its tile is `alloc`ed at the top level and nothing else in the nest writes
    /// that tile (so every iteration would load the same values into it).
    static func hoistingBatchInvariantLoads(_ ops: [Operation], variables: Set<ValueID>) -> (hoisted: [Operation], rest: [Operation]) {
        var writers: [ValueID: Int] = [:]
        Block(ops).walk { op in for value in op.kind.writes { writers[value, default: 0] += 1 } }
        let topAllocs = Set(ops.compactMap { op -> ValueID? in
            if case .alloc = op.kind { return op.result?.id }
            return nil
        })
        var hoistedTiles = Set<ValueID>()
        for op in ops {
            guard let load = op.kind.asLoad, topAllocs.contains(load.tile), writers[load.tile] == 1,
                  load.offsets.allSatisfy({ $0.terms.allSatisfy { !variables.contains($0.variable) } }) else { continue }
            hoistedTiles.insert(load.tile)
        }
        var hoisted: [Operation] = [], rest: [Operation] = []
        for op in ops {
            let tile = op.kind.asLoad?.tile ?? { if case .alloc = op.kind { return op.result?.id } else { return nil } }()
            if let tile, hoistedTiles.contains(tile) { hoisted.append(op) } else { rest.append(op) }
        }
        return (hoisted, rest)
    }

    /// The value with the type of its last two dims, when it is a tensor or hbm value of rank 3 or more.
    static func matrixView(_ definition: ValueDef) -> ValueDef? {
        var view = definition
        switch definition.type {
        case .tensor(let tensor) where tensor.rank > 2:
            view.type = .tensor(TensorType(tensor.element, Array(tensor.shape.suffix(2))))
        case .hbm(let tensor) where tensor.rank > 2:
            view.type = .hbm(TensorType(tensor.element, Array(tensor.shape.suffix(2))))
        default: return nil
        }
        return view
    }

    static func shape(of definition: ValueDef) -> [Int]? {
        (definition.type.tensorType ?? definition.type.hbmType)?.shape
    }

    /// Every DMA transfer in `block` (loops included) with the leading offsets of its HBM tensor prepended.
    static func prefixingOffsets(_ block: Block, _ leading: (ValueID) -> [AffineExpr]) -> Block {
        Block(block.ops.map { op in
            var op = op
            switch op.kind {
            case .forLoop(var loop):
                loop.body = prefixingOffsets(loop.body, leading)
                op.kind = .forLoop(loop)
            default:
                if var transfer = op.kind.asLoad {
                    transfer.offsets = leading(transfer.hbm) + transfer.offsets
                    op.kind = .dmaLoad(transfer)
                } else if var transfer = op.kind.asStore {
                    transfer.offsets = leading(transfer.hbm) + transfer.offsets
                    op.kind = .dmaStore(transfer)
                }
            }
            return op
        })
    }
}
