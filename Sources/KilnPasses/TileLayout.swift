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
/// Algorithm: the flat index space of N elements is split into *refined dims* at every suffix product (stride) of
/// either shape, sorted; each divides the next because a reshape merges and splits adjacent dims (the checker's
/// rule). Every dim of either shape is a run of refined dims, so its index is affine in theirs (each refined index
/// times its stride within the dim). A *cut* L splits the refined dims into columns (stride below L, copied whole
/// per partition, chunked along the top one, of stride s, to at most `RegionCopyTiler.chunkBytes`) and the rest:
/// the refined dim of stride L is the partitions, in tiles of `rows`, when L is a stride of both shapes, and the
/// others are loops. The cut is the smallest stride common to both shapes (a merge or split of trailing dims is
/// then one contiguous run per partition on both sides, e.g. `[B, S, 8 * H] -> [B, S, H, 8]` moves rows of S); when
/// a piece of that would not fit, or a side has no dim to put the partitions on, the cut is the smallest stride
/// above 1 (columns along the last refined dim, one partition per piece unless both sides end there), and a side
/// with no room even for that (`[n, 1]`) moves one element per piece. Each side's tile lists its dims after its
/// partition axis (the last dim with more than one element above the columns); a piece is loaded into x's tile,
/// regrouped by `dve.copy` into the result's (same elements per partition) when their dims differ, and stored.
struct ReshapeTiler {
    let rows: Int
    /// The most bytes a piece's columns may take per partition before the tiler falls back to a finer cut.
    static let maxColumnBytes = 16384

    /// One side of the copy (x or the result): its shape and each dim's flat stride.
    private struct Side {
        let shape: [Int]
        let strides: [Int]
        init(_ shape: [Int]) {
            self.shape = shape
            var strides = Array(repeating: 1, count: shape.count)
            for axis in stride(from: shape.count - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
            self.strides = strides
        }

        /// The dim holding the refined dim of stride `top` (the top of the columns).
        func topAxis(_ top: Int) -> Int? { shape.indices.last { strides[$0] <= top && top < strides[$0] * shape[$0] } }

        /// True when `cut` is where one of this side's dims ends (a partition then steps `cut` elements); a rank-1
        /// side is flat, and steps whatever an unchunked piece holds.
        func ends(at cut: Int, top: Int) -> Bool {
            shape.count == 1 || (topAxis(top).map { strides[$0] * shape[$0] == cut } ?? false)
        }

        /// The tile's free dims for columns of `count` elements of stride `top`, or nil when the side has no dim to
        /// put the partitions on: the dims after the partition axis (the last dim before the top one with more than
        /// one element, or else the dim just before it), the top one holding `count * top` elements; a rank-1 side
        /// is a flat transfer.
        func free(top: Int, count: Int) -> [Int]? {
            guard let axis = topAxis(top) else { return shape.count == 1 ? [1] : Array(repeating: 1, count: shape.count - 1) }
            if axis == 0 { return shape.count == 1 ? [count * top] : nil }
            let partition = shape.indices.last { $0 < axis && shape[$0] > 1 } ?? (axis - 1)
            return (partition + 1 ..< shape.count).map { $0 < axis ? 1 : $0 == axis ? count * top / strides[$0] : shape[$0] }
        }

        /// One element per piece: a `[1 | 1, ..., 1]` tile over every dim (flat `[1 | 1]` for rank 1).
        var elementTile: [Int] { shape.count == 1 ? [1] : Array(repeating: 1, count: shape.count - 1) }

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

    /// How pieces are cut: the refined dims that are loops, the partition dim, the top column dim and its chunk, and
    /// each side's tile.
    private struct Plan {
        var loops: [(extent: Int, stride: Int)]
        var partitions: (extent: Int, stride: Int)?
        var top: (extent: Int, stride: Int)?
        var chunk: Int
        var sourceTile: (Int) -> [Int]
        var resultTile: (Int) -> [Int]
    }

    private static func plan(_ x: Side, _ y: Side, dims: [(extent: Int, stride: Int)], chunkElements: Int,
                             elementBytes: Int) -> Plan {
        let total = x.shape.reduce(1, *)
        // A flat (rank-1) side has every cut.
        let strides = { (side: Side, other: Side) in side.shape.count == 1 ? other.strides : side.strides }
        let common = Set(strides(x, y) + [total]).intersection(strides(y, x) + [total]).filter { $0 > 1 }
        let smallest = dims.last.map { $0.extent }   // the smallest stride above 1
        for cut in [common.min(), smallest].compactMap({ $0 }) {
            let columns = dims.filter { $0.stride < cut }
            guard let top = columns.first else { continue }
            guard top.stride * elementBytes <= maxColumnBytes else { continue }
            let chunk = max(1, min(top.extent, chunkElements / top.stride))
            let partition = dims.first { $0.stride == cut }
            guard x.free(top: top.stride, count: 1) != nil, y.free(top: top.stride, count: 1) != nil else { continue }
            // A flat (rank-1) side steps one piece's columns per partition: partitions only when unchunked.
            let flatOK = (x.shape.count > 1 && y.shape.count > 1) || chunk == top.extent
            let usePartitions = partition != nil && flatOK && x.ends(at: cut, top: top.stride) && y.ends(at: cut, top: top.stride)
            return Plan(loops: dims.filter { $0.stride >= cut && !(usePartitions && $0.stride == cut) },
                        partitions: usePartitions ? partition : nil, top: top, chunk: chunk,
                        sourceTile: { x.free(top: top.stride, count: $0)! }, resultTile: { y.free(top: top.stride, count: $0)! })
        }
        return Plan(loops: dims, partitions: nil, top: nil, chunk: 1, sourceTile: { _ in x.elementTile },
                    resultTile: { _ in y.elementTile })
    }

    func emit(into top: TileEmitter, source: ValueID, sourceShape: [Int], outputs: [ValueID], shape: [Int],
              element: ElementType, dims: [(extent: Int, stride: Int)]) {
        let plan = Self.plan(Side(sourceShape), Side(shape), dims: dims,
                             chunkElements: max(1, RegionCopyTiler.chunkBytes / max(1, element.byteSize)),
                             elementBytes: max(1, element.byteSize))
        let (x, y) = (Side(sourceShape), Side(shape))
        func piece(_ body: TileEmitter, _ refined: [(stride: Int, index: AffineExpr)], partitions: Int, count: Int) {
            let (sourceTile, resultTile) = (plan.sourceTile(count), plan.resultTile(count))
            let loaded = body.alloc(.sbuf, element, partitions: partitions, free: sourceTile, name: "piece")
            body.load(source, at: x.offsets(refined), into: loaded)
            var tile = loaded
            if sourceTile != resultTile {
                tile = body.alloc(.sbuf, element, partitions: partitions, free: resultTile, name: "reshaped")
                body.emit(.dveCopy(source: loaded, destination: tile))
            }
            for output in outputs { body.store(tile, to: output, at: y.offsets(refined)) }
        }
        func columnsAndRows(_ body: TileEmitter, _ refined: [(stride: Int, index: AffineExpr)]) {
            guard let columnDim = plan.top else { return piece(body, refined, partitions: 1, count: 1) }
            func columnLoop(_ emitter: TileEmitter, _ refined: [(stride: Int, index: AffineExpr)], partitions: Int) {
                emitter.tiled(extent: columnDim.extent, tile: plan.chunk, name: "j") { (_, inner, offset, count) in
                    piece(inner, refined + [(columnDim.stride, offset)], partitions: partitions, count: count)
                }
            }
            guard let rowDim = plan.partitions else { return columnLoop(body, refined, partitions: 1) }
            body.tiled(extent: rowDim.extent, tile: rows, name: "i") { (_, inner, offset, partitions) in
                columnLoop(inner, refined + [(rowDim.stride, offset)], partitions: partitions)
            }
        }
        func nest(_ emitter: TileEmitter, _ refined: [(stride: Int, index: AffineExpr)]) {
            guard refined.count < plan.loops.count else { return columnsAndRows(emitter, refined) }
            let dim = plan.loops[refined.count]
            emitter.tiled(extent: dim.extent, tile: 1, name: "b") { (_, inner, offset, _) in
                nest(inner, refined + [(dim.stride, offset)])
            }
        }
        nest(top, [])
    }
}
