// TileTopK.swift: tiles `topk` / `argtopk`: whole rows in SBUF, `dve.max8` and `dve.find_index8` per row tile.

import KilnMachine
import KilnTileIR

/// Emits `out = topk(x, k)` (or `argtopk`) for x in HBM of shape `[..., R, D]` (a rank-1 x is one row): one loop per
/// leading dim, the R rows in tiles of `rows` partitions (remainder peeled); each `[p | D]` row tile is loaded whole,
/// `dve.max8` finds each partition's 8 first-ranked values (KilnMachine's `TopKOrder`: larger first, NaN first of all,
/// ties by position), `dve.find_index8` their positions for `argtopk`, and the first k columns (`dve.copy_columns`,
/// unless k is 8) are stored into every output at the rows' offsets. The checker and the verifier keep D within
/// max8's 8 to 16,384 elements per partition.
struct TopKTiler {
    let rows: Int

    func emit(into top: TileEmitter, source: ValueID, shape: [Int], k: Int, indices: Bool, outputs: [ValueID],
              element: ElementType) {
        guard let length = shape.last else { return }
        let matrix = shape.count >= 2
        top.blocks(batch: Array(shape.dropLast(2)), rows: matrix ? shape[shape.count - 2] : 1, rowTile: rows, columns: length,
                   columnTile: length) { body, prefix, rowOffset, partitions, _, _ in
            let offsets = matrix ? prefix + [rowOffset, .constant(0)] : [.constant(0)]
            let row = body.alloc(.sbuf, element, partitions: partitions, free: [length], name: "row")
            body.load(source, at: offsets, into: row)
            var result = body.alloc(.sbuf, element, partitions: partitions, free: [8], name: "top8")
            body.emit(.engine(EngineInstruction(.dveMax8, [.tile(row), .tile(result)])))
            if indices {
                let positions = body.alloc(.sbuf, .i32, partitions: partitions, free: [8], name: "positions")
                body.emit(.engine(EngineInstruction(.dveFindIndex8, [.tile(row), .tile(result), .tile(positions)])))
                result = positions
            }
            if k < 8 {
                let first = body.alloc(.sbuf, indices ? .i32 : element, partitions: partitions, free: [k], name: "topk")
                body.emit(.dveCopyColumns(source: result, offset: 0, destination: first))
                result = first
            }
            for output in outputs { body.store(result, to: output, at: offsets) }
        }
    }
}
