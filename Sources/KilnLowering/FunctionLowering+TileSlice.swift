// FunctionLowering+TileSlice.swift: a tile's slice used as a value: a view of a window of it, or a copy of one.

import KilnMachine
import KilnSema
import KilnSource
import KilnSyntax
import KilnTileIR

extension FunctionLowering {
    /// `t[0 : p, lo : hi, ...]` of a tile: a tile holding the leading `p` partitions and one contiguous run of each
    /// (the checker's K2161 and K2162), from the run's offset in the row-major free elements: a view of `t` unless
    /// `t` is a `var`'s buffer, which later statements may overwrite while the slice's value is still in use. The bounds are constants here (their loop variables were unrolled). A window
    /// that reaches past a remainder tile's end is clipped to the elements the tile holds, as a load is; one
    /// that starts past it is an error.
    func tileSlice(_ source: Lowered, _ expr: Expr, aliasing: Bool? = nil) throws(LoweringFailed) -> Lowered {
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
        return .value(window(of: id, offset: offset, as: result, aliasing: aliasing ?? !isBuffer(id), at: expr.span), .tile(result))
    }

    /// A tile of type `window` holding, in each of its partitions (the source's leading ones), the source's free
    /// elements from `offset` on. When the source is an SBUF tile of the window's element that nothing writes while
    /// the window is in use (`aliasing`: not a `var`'s buffer), the window is a `view` of it: the same bytes, read
    /// in place as the hardware's access patterns do, no instruction. Otherwise (a PSUM source, a conversion, a
    /// buffer a later statement may overwrite) it is a fresh SBUF tile filled by one `dve.copy_columns`. Tile
    /// slices, the crop of a full tile to the region a remainder tile holds, and the store of a full tile into a
    /// clipped slice all take their window so.
    func window(of source: ValueID, offset: Int, as window: TileType, aliasing: Bool, at span: SourceSpan) -> ValueID {
        if aliasing, case .tile(let tile)? = type(of: source), tile.space == .sbuf, window.space == .sbuf,
           tile.element == window.element {
            return value(.view(source, offset: offset), .tile(window), at: span)
        }
        let destination = allocate(window, at: span)
        emit(.dveCopyColumns(source: source, offset: offset, destination: destination), at: span)
        return destination
    }

    /// `t[items] = e` and `t[items] += e`: the window is a view of the buffer (`tileSlice`, aliasing), written by one
    /// instruction: `dve.copy` of a tile (converting to the buffer's dtype), a fill with a constant, or an add of a
    /// tile (`dve.tensor_tensor`) or a scalar (`dve.tensor_scalar`). The write covers the region the window and a
    /// tile value both hold (a remainder tile, or a window clipped at the buffer's region): the larger one is
    /// narrowed to that corner by a view of it. The first write into a buffer declared without a fill gives it the
    /// value's partitions; from then on the buffer keeps its region.
    func assignWindow(_ target: Expr, _ op: AssignOp, _ value: Expr, span: SourceSpan) throws(LoweringFailed) {
        guard case .index(let base, _) = target.kind, case .name(let name) = base.kind else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: target.span))
        }
        let lowered = try lower(value)
        let identifier = Identifier(name, span: base.span)
        // The first write into a buffer declared without a fill gives it the value's partitions (a remainder tile's
        // rows), as a whole write would; its free dims stay whole.
        var shape: [Int]?
        if let key = varScopes.reversed().lazy.compactMap({ $0[name] }).first, let state = buffers[key], !state.written,
           !state.filled, case .tile(let buffer)? = type(of: state.id), let (_, tile) = lowered.tile,
           tile.partitions < buffer.partitions {
            shape = [tile.partitions] + buffer.freeDims
        }
        let (_, state, buffer) = try self.buffer(identifier, shape: shape, at: span)
        guard let (window, windowTile) = try tileSlice(.value(state.id, .tile(buffer)), target, aliasing: true).tile,
              windowTile.space == .sbuf else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: target.span))
        }
        switch (op, lowered) {
        case (.assign, .constant(let number, _)):
            _ = fill(windowTile, with: number, at: span, into: window)
        case (_, .value(let id, .tile(let tile))):
            let region = zip(windowTile.shape, tile.shape).map { min($0, $1) }
            guard tile.shape.count == windowTile.shape.count, region.dropFirst(2) == windowTile.shape.dropFirst(2),
                  region.dropFirst(2) == tile.shape.dropFirst(2) else {
                throw fail(DiagnosticCatalogue.loweringRemainder("the window \(IRType.tile(windowTile)) and the value "
                    + "\(IRType.tile(tile)) differ in a free dim after the first", at: span))
            }
            let corner = { (source: ValueID, tile: TileType) -> (ValueID, TileType) in
                let narrowed = TileType(tile.space, tile.element, partitions: region[0], free: Array(region.dropFirst()))
                guard narrowed.shape != tile.shape else { return (source, tile) }
                return (self.window(of: source, offset: 0, as: narrowed.with(element: tile.element, space: .sbuf),
                                    aliasing: true, at: span), narrowed.with(element: tile.element, space: .sbuf))
            }
            let (destination, _) = corner(window, windowTile)
            let (source, _) = corner(id, tile)
            if op == .assign {
                emit(.dveCopy(source: source, destination: destination), at: span)
            } else {
                emit(.dveTensorTensor(.add, destination, source, destination: destination), at: span)
            }
        case (.accumulate, _):
            guard let scalar = scalarOperand(lowered, partitions: windowTile.partitions) else {
                throw fail(DiagnosticCatalogue.loweringUntyped(at: value.span))
            }
            emit(.dveTensorScalar(.add, window, scalar, destination: window), at: span)
        default:
            throw fail(DiagnosticCatalogue.loweringUnsupported("this assignment", reason: "a window takes a tile or a constant",
                                                               at: value.span))
        }
    }

    /// True if `tile` is the buffer of a `var` (statements may overwrite it while a window of it is in use).
    func isBuffer(_ tile: ValueID) -> Bool {
        buffers.values.contains { $0.id == tile }
    }
}
