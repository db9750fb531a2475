// TilingIota.swift: `iota` in a tile body: positions made by `pool.iota` from the window's loop-dependent offset.

import KilnMachine
import KilnTileIR

extension ElementwiseLowering {
    /// `iota axis k : T` on this window, by T's shape relative to the group's row space [rows, columns]:
    /// - a full [rows, columns] value counts rows (axis 0: base = the window's row offset, +1 per partition) or
    ///   columns (axis 1: base = the column offset, +1 per free index);
    /// - a [rows, 1] column counts rows into a [P | 1] tile; a [columns] or [1, columns] row counts columns in
    ///   every partition;
    /// - along an axis of size 1 every position is 0 (a scalar);
    /// - in a flat window (rank 1) the position is the element's index, `rowOffset + p * width + f`.
    /// The base is affine in the tile loops' variables, so one `pool.iota` serves every iteration.
    mutating func iota(_ op: Operation, axis: Int) throws(TilingError) -> TileOperand {
        guard let result = op.result, let tensor = result.type.tensorType else {
            throw .unsupported(op, "iota has no tensor result")
        }
        let (shape, element) = (tensor.shape, tensor.element)
        guard axis >= 0, axis < shape.count else { throw .unsupported(op, "iota axis \(axis) is outside its shape") }
        if shape[axis] == 1 { return .scalar(.constant(0)) }
        let name = types[result.id]?.nameHint
        func positions(partitions: Int, free: [Int], base: AffineExpr, partitionStep: Int, freeStep: Int) -> ValueID {
            let tile = body.alloc(.sbuf, element, partitions: partitions, free: free, name: name)
            body.emit(.poolIota(Iota(base: base, partitionStep: partitionStep, freeStep: freeStep, destination: tile)))
            return tile
        }
        let (rows, columns) = (window.rows, window.columns)
        if window.flat {
            guard shape == [rows] else { throw .unsupported(op, "iota of shape \(shape) in a flat space of \(rows)") }
            let tile = positions(partitions: window.partitions, free: free, base: window.rowOffset,
                                 partitionStep: window.width, freeStep: 1)
            return .tile(tile, element, .sbuf)
        }
        switch (shape.count, axis) {
        case (2, 0) where shape == [rows, columns]:
            return .tile(positions(partitions: window.partitions, free: free, base: window.rowOffset, partitionStep: 1, freeStep: 0),
                         element, .sbuf)
        case (2, 1) where shape == [rows, columns], (2, 1) where shape == [1, columns], (1, 0) where shape == [columns]:
            return .tile(positions(partitions: window.partitions, free: free, base: window.columnOffset, partitionStep: 0, freeStep: 1),
                         element, .sbuf)
        case (2, 0) where shape == [rows, 1]:
            return .column(positions(partitions: window.partitions, free: [1], base: window.rowOffset, partitionStep: 1, freeStep: 0),
                           element)
        default:
            throw .unsupported(op, "iota of shape \(shape) does not fit the row space [\(rows), \(columns)]")
        }
    }
}
