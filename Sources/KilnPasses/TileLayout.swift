// TileLayout.swift: tiles `permute` and `reshape`: HBM tensors copied through SBUF by strided access patterns.

import KilnMachine
import KilnPluginAPI
import KilnTileIR

/// Emits `out = permute(x, perm)` (perm keeps the last axis) for x in HBM, as pure addressing: no transpose on an
/// engine, no scratch tensor.
///
/// Algorithm: the result is covered like a batch of matrices (`TileEmitter.blocks`): a loop per result axis before
/// the last two, the rows of result axis r-2 in tiles of `rows` partitions, the last axis in chunks of at most
/// `RegionCopyTiler.chunkBytes` per partition. Each `[p | c]` block is one strided load: its partitions run along
/// x's axis a = perm[r-2] and its columns along x's last axis; every other x axis is indexed by the loop of the
/// result axis it moves to. When a < r-2 the x axes between a and the last have extent 1 in the slice, so the load
/// fills a `[p | 1, ..., 1, c]` tile (`DMASlice`: the tile covers x's trailing dims) and `dve.copy` regroups it as
/// `[p | c]` (the same elements per partition) for the store. `[B, S, H, D] -> [B, H, S, D]` (perm (0, 2, 1, 3)) is a
/// loop over B and H around S in tiles of 128 rows: each load reads 128 rows of D elements at a stride of H * D.
struct PermuteTiler {
    let rows: Int

    func emit(into top: TileEmitter, source: ValueID, perm: [Int], outputs: [ValueID], shape: [Int], element: ElementType) {
        let rank = shape.count
        let chunk = max(1, RegionCopyTiler.chunkBytes / max(1, element.byteSize))
        guard rank >= 2 else {
            RegionCopyTiler(rows: rows).emit(into: top, source: source, sourceOffsets: [0],
                                             destinations: outputs.map { ($0, [0]) }, shape: shape, element: element)
            return
        }
        let axis = perm[rank - 2]
        let ones = rank - 2 - axis
        top.blocks(batch: Array(shape.prefix(rank - 2)), rows: shape[rank - 2], rowTile: rows, columns: shape[rank - 1],
                   columnTile: chunk) { body, prefix, rowOffset, partitions, columnOffset, columns in
            var offsets = Array(repeating: AffineExpr.constant(0), count: rank)
            for (position, from) in perm.prefix(rank - 2).enumerated() { offsets[from] = prefix[position] }
            offsets[axis] = rowOffset
            offsets[rank - 1] = columnOffset
            let loaded = body.alloc(.sbuf, element, partitions: partitions, free: Array(repeating: 1, count: ones) + [columns],
                                    name: "rows")
            body.load(source, at: offsets, into: loaded)
            var tile = loaded
            if ones > 0 {
                tile = body.alloc(.sbuf, element, partitions: partitions, free: [columns], name: "permuted")
                body.emit(.dveCopy(source: loaded, destination: tile))
            }
            for output in outputs { body.store(tile, to: output, at: prefix + [rowOffset, columnOffset]) }
        }
    }
}

/// Emits `out = reshape(x)` for x in HBM: the same row-major elements, copied through SBUF.
///
/// Algorithm: the flat index space of N elements is split into *refined dims* at every suffix product of either
/// shape (the strides of x's dims and of the result's, sorted; each divides the next because a reshape merges and
/// splits adjacent dims, as the checker requires). Every dim of either shape is then a run of refined dims, so its
/// index is affine in theirs (the sum of each refined index times its stride within the dim). The last refined dim
/// (stride 1, extent E) is the columns, in chunks of at most `RegionCopyTiler.chunkBytes` per partition; the one
/// before it is the partitions, in tiles of `rows`, when on both sides the dim holding the columns has exactly E
/// elements (the partition stride is then E on both sides); otherwise every piece is one partition. The other
/// refined dims are loops. A piece is loaded as a tile of x's dims after its partition axis (the last dim before the
/// column dim with more than one element; size-1 dims kept, the column dim chunked), regrouped by `dve.copy` when the result's tile lists other dims (same elements per
/// partition), and stored at the result's offsets. A side whose column dim is its first dim but not its only one
/// (trailing 1s) moves one element per piece.
struct ReshapeTiler {
    let rows: Int

    /// One side of the copy (x or the result): its shape and each dim's flat stride.
    private struct Side {
        let shape: [Int]
        let strides: [Int]
        /// The last dim with more than one element (the columns run along it).
        let columnAxis: Int?
        init(_ shape: [Int]) {
            self.shape = shape
            var strides = Array(repeating: 1, count: shape.count)
            for axis in stride(from: shape.count - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
            self.strides = strides
            columnAxis = shape.indices.last { shape[$0] > 1 }
        }

        /// The tile's free dims: every dim after the partition axis (the last dim before the column dim with more than
        /// one element, or the one just before it), the column dim `columns`.
        func free(columns: Int) -> [Int] {
            guard let column = columnAxis else { return [1] }
            if column == 0 { return shape.count == 1 ? [columns] : [1] }
            let partition = shape.indices.last { $0 < column && shape[$0] > 1 } ?? (column - 1)
            return (partition + 1 ..< shape.count).map { $0 == column ? columns : shape[$0] }
        }

        /// Can a piece have several partitions along the refined dim of stride `extent` (its column dim has exactly
        /// `extent` elements and a dim before it), or several columns (the column dim has a dim before it, or is the
        /// only dim)?
        func allowsPartitions(extent: Int) -> Bool {
            guard let column = columnAxis else { return false }
            return column > 0 && shape[column] == extent
        }
        var allowsColumns: Bool { columnAxis.map { $0 > 0 || shape.count == 1 } ?? false }

        /// Each dim's offset: the refined indices it covers, each times its stride within the dim.
        func offsets(_ refined: [(stride: Int, index: AffineExpr)]) -> [AffineExpr] {
            shape.indices.map { axis in
                let (low, high) = (strides[axis], strides[axis] * shape[axis])
                var terms: [AffineExpr.Term] = []
                var constant = 0
                for dim in refined where dim.stride >= low && dim.stride < high {
                    let factor = dim.stride / low
                    terms += dim.index.terms.map { .init($0.variable, $0.coefficient * factor) }
                    constant += dim.index.constant * factor
                }
                return AffineExpr(terms: terms, constant: constant)
            }
        }
    }

    /// The refined dims (extent, stride), most significant first; nil when the shapes' strides do not nest.
    static func refined(_ source: [Int], _ target: [Int]) -> [(extent: Int, stride: Int)]? {
        let total = source.reduce(1, *)
        let cuts = Set(Side(source).strides + Side(target).strides + [1, total]).filter { $0 <= total }.sorted()
        var dims: [(extent: Int, stride: Int)] = []
        for (low, high) in zip(cuts, cuts.dropFirst()) {
            guard high % low == 0 else { return nil }
            dims.insert((high / low, low), at: 0)
        }
        return dims
    }

    func emit(into top: TileEmitter, source: ValueID, sourceShape: [Int], outputs: [ValueID], shape: [Int],
              element: ElementType, dims: [(extent: Int, stride: Int)]) {
        let (x, y) = (Side(sourceShape), Side(shape))
        let chunk = max(1, RegionCopyTiler.chunkBytes / max(1, element.byteSize))
        let columnDim = dims.last
        let columnExtent = columnDim?.extent ?? 1
        let byColumns = x.allowsColumns && y.allowsColumns
        let byPartitions = byColumns && dims.count >= 2 && x.allowsPartitions(extent: columnExtent)
            && y.allowsPartitions(extent: columnExtent)
        let loops = Array(dims.dropLast(columnDim == nil ? 0 : byPartitions ? 2 : 1))
        func piece(_ body: TileEmitter, _ refined: [(stride: Int, index: AffineExpr)], partitions: Int, columns: Int) {
            let loaded = body.alloc(.sbuf, element, partitions: partitions, free: x.free(columns: columns), name: "piece")
            body.load(source, at: x.offsets(refined), into: loaded)
            var tile = loaded
            if x.free(columns: columns) != y.free(columns: columns) {
                tile = body.alloc(.sbuf, element, partitions: partitions, free: y.free(columns: columns), name: "reshaped")
                body.emit(.dveCopy(source: loaded, destination: tile))
            }
            for output in outputs { body.store(tile, to: output, at: y.offsets(refined)) }
        }
        func columnsAndRows(_ body: TileEmitter, _ refined: [(stride: Int, index: AffineExpr)]) {
            guard let columnDim else { return piece(body, refined, partitions: 1, columns: 1) }
            func columnLoop(_ emitter: TileEmitter, _ refined: [(stride: Int, index: AffineExpr)], partitions: Int) {
                emitter.tiled(extent: columnExtent, tile: byColumns ? chunk : 1, name: "j") { (_, inner, offset, columns) in
                    piece(inner, refined + [(columnDim.stride, offset)], partitions: partitions, columns: columns)
                }
            }
            guard byPartitions else { return columnLoop(body, refined, partitions: 1) }
            let rowDim = dims[dims.count - 2]
            body.tiled(extent: rowDim.extent, tile: rows, name: "i") { (_, inner, offset, partitions) in
                columnLoop(inner, refined + [(rowDim.stride, offset)], partitions: partitions)
            }
        }
        func nest(_ emitter: TileEmitter, _ refined: [(stride: Int, index: AffineExpr)]) {
            guard refined.count < loops.count else { return columnsAndRows(emitter, refined) }
            emitter.tiled(extent: loops[refined.count].extent, tile: 1, name: "b") { (_, inner, offset, _) in
                nest(inner, refined + [(loops[refined.count].stride, offset)])
            }
        }
        nest(top, [])
    }
}
