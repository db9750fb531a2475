// TileRegionCopy.swift: tiles `slice` and `concat`: blocks of HBM tensors copied through SBUF to their new place.

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
struct RegionCopyTiler {
    let rows: Int
    /// The most bytes one piece holds per partition: 8 KiB, 1 MiB per full 128-partition piece.
    static let chunkBytes = 8192

    func emit(into top: TileEmitter, source: ValueID, sourceOffsets: [Int], destinations: [(tensor: ValueID, offsets: [Int])],
              shape: [Int], element: ElementType) {
        let chunk = max(1, Self.chunkBytes / max(1, element.byteSize))
        func copy(_ body: TileEmitter, at position: [AffineExpr], partitions: Int, free: Int) {
            let tile = body.alloc(.sbuf, element, partitions: partitions, free: [free], name: "piece")
            body.load(source, at: zip(position, sourceOffsets).map { $0.adding($1) }, into: tile)
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
        func batches(_ emitter: TileEmitter, _ prefix: [AffineExpr]) {
            guard prefix.count == shape.count - 2 else {
                emitter.tiled(extent: shape[prefix.count], tile: 1, name: "b") { (_, inner, offset, _) in
                    batches(inner, prefix + [offset])
                }
                return
            }
            emitter.tiled(extent: shape[shape.count - 2], tile: rows, name: "i") { (_, rowBody, rowOffset, partitions) in
                rowBody.tiled(extent: shape[shape.count - 1], tile: chunk, name: "j") { (_, body, columnOffset, columns) in
                    copy(body, at: prefix + [rowOffset, columnOffset], partitions: partitions, free: columns)
                }
            }
        }
        batches(top, [])
    }
}
