// FunctionLowering+TileScan.swift: `scan(a, b, initial:)` and `cumsum(x, initial:)` of tiles as one `dve.tensor_scan`.

import KilnMachine
import KilnSema
import KilnSource
import KilnSyntax
import KilnTileIR

extension FunctionLowering {
    /// A tile scan: h = a * h + b along the free axis of each partition from h = `initial` (0 by default), which is
    /// NKI's `tensor_tensor_scan` with op0 = multiply and op1 = add. `cumsum(x)` is `scan(1, x)`. Operands that are
    /// not tiles of the result's shape (constants, scalars, per-partition `[P, 1]` tiles) are broadcast into a tile
    /// of the result's dtype first, as the whole-tensor scan converts its operands; `initial:` is the instruction's
    /// per-partition scalar operand.
    func tileScan(_ builtin: Builtin, _ expr: Expr) throws(LoweringFailed) -> Lowered {
        guard case .call(_, let written) = expr.kind else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
        let positional = written.filter { $0.label == nil }.map(\.value)
        var operands: [Lowered] = []
        for argument in positional { operands.append(try lower(argument)) }
        if builtin == .cumsum { operands.insert(.constant(1, .f32), at: 0) }
        // The scan's shape: its widest tile operand (the fewest partitions among equals: a remainder row tile).
        guard operands.count == 2, let shape = operands.compactMap({ $0.tile?.1 }).min(by: {
            ($0.freeElements, -$0.partitions) > ($1.freeElements, -$1.partitions)
        }) else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
        // A `var` filled and not yet written (a carry read before its first write) takes a remainder tile's rows.
        operands = operands.map { fitUnwrittenBuffer($0, toPartitions: shape.partitions) }
        let span = expr.span
        let result = shape.with(element: try checkedType(expr).dtype, space: .sbuf)
        var tiles: [ValueID] = []
        for operand in operands {
            if let (id, tile) = operand.tile, tile.hasSameShape(as: result) {
                tiles.append(id)
            } else if let filled = broadcastIfPossible(operand, like: result, element: result.element, at: span) {
                tiles.append(filled)
            } else {
                throw fail(DiagnosticCatalogue.loweringUnsupported("this scan operand", reason: "it is not a tile of the scan's "
                    + "shape, a [P, 1] tile or a scalar", at: span))
            }
        }
        var initial = ScalarOperand.constant(0)
        if let argument = written.first(where: { $0.label?.name == "initial" }) {
            let lowered = fitUnwrittenBuffer(try lower(argument.value), toPartitions: result.partitions)
            guard let operand = scalarOperand(lowered, partitions: result.partitions) else {
                throw fail(DiagnosticCatalogue.loweringUnsupported("this 'initial:'", reason: "it is not a scalar or a "
                    + "[\(result.partitions), 1] tile", at: argument.value.span))
            }
            initial = operand
        }
        let destination = allocate(result, at: span)
        emit(.dveTensorScan(.mul, .add, tiles[0], tiles[1], destination: destination, initial: initial), at: span)
        return .value(destination, .tile(result))
    }
}
