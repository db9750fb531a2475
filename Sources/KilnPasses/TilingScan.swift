// TilingScan.swift: `scan` in a tile body: one `dve.tensor_scan` per row tile, along the whole row.

import KilnMachine
import KilnTileIR

extension ElementwiseLowering {
    /// `scan %a, %b axis last`: h = a * h + b along each row, as `dve.tensor_scan mul, add` from h = 0 on full
    /// [P | C] tiles of both operands (a constant, a column or an affine operand is made a full tile first); a
    /// scan of [R, 1] columns in a wider group runs on [P | 1] column tiles.
    /// The recurrence needs the whole row in one tile: a window that covers a chunk of the row (a row too
    /// wide for SBUF) is refused, since carrying the state across chunks is not implemented.
    mutating func scan(_ op: Operation, _ a: ValueID, _ b: ValueID) throws(TilingError) -> TileOperand {
        let element = op.result.map { self.element($0.id) } ?? .f32
        if op.result?.type.tensorType?.shape.last == 1, !window.flat, window.columns > 1 {
            // A scan of [R, 1] columns in a wider group: one step per row, on [P | 1] tiles.
            let data0 = columnTile(try operand(a, for: op), element: self.element(a), name: hint(a))
            let data1 = columnTile(try operand(b, for: op), element: self.element(b), name: hint(b))
            let tile = resultTile(op, column: true, reusing: [data0, data1])
            body.emit(.dveTensorScan(.mul, .add, data0, data1, destination: tile, initial: .constant(0)))
            return .column(tile, element)
        }
        guard !window.flat, window.width == window.columns, window.columnOffset == .constant(0) else {
            throw .unsupported(op, "a scan needs whole rows of \(window.columns) elements in one tile; this row is split "
                + "into chunks of \(window.width) (too wide for SBUF)")
        }
        let data0 = fullTile(try operand(a, for: op), element: self.element(a), name: hint(a))
        let data1 = fullTile(try operand(b, for: op), element: self.element(b), name: hint(b))
        let tile = resultTile(op, column: false, reusing: [data0, data1])
        body.emit(.dveTensorScan(.mul, .add, data0, data1, destination: tile, initial: .constant(0)))
        return .tile(tile, element, .sbuf)
    }
}
