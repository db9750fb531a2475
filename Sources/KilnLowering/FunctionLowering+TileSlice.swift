// FunctionLowering+TileSlice.swift: a tile's slice used as a value: a view of a window of it, or a copy of one.

import KilnMachine
import KilnSema
import KilnSource
import KilnSyntax
import KilnTileIR

extension FunctionLowering {
    /// `t[0 : p, lo : hi, ...]` of a tile: a tile holding the leading `p` partitions and one contiguous run of each
    /// (the checker's K2161 and K2162), from the run's offset in the row-major free elements (with a step on the last
    /// item, `lo : hi : s`, every s-th element of the run: one `dve.copy_strided`): a view of `t`, unless
    /// `t` is a `var`'s buffer and the slice is what a `let` binds (later statements may overwrite the buffer while
    /// the `let` is still in use, so it gets a copy). Anywhere else the slice is an operand read at once. The bounds are constants here (their loop variables were unrolled). A window
    /// that reaches past a remainder tile's end is clipped to the elements the tile holds, as a load is; one
    /// that starts past it is an error.
    func tileSlice(_ source: Lowered, _ expr: Expr, aliasing: Bool? = nil) throws(LoweringFailed) -> Lowered {
        guard let (id, tile) = source.tile, let infos = program.slices[expr.id], infos.count == tile.shape.count else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span))
        }
        var starts: [Int] = [], sizes: [Int] = [], step = 1
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
            // A step (the checker allows one on the last item only): the elements start, start + step, ... inside.
            step = try self.size(info.step, at: expr.span)
            starts.append(start.constant)
            sizes.append(min(size, (extent - start.constant + step - 1) / max(1, step)))
        }
        // The run starts at the first free dim's offset (later dims are whole, so start at 0) in row-major order.
        var offset = 0
        for axis in 1..<tile.shape.count {
            offset = offset * tile.shape[axis] + starts[axis]
        }
        // One run: the dims after the last one not taken whole are whole, those before it have size 1 (the checker's
        // rule, checked again here because a remainder tile's clipped dims may break it).
        let free = Array(sizes.dropFirst())
        let partial = free.indices.last { free[$0] != tile.freeDims[$0] }
        if let partial, free[..<partial].contains(where: { $0 != 1 }) {
            throw fail(DiagnosticCatalogue.loweringRemainder(
                "a slice of a remainder tile with several free dims must take the clipped dims whole", at: expr.span))
        }
        let result = TileType(.sbuf, tile.element, partitions: sizes[0], free: free.isEmpty ? [1] : free)
        if step > 1 {
            // A strided read is not a view (a view is one contiguous run of its root's bytes): one vector-engine copy
            // whose source access pattern steps along the free dim.
            let destination = allocate(result, at: expr.span)
            emit(.dveCopyStrided(source: id, offset: offset, step: step, destination: destination), at: expr.span)
            return .value(destination, .tile(result))
        }
        return .value(window(of: id, offset: offset, as: result, aliasing: aliasing ?? !(aliasesBuffer(id) && boundExpression == expr.id), at: expr.span), .tile(result))
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
            let view = value(.view(source, offset: offset), .tile(window), at: span)
            viewRoots[view] = viewRoots[source] ?? source
            return view
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
        if op == .assign, case .call(_, let arguments) = value.kind, case .builtin(.load)? = program.calls[value.id] {
            return try loadIntoWindow(target, name: name, base: base, source: arguments[0].value, span: span)
        }
        var lowered: Lowered
        if op == .assign, case .call(_, let arguments) = value.kind, case .builtin(let builtin)? = program.calls[value.id],
           builtin == .bn_stats || builtin == .bn_aggr {
            let operand = try lower(arguments[0].value)
            if try statisticsIntoWindow(target, name: name, base: base, builtin, operand, span: span) { return }
            lowered = try statisticsTile(builtin, operand, at: value.span)
        } else {
            lowered = try lower(value)
        }
        let (state, buffer) = try windowBuffer(name, base: base, rows: lowered.tile?.1.partitions, at: span)
        guard var (window, windowTile) = try tileSlice(.value(state.id, .tile(buffer)), target, aliasing: true).tile,
              windowTile.space == .sbuf else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: target.span))
        }
        if case .value(let id, .tile(let tile)) = lowered {
            // A value read through a view of this very buffer is copied first: the write may overlap it.
            if (viewRoots[id] ?? id) == state.id {
                let copy = self.window(of: id, offset: 0, as: tile.with(element: tile.element, space: .sbuf), aliasing: false, at: span)
                lowered = .value(copy, .tile(tile.with(element: tile.element, space: .sbuf)))
            }
            (window, windowTile) = try regroup(window, windowTile, like: tile, at: span)
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

    /// The buffer a window assignment writes, marked written. The first write into a buffer declared without a fill
    /// gives it the value's `rows` when fewer (a remainder tile's), as a whole write would; its free dims stay whole.
    private func windowBuffer(_ name: String, base: Expr, rows: Int?,
                              at span: SourceSpan) throws(LoweringFailed) -> (BufferState, TileType) {
        var shape: [Int]?
        if let rows, let key = bufferKey(name), let state = buffers[key], !state.written, !state.filled,
           case .tile(let tile)? = type(of: state.id), rows < tile.partitions {
            shape = [rows] + tile.freeDims
        }
        let (_, state, tile) = try buffer(Identifier(name, span: base.span), shape: shape, at: span)
        return (state, tile)
    }

    /// `t[items] = bn_stats(x)` / `bn_aggr(x)` (`operand` is x lowered): one `dve.bn_stats` / `dve.bn_aggr` straight
    /// into the window when the window is an f32 SBUF view of exactly the result's shape (NKI's kernels write each
    /// chunk's statistics into their columns of one buffer); false, with nothing emitted, otherwise.
    private func statisticsIntoWindow(_ target: Expr, name: String, base: Expr, _ builtin: Builtin, _ operand: Lowered,
                                      span: SourceSpan) throws(LoweringFailed) -> Bool {
        guard let (source, tile) = operand.tile,
              let key = bufferKey(name), let state = buffers[key],
              case .tile(let buffer)? = type(of: state.id), buffer.element == .f32,
              buffer.space == .sbuf, buffer.partitions == tile.partitions else { return false }
        let result = TileType(.sbuf, .f32, partitions: tile.partitions,
                              free: [builtin == .bn_stats ? BatchNormStats.statsWidth : 2])
        let (_, written, _) = try self.buffer(Identifier(name, span: base.span), shape: nil, at: span)
        guard let (window, windowTile) = try tileSlice(.value(written.id, .tile(buffer)), target, aliasing: true).tile,
              windowTile == result else { return false }
        emit(.engine(EngineInstruction(builtin == .bn_stats ? .dveBnStats : .dveBnAggr, [.tile(source), .tile(window)])),
             at: span)
        return true
    }

    /// `t[items] = load(src)`: one `dma.load` straight into the window (a view of the buffer in the loaded tile's
    /// shape: the clipped slice's region), no copy.
    private func loadIntoWindow(_ target: Expr, name: String, base: Expr, source: Expr, span: SourceSpan) throws(LoweringFailed) {
        let slice = try hbmSlice(source)
        let loaded = try tileType(.sbuf, slice.element, Self.tileShape(ofSlice: slice.shape, source), at: span)
        let (state, buffer) = try windowBuffer(name, base: base, rows: loaded.partitions, at: span)
        guard let (window, windowTile) = try tileSlice(.value(state.id, .tile(buffer)), target, aliasing: true).tile else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: target.span))
        }
        let (into, intoTile) = try regroup(window, windowTile, like: loaded, at: span)
        guard intoTile.shape == loaded.shape else {
            throw fail(DiagnosticCatalogue.loweringRemainder("the window \(IRType.tile(intoTile)) does not hold the loaded "
                + "\(IRType.tile(loaded))", at: span))
        }
        emit(.dmaLoad(DMATransfer(hbm: slice.hbm, offsets: slice.offsets, tile: into)), at: span)
    }

    /// The window as a view grouped like `value`'s free dims when the two differ only in size-1 dims (`t[:, k, :]` of
    /// a `[P, K, F]` buffer is `[P, 1, F]`; a `[P, F]` value goes in), taking the region both hold along the one
    /// free dim left. Any other window is returned as it is.
    private func regroup(_ window: ValueID, _ windowTile: TileType, like value: TileType,
                         at span: SourceSpan) throws(LoweringFailed) -> (ValueID, TileType) {
        let squeezed = windowTile.freeDims.filter { $0 != 1 }, valueSqueezed = value.freeDims.filter { $0 != 1 }
        guard windowTile.freeDims != value.freeDims, squeezed.count <= 1, valueSqueezed.count <= 1 else {
            return (window, windowTile)
        }
        let free = value.freeDims.map { $0 == 1 ? 1 : min($0, windowTile.freeElements) }
        let regrouped = TileType(windowTile.space, windowTile.element, partitions: windowTile.partitions, free: free)
        return (self.window(of: window, offset: 0, as: regrouped, aliasing: true, at: span), regrouped)
    }

    /// True if `tile` is the buffer of a `var`, or a view of one (statements may overwrite it while a window of it
    /// is in use).
    func aliasesBuffer(_ tile: ValueID) -> Bool {
        let root = viewRoots[tile] ?? tile
        return buffers.values.contains { $0.id == root }
    }
}
