// FunctionLowering+TileSlice.swift: a tile's slice used as a value: one vector-engine copy of a window of it.

import KilnMachine
import KilnSema
import KilnSource
import KilnSyntax
import KilnTileIR

extension FunctionLowering {
    /// `t[0 : p, lo : hi, ...]` of a tile: a new SBUF tile holding the leading `p` partitions and one contiguous run
    /// of each (the checker's K2161 and K2162), copied by `dve.copy_columns` from the run's offset in the
    /// row-major free elements. The bounds are constants here (their loop variables were unrolled). A window
    /// that reaches past a remainder tile's end is clipped to the elements the tile holds, as a load is; one
    /// that starts past it is an error.
    func tileSlice(_ source: Lowered, _ expr: Expr) throws(LoweringFailed) -> Lowered {
        guard let (id, tile) = source.tile, let infos = program.slices[expr.id], infos.count == tile.shape.count else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span))
        }
        var starts: [Int] = [], sizes: [Int] = []
        for (info, extent) in zip(infos, tile.shape) {
            let start = try affine(info.lower, at: expr.span)
            guard start.terms.isEmpty else {
                throw fail(DiagnosticCatalogue.loweringUnsupported("this tile slice",
                    reason: "its start is not a constant in this copy of the loop body", at: expr.span))
            }
            let size = try self.size(info.size, at: expr.span)
            guard start.constant >= 0, start.constant < extent else {
                throw fail(DiagnosticCatalogue.loweringRemainder(
                    "the tile slice starts at \(start.constant), outside a dim of size \(extent)", at: expr.span))
            }
            starts.append(start.constant)
            sizes.append(min(size, extent - start.constant))
        }
        // The run starts at the first free dim's offset (later dims are whole, so start at 0) in row-major order.
        var offset = 0
        for axis in 1..<tile.shape.count {
            offset = offset * tile.shape[axis] + starts[axis]
        }
        let free = Array(sizes.dropFirst())
        let clippedRun = zip(free.dropFirst(), tile.freeDims.dropFirst()).contains { $0 != $1 }
        if free.count > 1 && clippedRun {
            throw fail(DiagnosticCatalogue.loweringRemainder(
                "a slice of a remainder tile with several free dims must take the clipped dims whole", at: expr.span))
        }
        let result = TileType(.sbuf, tile.element, partitions: sizes[0], free: free.isEmpty ? [1] : free)
        return .value(copyWindow(id, offset: offset, into: result, at: expr.span), .tile(result))
    }

    /// A fresh SBUF tile of type `window` holding, in each of its partitions (the source's leading ones), the
    /// source's free elements from `offset` on: one `dve.copy_columns`. Tile slices, the crop of a full tile to the
    /// region a remainder tile holds, and the store of a full tile into a clipped slice all take their window so.
    func copyWindow(_ source: ValueID, offset: Int, into window: TileType, at span: SourceSpan) -> ValueID {
        let destination = allocate(window, at: span)
        emit(.dveCopyColumns(source: source, offset: offset, destination: destination), at: span)
        return destination
    }
}
