// TilingScan.swift: `scan` in a tile body: one `dve.tensor_scan` per row tile, along the whole row.

import KilnMachine
import KilnTileIR

extension ElementwiseLowering {
    /// `scan %a, %b axis last`: h = a * h + b along each row, as `dve.tensor_scan mul, add` from h = 0 on full
    /// [P | C] tiles of both operands (a constant, a column or an affine operand is made a full tile first); a
    /// scan of [R, 1] columns in a wider group runs on [P | 1] column tiles.
    /// A window that covers a chunk of a row too wide for SBUF continues the recurrence of the chunk before it:
    /// the chunks of a row must be lowered in order (the first one, at column 0, peeled, as the row-outer
    /// chunked tilers emit them) with one `ScanCarry` shared by them. The first chunk scans from 0; each chunk
    /// scans into an f32 tile (the state's type; i32 stays i32) from the carried state, copies its last column into
    /// the state (`dve.copy_columns`), and rounds to the result's dtype once: the bits of one scan of the row.
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
        let whole = window.width == window.columns && window.columnOffset == .constant(0)
        guard !window.flat, whole || scanCarry != nil else {
            throw .unsupported(op, "a scan needs whole rows of \(window.columns) elements in one tile, or its row's "
                + "chunks of \(window.width) lowered in order")
        }
        let data0 = fullTile(try operand(a, for: op), element: self.element(a), name: hint(a))
        let data1 = fullTile(try operand(b, for: op), element: self.element(b), name: hint(b))
        let tile = resultTile(op, column: false, reusing: [data0, data1])
        guard !whole, let carry = scanCarry, let result = op.result?.id else {
            body.emit(.dveTensorScan(.mul, .add, data0, data1, destination: tile, initial: .constant(0)))
            return .tile(tile, element, .sbuf)
        }
        let stateElement: ElementType = element.isFloat ? .f32 : element
        let initial: ScalarOperand
        let state: ValueID
        if window.columnOffset == .constant(0) || carry.measuring {
            state = body.alloc(.sbuf, stateElement, partitions: window.partitions, free: [1], name: hint(result).map { $0 + "_state" })
            carry.states[result] = state
            initial = .constant(0)
        } else if let carried = carry.states[result] {
            state = carried
            initial = .value(carried)
        } else {
            throw .unsupported(op, "a chunk of the scanned row comes before the row's first chunk")
        }
        let steps = stateElement == element ? tile : body.alloc(.sbuf, stateElement, partitions: window.partitions, free: free, name: nil)
        body.emit(.dveTensorScan(.mul, .add, data0, data1, destination: steps, initial: initial))
        body.emit(.dveCopyColumns(source: steps, offset: window.width - 1, destination: state))
        if steps != tile { body.emit(.dveCopy(source: steps, destination: tile)) }
        return .tile(tile, element, .sbuf)
    }
}

/// The states of the scans of one row, carried from each column chunk to the next (`ElementwiseLowering.scan`).
final class ScanCarry {
    /// For each scan's result, its `[P | 1]` state tile, written by the last chunk lowered.
    var states: [ValueID: ValueID] = [:]
    /// True for a trial emission that only counts tiles: every chunk allocates a state as the first would.
    let measuring: Bool

    init(measuring: Bool = false) {
        self.measuring = measuring
    }
}
