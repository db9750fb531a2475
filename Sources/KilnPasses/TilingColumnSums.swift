// TilingColumnSums.swift: sums across rows (axis 0) inside a row group's loop: ones-vector matmuls into a PSUM accumulator.

import KilnMachine
import KilnPluginAPI
import KilnTileIR

/// The sums across rows (axis 0) of one row group, for one chunk of columns: `fuse` puts `reduce sum|mean
/// %v axis 0` in the group that computes %v, so each row tile of %v is added into a PSUM accumulator
/// [1 | w] as it is made (`pe.matmul ones[P | 1], v[P | w] -> acc`: ones^T @ v sums the partitions),
/// `start` on the first row tile and `stop` on the last. The accumulators and the ones columns are made
/// before the row loop (shared by its body and its peeled remainder); after the loop `finish` evacuates
/// each accumulator (a mean divided by R on the vector engine) and stores it. Nothing in the group reads
/// the sum (it is complete only after the loop; `fuse` guarantees it), so the group's other values never wait.
final class ColumnSums {
    /// Rows the group's loop covers, and its row tile.
    let rows: Int
    let rowTile: Int
    /// Per reduction: its result value, the op, its accumulator and whether it is a mean.
    private(set) var accumulators: [(value: ValueID, op: Operation, tile: ValueID, mean: Bool)] = []
    /// Ones columns by partition count and element type.
    private var ones: [String: ValueID] = [:]

    init(rows: Int, rowTile: Int) {
        self.rows = rows
        self.rowTile = rowTile
    }

    /// The values these sums define (the group stores them only after its loop).
    var values: Set<ValueID> { Set(accumulators.map(\.value)) }

    func accumulator(for op: Operation, value: ValueID, mean: Bool, width: Int, in hoist: TileEmitter) -> ValueID {
        if let known = accumulators.first(where: { $0.value == value }) { return known.tile }
        let tile = hoist.alloc(.psum, .f32, partitions: 1, free: [width], name: op.result?.nameHint ?? "colsum")
        accumulators.append((value: value, op: op, tile: tile, mean: mean))
        return tile
    }

    func onesColumn(partitions: Int, element: ElementType, in hoist: TileEmitter) -> ValueID {
        let key = "\(partitions) \(element)"
        if let known = ones[key] { return known }
        let tile = hoist.alloc(.sbuf, element, partitions: partitions, free: [1], name: "ones")
        hoist.emit(.poolIota(Iota(base: 1, partitionStep: 0, freeStep: 0, destination: tile)))
        ones[key] = tile
        return tile
    }

    /// After the row loop: evacuates every accumulator into an SBUF row of its result's element type and
    /// stores it to each destination at (0, `columnOffset`).
    func finish(into emitter: TileEmitter, columnOffset: AffineExpr, width: Int, types: [ValueID: ValueDef],
                stores: [GroupStore]) {
        for accumulator in accumulators {
            emitter.span = accumulator.op.span
            let element = types[accumulator.value]?.type.element ?? .f32
            let result = emitter.alloc(.sbuf, element, partitions: 1, free: [width], name: types[accumulator.value]?.nameHint)
            if accumulator.mean {
                // One division of the f32 sum, rounded once (Docs/numerics.md, "Reduction order").
                emitter.emit(.dveTensorScalar(.div, accumulator.tile, .constant(Double(rows)), destination: result))
            } else {
                emitter.emit(.dveCopy(source: accumulator.tile, destination: result))
            }
            for store in stores where store.value == accumulator.value {
                emitter.store(result, to: store.output.id, at: [.constant(0), columnOffset])
            }
        }
    }
}

extension ElementwiseLowering {
    /// `reduce sum|mean %source axis 0` inside the row loop: this row tile of the source, multiplied by a
    /// ones column, accumulates into the sum's PSUM accumulator (the operand is copied to f32 first unless it
    /// is f32, bf16 or f16, the tensor engine's float inputs).
    mutating func sumAcrossRows(_ op: Operation, mean: Bool, source: ValueID, into sums: ColumnSums) throws(TilingError) {
        guard let result = op.result else { throw .unsupported(op, "it defines no value") }
        let input = try operand(source, for: op)
        let sourceElement = element(source)
        let movingElement: ElementType = [.f32, .bf16, .f16].contains(sourceElement) ? sourceElement : .f32
        var moving = fullTile(input, element: movingElement, name: hint(source))
        if case .tile(_, let tileElement, let space) = input, tileElement != movingElement || space != .sbuf {
            let copy = body.alloc(.sbuf, movingElement, partitions: window.partitions, free: free, name: hint(source))
            body.emit(.dveCopy(source: moving, destination: copy))
            moving = copy
        }
        let ones = sums.onesColumn(partitions: window.partitions, element: movingElement, in: hoist)
        let accumulator = sums.accumulator(for: op, value: result.id, mean: mean, width: window.width, in: hoist)
        let (start, stop) = ColumnReductionTiler.accumulationFlags(offset: window.rowOffset, size: window.partitions,
                                                                    extent: window.rows, tile: sums.rowTile)
        body.emit(.peMatmul(PEMatmul(stationary: ones, moving: moving, accumulator: accumulator, start: start, stop: stop)))
    }
}
