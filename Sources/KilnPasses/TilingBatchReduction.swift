// TilingBatchReduction.swift: the `tile` pass on a reduction over a batch axis of a rank-3/4 tensor.

import KilnMachine
import KilnTileIR

/// `sum` / `mean` / `max` / `min` of `x: [..., Ba, ..., R, C]` over a batch axis (one before the last two).
///
/// Algorithm. The result keeps the axis with size 1, and its other batch dims are looped over as in
/// `tileBatched`. For each of those batch indices, the last two dims are covered by row tiles of `tile_m`
/// partitions (remainder peeled) and column chunks of at most `tile_n` elements, and for each such
/// `[P | w]` window: the slice at index 0 of the reduced axis is loaded and copied into an accumulator tile
/// (f32 for floats, so a bf16 sum rounds once at the end; i32 for integers), then a `for` loop over indices
/// 1 ..< Ba loads each slice and combines it on the vector engine (`dve.tensor_tensor add | max | min`).
/// `mean` divides by Ba once. The accumulator is converted to the result's dtype (a copy) and stored.
/// The slices of one window are independent loads, so `double-buffer` overlaps them with the adds.
extension FunctionTiler {
    mutating func tileBatchAxisReduction(_ op: Operation, kind: ReduceKind, source: ValueID, axis: Int, into top: TileEmitter,
                                         sizes: TileSizes, hbmSources: [ValueID: ValueID],
                                         stores: [GroupStore]) throws(TilingError) {
        let (hbm, tensor) = try hbmOperand(source, of: op, sources: hbmSources)
        let rank = tensor.rank
        guard rank > 2, axis < rank - 2, let resultElement = op.result?.type.element else {
            throw .unsupported(op, "it is not a reduction over a batch axis")
        }
        let element = tensor.element
        let accumulator: ElementType = element == .i32 ? .i32 : .f32
        guard element.isFloat || element == .i32, !(kind == .mean && element == .i32) else {
            throw .unsupported(op, "\(kind) over a batch axis of \(element) values")
        }
        let alu: BinaryOperator = kind == .max ? .max : kind == .min ? .min : .add
        let (rows, columns, extent) = (tensor.shape[rank - 2], tensor.shape[rank - 1], tensor.shape[axis])
        top.span = op.span
        // Loops over the result's batch dims (the reduced axis has extent 1 there).
        let nest = top.child()
        var index: [AffineExpr] = []
        var loops: [(variable: ValueDef, extent: Int)] = []
        for dim in 0..<(rank - 2) {
            if dim == axis || tensor.shape[dim] == 1 {
                index.append(.constant(0))
            } else {
                let variable = top.values.make(.index, name: "batch\(dim)")
                loops.append((variable, tensor.shape[dim]))
                index.append(AffineExpr(terms: [.init(variable.id, 1)]))
            }
        }
        let reducedName = "r\(axis)"
        try nest.tiled(extent: columns, tile: min(sizes.n, columns), name: "j") { (_, chunk, column, width) throws(TilingError) in
            try chunk.tiled(extent: rows, tile: sizes.m, name: "i") { (_, body, row, partitions) throws(TilingError) in
                let free = [width]
                func slice(_ at: AffineExpr) -> [AffineExpr] {
                    var offsets = index
                    offsets[axis] = at
                    return offsets + [row, column]
                }
                let first = body.alloc(.sbuf, element, partitions: partitions, free: free, name: "x")
                body.load(hbm, at: slice(.constant(0)), into: first)
                let total = body.alloc(.sbuf, accumulator, partitions: partitions, free: free, name: "total")
                if alu == .add && element.isFloat {
                    // A sum starts at +0 (Docs/numerics.md, "Reduction order"): +0 + x0, then the rest in order.
                    body.emit(.dveTensorScalar(.add, first, .constant(0), destination: total))
                } else {
                    body.emit(.dveCopy(source: first, destination: total))
                }
                if extent > 1 {
                    let variable = body.values.make(.index, name: reducedName)
                    let step = body.child()
                    let next = step.alloc(.sbuf, element, partitions: partitions, free: free, name: "x")
                    step.load(hbm, at: slice(AffineExpr(terms: [.init(variable.id, 1)])), into: next)
                    step.emit(.dveTensorTensor(alu, total, next, destination: total))
                    body.ops.append(Operation(.forLoop(ForLoop(inductionVariable: variable, lowerBound: 1, upperBound: extent,
                                                               body: Block(step.ops))), span: body.span))
                }
                if kind == .mean {
                    body.emit(.dveTensorScalar(.div, total, .constant(Double(extent)), destination: total))
                }
                var result = total
                if resultElement != accumulator {
                    result = body.alloc(.sbuf, resultElement, partitions: partitions, free: free, name: "out")
                    body.emit(.dveCopy(source: total, destination: result))
                }
                for store in stores {
                    var offsets = index
                    offsets[axis] = .constant(0)
                    body.store(result, to: store.output.id, at: offsets + [row, column])
                }
            }
        }
        var block = Block(nest.ops)
        for loop in loops.reversed() {
            block = Block([Operation(.forLoop(ForLoop(inductionVariable: loop.variable, lowerBound: 0, upperBound: loop.extent,
                                                      body: block)), span: op.span)])
        }
        top.ops += block.ops
    }
}
