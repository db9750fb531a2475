// TileColumnReduce.swift: tiles a reduction across rows (axis 0 of [R, C]): partition sums on the tensor engine, max/min by transposes.

import KilnMachine
import KilnPluginAPI
import KilnTileIR

/// Emits `out[1, C] = reduce(x[R, C], axis: 0)` for x in HBM (an input, or a scratch tensor holding a
/// computed value). Rows are on the partition axis, so the reduction crosses partitions:
///
/// - `sum` and `mean`: per chunk of `tile_n` (512) columns, one PSUM accumulator [1 | w]; for each row
///   tile (loop of `tile_m`, remainder peeled) the [P | w] tile is loaded and multiplied by a ones column
///   on the tensor engine (`pe.matmul ones[P | 1], x[P | w] -> acc[1 | w]`: ones^T @ x sums the
///   partitions), accumulating over the row tiles (`start` on the first, `stop` on the last). The
///   accumulator is evacuated (a mean divided by R on the way, on the vector engine) and stored.
///   Operands that are not f32/bf16/f16 are copied to f32 first (the tensor engine takes floats).
/// - `max` and `min`: per block of `tile_m` columns, each row tile [P | w] is transposed (on the tensor
///   engine into PSUM, or by a transposing DMA on trn2) to [w | P] and reduced along its free axis into
///   a [w | 1] column; the first row tile's column is the running result, later ones are combined into
///   it (`dve.tensor_tensor max|min`). The running [w | 1] column is transposed back to [1 | w] and stored.
/// - A rank-1 x[n] (`emitFlat`): `sum` and `mean` add the elements in order on one partition (`emitFlatSum`),
///   as the language's reduction order says. `max` and `min`, which no order changes, use the flat view: the
///   [128 | n / 128] chunks (partition-major, `tile_n` wide) are reduced along the free axis into one [128 | 1]
///   column (the first chunk peeled, the others combined into it), which is reduced across partitions (a
///   transpose and a free-axis reduce) to [1 | 1]; the last n mod 128 elements, one [1 | n mod 128] tile, are
///   reduced and combined; the [1 | 1] result is stored to the [1] output.
struct ColumnReductionTiler {
    let target: MachineTarget
    let sizes: TileSizes

    func emit(into top: TileEmitter, kind: ReduceKind, source: ValueID, shape: [Int], element: ElementType,
              resultElement: ElementType, outputs: [ValueID]) {
        switch kind {
        case .sum, .mean:
            emitSum(into: top, mean: kind == .mean, source: source, rows: shape[0], columns: shape[1], element: element,
                    resultElement: resultElement, outputs: outputs)
        case .max, .min:
            emitExtreme(into: top, max: kind == .max, source: source, rows: shape[0], columns: shape[1], element: element,
                        resultElement: resultElement, outputs: outputs)
        }
    }

    private func emitSum(into top: TileEmitter, mean: Bool, source: ValueID, rows: Int, columns: Int, element: ElementType,
                         resultElement: ElementType, outputs: [ValueID]) {
        let operandElement: ElementType = [.f32, .bf16, .f16].contains(element) ? element : .f32
        top.tiled(extent: columns, tile: sizes.n, name: "j") { (_, block, columnOffset, width) in
            let accumulator = block.alloc(.psum, .f32, partitions: 1, free: [width], name: "colsum")
            block.tiled(extent: rows, tile: sizes.m, name: "i") { (hoist, body, rowOffset, partitions) in
                let loaded = body.alloc(.sbuf, element, partitions: partitions, free: [width], name: "x")
                body.load(source, at: [rowOffset, columnOffset], into: loaded)
                var moving = loaded
                if operandElement != element {
                    moving = body.alloc(.sbuf, operandElement, partitions: partitions, free: [width], name: "x")
                    body.emit(.dveCopy(source: loaded, destination: moving))
                }
                let ones = hoist.alloc(.sbuf, operandElement, partitions: partitions, free: [1], name: "ones")
                hoist.emit(.poolIota(Iota(base: 1, partitionStep: 0, freeStep: 0, destination: ones)))
                let (start, stop) = Self.accumulationFlags(offset: rowOffset, size: partitions, extent: rows, tile: sizes.m)
                body.emit(.peMatmul(PEMatmul(stationary: ones, moving: moving, accumulator: accumulator, start: start, stop: stop)))
            }
            let result = block.alloc(.sbuf, resultElement, partitions: 1, free: [width], name: "colsum")
            if mean {
                // One division of the f32 sum, rounded once (Docs/numerics.md, "Reduction order").
                block.emit(.dveTensorScalar(.div, accumulator, .constant(Double(rows)), destination: result))
            } else {
                block.emit(.dveCopy(source: accumulator, destination: result))
            }
            for output in outputs { block.store(result, to: output, at: [.constant(0), columnOffset]) }
        }
    }

    /// `start` and `stop` of the matmul of the row tile at `offset` (of `size` rows) when `tiled` covers
    /// `extent` rows in tiles of `tile`: the loop over full tiles starts at its first iteration and stops at
    /// its last unless a remainder follows; a peeled tile starts at offset 0 and stops at the end.
    static func accumulationFlags(offset: AffineExpr, size: Int, extent: Int,
                                  tile: Int) -> (start: IterationCondition, stop: IterationCondition) {
        if let term = offset.terms.first {
            let split = TileSplit(extent: extent, tile: tile)
            return (.when(term.variable, equals: 0),
                    split.remainder > 0 ? .never : .when(term.variable, equals: split.fullTiles - 1))
        }
        return (offset.constant == 0 ? .always : .never, offset.constant + size >= extent ? .always : .never)
    }

    private func emitExtreme(into top: TileEmitter, max: Bool, source: ValueID, rows: Int, columns: Int,
                             element: ElementType, resultElement: ElementType, outputs: [ValueID]) {
        let combine: BinaryOperator = max ? .max : .min
        let reduceOp: EngineReduceOp = max ? .max : .min
        let name = max ? "colmax" : "colmin"
        top.tiled(extent: columns, tile: sizes.m, name: "j") { (_, block, columnOffset, width) in
            /// Reduces the row tile at `rowOffset` across its rows into `column` [width | 1].
            func reduceRows(_ body: TileEmitter, rowOffset: AffineExpr, partitions: Int, into column: ValueID) {
                let transposed: ValueID
                if target.dma.canTransposeInFlight {
                    transposed = body.alloc(.sbuf, element, partitions: width, free: [partitions], name: "xT")
                    body.load(source, at: [rowOffset, columnOffset], into: transposed, transpose: true)
                } else {
                    let loaded = body.alloc(.sbuf, element, partitions: partitions, free: [width], name: "x")
                    body.load(source, at: [rowOffset, columnOffset], into: loaded)
                    transposed = body.alloc(.psum, element, partitions: width, free: [partitions], name: "xT_psum")
                    body.emit(.peTranspose(source: loaded, destination: transposed))
                }
                body.emit(.dveReduce(reduceOp, transposed, destination: column))
            }
            let firstRows = Swift.min(sizes.m, rows)
            let running = block.alloc(.sbuf, .f32, partitions: width, free: [1], name: name)
            reduceRows(block, rowOffset: .constant(0), partitions: firstRows, into: running)
            block.tiled(extent: rows - firstRows, tile: sizes.m, name: "i") { (_, body, rowOffset, partitions) in
                let partial = body.alloc(.sbuf, .f32, partitions: width, free: [1], name: "partial")
                reduceRows(body, rowOffset: rowOffset.adding(firstRows), partitions: partitions, into: partial)
                body.emit(.dveTensorTensor(combine, running, partial, destination: running))
            }
            let back = block.alloc(.psum, .f32, partitions: 1, free: [width], name: name + "_psum")
            block.emit(.peTranspose(source: running, destination: back))
            let result = block.alloc(.sbuf, resultElement, partitions: 1, free: [width], name: name)
            block.emit(.dveCopy(source: back, destination: result))
            for output in outputs { block.store(result, to: output, at: [.constant(0), columnOffset]) }
        }
    }

    func emitFlat(into top: TileEmitter, kind: ReduceKind, source: ValueID, elements: Int, element: ElementType,
                  resultElement: ElementType, outputs: [ValueID]) {
        if kind == .sum || kind == .mean {
            return emitFlatSum(into: top, mean: kind == .mean, source: source, elements: elements, element: element,
                               resultElement: resultElement, outputs: outputs)
        }
        let reduceOp: EngineReduceOp = kind == .max ? .max : kind == .min ? .min : .add
        let combine: BinaryOperator = kind == .max ? .max : kind == .min ? .min : .add
        let partitions = sizes.m
        let perPartition = elements / partitions
        let total = top.alloc(.sbuf, .f32, partitions: 1, free: [1], name: "total")
        var haveTotal = false
        if perPartition > 0 {
            let firstWidth = min(perPartition, sizes.n)
            let rows = top.alloc(.sbuf, .f32, partitions: partitions, free: [1], name: "rows")
            let first = top.alloc(.sbuf, element, partitions: partitions, free: [firstWidth], name: "x")
            top.load(source, at: [.constant(0)], into: first)
            top.emit(.dveReduce(reduceOp, first, destination: rows))
            top.tiled(extent: perPartition - firstWidth, tile: sizes.n, name: "c") { (_, body, offset, width) in
                let chunk = body.alloc(.sbuf, element, partitions: partitions, free: [width], name: "x")
                body.load(source, at: [offset.adding(firstWidth).scaled(by: partitions)], into: chunk)
                let partial = body.alloc(.sbuf, .f32, partitions: partitions, free: [1], name: "partial")
                body.emit(.dveReduce(reduceOp, chunk, destination: partial))
                body.emit(.dveTensorTensor(combine, rows, partial, destination: rows))
            }
            let across = top.alloc(.psum, .f32, partitions: 1, free: [kind == .max || kind == .min ? partitions : 1],
                                   name: "across")
            if kind == .max || kind == .min {
                top.emit(.peTranspose(source: rows, destination: across))
                top.emit(.dveReduce(reduceOp, across, destination: total))
            } else {
                let ones = top.alloc(.sbuf, .f32, partitions: partitions, free: [1], name: "ones")
                top.emit(.poolIota(Iota(base: 1, partitionStep: 0, freeStep: 0, destination: ones)))
                top.emit(.peMatmul(PEMatmul(stationary: ones, moving: rows, accumulator: across)))
                top.emit(.dveCopy(source: across, destination: total))
            }
            haveTotal = true
        }
        let tail = elements - perPartition * partitions
        if tail > 0 {
            let last = top.alloc(.sbuf, element, partitions: 1, free: [tail], name: "x")
            top.load(source, at: [.constant(perPartition * partitions)], into: last)
            let partial = haveTotal ? top.alloc(.sbuf, .f32, partitions: 1, free: [1], name: "partial") : total
            top.emit(.dveReduce(reduceOp, last, destination: partial))
            if haveTotal { top.emit(.dveTensorTensor(combine, total, partial, destination: total)) }
        }
        let result = top.alloc(.sbuf, resultElement, partitions: 1, free: [1], name: "total")
        top.emit(.dveCopy(source: total, destination: result))
        for output in outputs { top.store(result, to: output, at: [.constant(0)]) }
    }

    /// The elements per partition of one chunk of a rank-1 sum: 32 KiB of f32.
    static let flatSumChunk = 8192

    /// `sum` / `mean` of a rank-1 x[n] in the language's order (Docs/numerics.md, "Reduction order"): one running
    /// f32 sum on one partition, each [1 | w] chunk (`flatSumChunk` wide) added to it in order by a `dve.reduce`
    /// that starts at the running sum; a mean then divides by n once.
    private func emitFlatSum(into top: TileEmitter, mean: Bool, source: ValueID, elements: Int, element: ElementType,
                             resultElement: ElementType, outputs: [ValueID]) {
        let total = top.alloc(.sbuf, .f32, partitions: 1, free: [1], name: "total")
        let firstWidth = min(elements, Self.flatSumChunk)
        let first = top.alloc(.sbuf, element, partitions: 1, free: [firstWidth], name: "x")
        top.load(source, at: [.constant(0)], into: first)
        top.emit(.dveReduce(.add, first, destination: total))
        top.tiled(extent: elements - firstWidth, tile: Self.flatSumChunk, name: "c") { (_, body, offset, width) in
            let chunk = body.alloc(.sbuf, element, partitions: 1, free: [width], name: "x")
            body.load(source, at: [offset.adding(firstWidth)], into: chunk)
            body.emit(.dveReduce(.add, chunk, destination: total, initial: .value(total)))
        }
        let result = top.alloc(.sbuf, resultElement, partitions: 1, free: [1], name: "total")
        if mean {
            top.emit(.dveTensorScalar(.div, total, .constant(Double(elements)), destination: result))
        } else {
            top.emit(.dveCopy(source: total, destination: result))
        }
        for output in outputs { top.store(result, to: output, at: [.constant(0)]) }
    }
}
