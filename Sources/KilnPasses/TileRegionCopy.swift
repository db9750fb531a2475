// TileRegionCopy.swift: tiles `slice`, `concat` and `gather` (blocks and rows of HBM tensors copied through SBUF); HBM views.

import KilnMachine
import KilnPluginAPI
import KilnTileIR

/// Copies a block of `shape` that starts at `sourceOffsets` in one HBM tensor (an input, or a scratch tensor
/// holding a computed value) to `destinations`, each at its own offsets: a `slice` copies the block its
/// offsets name into the tensors its result goes to, and a `concat` copies each operand whole into its place
/// along the joined axis.
///
/// Algorithm: a tensor of rank 2 or more is a batch of matrices. One loop per leading (batch) dim, then the
/// block's rows in tiles of `rows` partitions and its columns in chunks of at most `chunkBytes` per partition
/// (remainders peeled, `TileEmitter.tiled`); each `[p | c]` piece is loaded into SBUF at its source offsets
/// and stored at each destination's. A rank-1 block is copied as flat `[128 | F]` pieces (contiguous runs of
/// 128 * F elements), then one `[r | F]` piece and one `[1 | n]` piece for what is left.
///
/// A strided block (`slice ... step [...]`, `sourceStrides`) reads element i of dim d at `offset + i * stride`: batch
/// offsets are scaled, and each piece is one strided load (`DMASteps`: the row dim's stride between partitions,
/// the last dim's between columns; a rank-1 block's stride between every element), stored contiguously.
struct RegionCopyTiler {
    let rows: Int
    /// The most bytes one piece holds per partition: 8 KiB, 1 MiB per full 128-partition piece.
    static let chunkBytes = 8192

    func emit(into top: TileEmitter, source: ValueID, sourceOffsets: [Int], sourceStrides: [Int]? = nil,
              destinations: [(tensor: ValueID, offsets: [Int])], shape: [Int], element: ElementType) {
        let chunk = max(1, Self.chunkBytes / max(1, element.byteSize))
        let strides = sourceStrides ?? Array(repeating: 1, count: shape.count)
        let steps = DMASteps(row: shape.count >= 2 ? strides[shape.count - 2] : 1, column: strides.last ?? 1)
        func copy(_ body: TileEmitter, at position: [AffineExpr], partitions: Int, free: Int) {
            let tile = body.alloc(.sbuf, element, partitions: partitions, free: [free], name: "piece")
            let offsets = zip(position, zip(sourceOffsets, strides)).map { $0.scaled(by: $1.1).adding($1.0) }
            body.load(source, at: offsets, into: tile, steps: steps)
            for destination in destinations {
                body.store(tile, to: destination.tensor, at: zip(position, destination.offsets).map { $0.adding($1) })
            }
        }
        if shape.count == 1 {
            let length = shape[0]
            let free = min(chunk, max(1, length / 128))
            let blocks = length / (128 * free)
            if blocks > 0 {
                top.tiled(extent: blocks * 128 * free, tile: 128 * free, name: "c") { (_, body, offset, _) in
                    copy(body, at: [offset], partitions: 128, free: free)
                }
            }
            var done = blocks * 128 * free
            if length - done >= free {
                let partitions = (length - done) / free
                copy(top, at: [.constant(done)], partitions: partitions, free: free)
                done += partitions * free
            }
            if length > done { copy(top, at: [.constant(done)], partitions: 1, free: length - done) }
            return
        }
        top.blocks(batch: Array(shape.dropLast(2)), rows: shape[shape.count - 2], rowTile: rows, columns: shape[shape.count - 1],
                   columnTile: chunk) { body, prefix, rowOffset, partitions, columnOffset, columns in
            copy(body, at: prefix + [rowOffset, columnOffset], partitions: partitions, free: columns)
        }
    }
}

/// Emits `out = gather(table, indices)` for a `[V, width]` table and i32 indices of `indexShape` in HBM: one loop
/// per leading index dim, the last index dim in tiles of `rows` partitions, the row length in chunks of at most
/// `RegionCopyTiler.chunkBytes` per partition (remainders peeled); each `[p | c]` piece is one `dma.gather` (tile
/// row i is table row `indices[..., r + i]`, columns from the chunk's offset) stored into every output at
/// `[..., r, column]`. An index outside the table stops the run with an error on each executor.
struct GatherTiler {
    let rows: Int

    func emit(into top: TileEmitter, table: ValueID, width: Int, indices: ValueID, indexShape: [Int], outputs: [ValueID],
              element: ElementType) {
        let chunk = max(1, RegionCopyTiler.chunkBytes / max(1, element.byteSize))
        top.blocks(batch: Array(indexShape.dropLast()), rows: indexShape[indexShape.count - 1], rowTile: rows, columns: width,
                   columnTile: chunk) { body, prefix, rowOffset, partitions, columnOffset, columns in
            let tile = body.alloc(.sbuf, element, partitions: partitions, free: [columns], name: "rows")
            body.emit(.dmaGather(table: table, column: columnOffset, indices: indices, at: prefix + [rowOffset], into: tile))
            for output in outputs { body.store(tile, to: output, at: prefix + [rowOffset, columnOffset]) }
        }
    }
}

/// Emits `out = scatter_add(table, indices, values)` for a `[V, width]` table, i32 indices of `indexShape` and values of
/// `indexShape + [width]` in HBM: the table is copied into every output (`RegionCopyTiler`), then the values in blocks as
/// `GatherTiler` reads rows (one loop per leading index dim, the last in tiles of `rows` partitions, columns in chunks):
/// each `[p | c]` block is loaded and added into every output by one `dma.scatter_add` (row i into the row
/// `indices[..., r + i]` names, in partition order). The scheduler orders the blocks (each reads and writes the table's
/// columns), so duplicate indices accumulate in the indices' row-major order; an index outside the table stops the run
/// with an error on each executor.
struct ScatterAddTiler {
    let rows: Int

    func emit(into top: TileEmitter, table: ValueID, tableShape: [Int], indices: ValueID, indexShape: [Int], values: ValueID,
              outputs: [ValueID], element: ElementType) {
        RegionCopyTiler(rows: rows).emit(into: top, source: table, sourceOffsets: [0, 0],
                                         destinations: outputs.map { ($0, [0, 0]) }, shape: tableShape, element: element)
        let chunk = max(1, RegionCopyTiler.chunkBytes / max(1, element.byteSize))
        top.blocks(batch: Array(indexShape.dropLast()), rows: indexShape[indexShape.count - 1], rowTile: rows,
                   columns: tableShape[1], columnTile: chunk) { body, prefix, rowOffset, partitions, columnOffset, columns in
            let tile = body.alloc(.sbuf, element, partitions: partitions, free: [columns], name: "added")
            body.load(values, at: prefix + [rowOffset, columnOffset], into: tile)
            for output in outputs {
                body.emit(.engine(EngineInstruction(.dmaScatterAdd, [.tile(tile), .slice(output, [.constant(0), columnOffset]),
                                                                    .slice(indices, prefix + [rowOffset])])))
            }
        }
    }
}

extension TileEmitter {
    /// Covers `batch x [rows, columns]` in blocks: one loop per batch dim (outermost first), then rows in tiles of
    /// `rowTile` and columns in chunks of `columnTile` (remainders peeled, `tiled`); `body(emitter, batch offsets,
    /// row offset, rows, column offset, columns)` emits one block.
    func blocks(batch: [Int], rows: Int, rowTile: Int, columns: Int, columnTile: Int,
                _ body: (TileEmitter, [AffineExpr], AffineExpr, Int, AffineExpr, Int) -> Void) {
        func batches(_ emitter: TileEmitter, _ prefix: [AffineExpr]) {
            guard prefix.count == batch.count else {
                emitter.tiled(extent: batch[prefix.count], tile: 1, name: "b") { (_, inner, offset, _) in
                    batches(inner, prefix + [offset])
                }
                return
            }
            emitter.tiled(extent: rows, tile: rowTile, name: "i") { (_, rowBody, rowOffset, partitions) in
                rowBody.tiled(extent: columns, tile: columnTile, name: "j") { (_, block, columnOffset, width) in
                    body(block, prefix, rowOffset, partitions, columnOffset, width)
                }
            }
        }
        batches(self, [])
    }
}

/// HBM tensors that are views of others, applied to the tiled kernel's DMA transfers:
/// - the tensor a `slice` value was copied to is read-only view of its operand's tensor: a load of it at offsets
///   O reads the source at O plus the slice's offsets (a slice of a slice resolves to the first source). A block
///   of a row-major tensor is addressed by per-dim offsets into the same dims, so every DMA form (plain,
///   transposing, broadcasting, and flat for rank 1, whose slices are contiguous) reads the same elements;
/// - the tensor of a `concat` operand that nothing else reads (not returned, one use, listed once) is its
///   place in the concat's tensor: its loads and stores move there (a concat of a concat resolves to the
///   outer one), and the concat's tiler skips the copy of that operand;
/// - the tensor a `permute` of batch dims only (the last two axes stay) was copied to is a read-only view of its
///   operand's tensor: a load of it whose tile covers no more than the last two dims reads the source at the
///   permuted offsets (offset i of the view is offset perm[i] of the source), the same slice;
/// - the tensor a strided `slice` was copied to is a read-only view too, for plain loads of `[P | F]` tiles (and flat
///   loads of a rank-1 view): the load reads the source at `offset + O * step` per dim with the steps of the dims
///   its partitions and columns map to (`DMASteps`), when its source is not a strided view itself. Other loads
///   read the copy.
struct HBMViews {
    typealias View = (source: ValueID, offsets: [Int])
    private var readViews: [ValueID: View] = [:]
    private var stridedViews: [ValueID: (source: ValueID, offsets: [Int], strides: [Int])] = [:]
    private var places: [ValueID: View] = [:]
    private var permutedViews: [ValueID: (source: ValueID, perm: [Int])] = [:]

    init(_ ops: [Operation], hbmSources: [ValueID: ValueID], placed: [ValueID: (concat: ValueID, offsets: [Int])]) {
        for op in ops {
            if case .permute(let operand, let perm) = op.kind, perm.count >= 2, perm[perm.count - 2] == perm.count - 2,
               let result = op.result?.id, let view = hbmSources[result], let source = hbmSources[operand], view != source {
                permutedViews[view] = (source, perm)
            }
            guard case .slice(let operand, let offsets, let strides) = op.kind, let result = op.result?.id,
                  let view = hbmSources[result], let source = hbmSources[operand], view != source else { continue }
            if strides.allSatisfy({ $0 == 1 }) { readViews[view] = (source, offsets) } else { stridedViews[view] = (source, offsets, strides) }
        }
        for (operand, place) in placed {
            guard let tensor = hbmSources[operand], let target = hbmSources[place.concat], tensor != target else { continue }
            places[tensor] = (target, place.offsets)
        }
    }

    /// The `concat` operands to compute in place: computed values whose only reader is one concat (not a `scatter_add`,
    /// whose tensor `dma.scatter_add` reads and writes besides the stores that move).
    static func concatPlacements(_ function: Function, returned: [ValueID]) -> [ValueID: (concat: ValueID, offsets: [Int])] {
        let uses = function.useCounts()
        var defined = Set<ValueID>()
        var placed: [ValueID: (concat: ValueID, offsets: [Int])] = [:]
        for op in function.body.ops {
            if let result = op.result?.id, op.kind.isTensorLevel, !FusionPlanner.isScalarConstant(op) {
                if case .scatterAdd = op.kind { continue }
                defined.insert(result)
            }
            guard case .concat(let operands, let axis) = op.kind, let result = op.result?.id,
                  let rank = op.result?.type.tensorType?.rank else { continue }
            var start = 0
            for operand in operands {
                guard let extent = (function.valueTable()[operand]?.type).flatMap({ $0.tensorType ?? $0.hbmType })?.shape[axis]
                else { break }
                var offsets = Array(repeating: 0, count: rank)
                offsets[axis] = start
                start += extent
                if defined.contains(operand), uses[operand] == 1, !returned.contains(operand),
                   operands.filter({ $0 == operand }).count == 1 {
                    placed[operand] = (result, offsets)
                }
            }
        }
        return placed
    }

    private func resolve(_ tensor: ValueID, _ offsets: [AffineExpr], through views: [ValueID: View]) -> (ValueID, [AffineExpr]) {
        var (tensor, offsets) = (tensor, offsets)
        var steps = 0
        while let view = views[tensor], view.offsets.count == offsets.count, steps <= views.count {
            offsets = zip(offsets, view.offsets).map { $0.adding($1) }
            tensor = view.source
            steps += 1
        }
        return (tensor, offsets)
    }

    /// A load of a permuted view at `offsets` as a load of its source, when `tile` covers only the last two dims.
    private func resolvePermuted(_ tensor: ValueID, _ offsets: [AffineExpr], load: DMATransfer,
                                 tile: TileType?) -> (ValueID, [AffineExpr])? {
        guard let view = permutedViews[tensor], view.perm.count == offsets.count, let tile,
              let lead = load.leadingDims(tile: tile, hbmRank: offsets.count), lead >= offsets.count - 2 else { return nil }
        var permuted = offsets
        for (axis, from) in view.perm.enumerated() { permuted[from] = offsets[axis] }
        return (view.source, permuted)
    }

    /// A plain load of a `[P | F]` tile (or a flat one of a rank-1 view) from a strided view, as a strided load of its
    /// source: offset O of dim d is the source's `offsets[d] + O * strides[d]`.
    private func resolveStrided(_ load: DMATransfer, tile: TileType?) -> DMATransfer? {
        guard let view = stridedViews[load.hbm], stridedViews[view.source] == nil, let tile, tile.freeDims.count == 1,
              load.steps.isUnit, !load.transpose, !load.broadcast, view.strides.count == load.offsets.count,
              let lead = load.leadingDims(tile: tile, hbmRank: load.offsets.count) else { return nil }
        let rank = load.offsets.count
        var strided = load
        strided.hbm = view.source
        strided.offsets = (0..<rank).map { load.offsets[$0].scaled(by: view.strides[$0]).adding(view.offsets[$0]) }
        strided.steps = rank == 1 ? DMASteps(column: view.strides[0])
            : DMASteps(row: view.strides[lead], column: view.strides[rank - 1])
        return strided
    }

    /// `ops` (loop bodies included) with every transfer of a view moved to the tensor it views.
    func forwarding(_ ops: [Operation]) -> [Operation] {
        guard !readViews.isEmpty || !places.isEmpty || !permutedViews.isEmpty || !stridedViews.isEmpty else { return ops }
        var tiles: [ValueID: TileType] = [:]
        Block(ops).walk { op in if case .alloc(let tile, _) = op.kind, let id = op.result?.id { tiles[id] = tile } }
        return forwarding(ops, tiles: tiles)
    }

    private func forwarding(_ ops: [Operation], tiles: [ValueID: TileType]) -> [Operation] {
        ops.map { op in
            var op = op
            if case .forLoop(var loop) = op.kind {
                loop.body = Block(forwarding(loop.body.ops, tiles: tiles))
                op.kind = .forLoop(loop)
            } else if var load = op.kind.asLoad {
                (load.hbm, load.offsets) = resolve(load.hbm, load.offsets, through: places)
                (load.hbm, load.offsets) = resolve(load.hbm, load.offsets, through: readViews)
                if let (source, offsets) = resolvePermuted(load.hbm, load.offsets, load: load, tile: tiles[load.tile]) {
                    (load.hbm, load.offsets) = resolve(source, offsets, through: readViews)
                }
                if let strided = resolveStrided(load, tile: tiles[load.tile]) {
                    load = strided
                    (load.hbm, load.offsets) = resolve(load.hbm, load.offsets, through: readViews)
                }
                op.kind = .dmaLoad(load)
            } else if var store = op.kind.asStore, places[store.hbm] != nil {
                (store.hbm, store.offsets) = resolve(store.hbm, store.offsets, through: places)
                op.kind = .dmaStore(store)
            }
            return op
        }
    }
}
