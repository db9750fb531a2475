// FunctionLowering+Tiles.swift: tile-form code to engine ops: loads, stores, matmuls, elementwise math on tiles.

import KilnMachine
import KilnSema
import KilnSource
import KilnSyntax
import KilnTileIR

// Tile-form conventions. Every tile value (`load`, elementwise results, `copy`, `nc_matmul`) is a fresh
// `alloc`ed tile written by one engine op: `dma.load`/`dma.store` for HBM traffic, `pe.matmul` for
// `nc_matmul`, `act.activate` for math functions and negation, `dve.tensor_tensor` for two equal-shaped
// tiles, `dve.tensor_scalar` for a tile with a constant, a scalar or a per-partition [P | 1] tile,
// `dve.reduce` for reductions along the free axis (`mean` adds a multiply by 1/F), `dve.copy` for casts and
// copies, `pool.select` for select. Tile shapes come from the operands, not from the checker, so the
// clipped tiles of a peeled remainder iteration flow through the code that uses them.

extension FunctionLowering {
    /// A new tile.
    func allocate(_ tile: TileType, at span: SourceSpan, name: String? = nil) -> ValueID {
        value(.alloc(tile, nil), .tile(tile), at: span, name: name)
    }

    /// `load(src)`: a fresh SBUF tile of the (clipped) slice's shape, filled by `dma.load`.
    func load(_ source: Expr, at span: SourceSpan) throws(LoweringFailed) -> Lowered {
        if program.indirectLoads.contains(source.id) { return try indirectLoad(source) }
        let slice = try hbmSlice(source)
        let tile = try tileType(.sbuf, slice.element, Self.tileShape(ofSlice: slice.shape, source), at: span)
        let id = allocate(tile, at: span)
        emit(.dmaLoad(DMATransfer(hbm: slice.hbm, offsets: slice.offsets, tile: id)), at: span)
        return .value(id, .tile(tile))
    }

    /// `load(table[idx, lo : hi])` with an index tile: a fresh SBUF tile with the index tile's partitions and the
    /// (clipped) columns, filled by `dma.indirect_load` (located at the slice, where every executor reports an index
    /// outside the table).
    private func indirectLoad(_ source: Expr) throws(LoweringFailed) -> Lowered {
        guard case .index(_, let items) = source.kind, case .index(let indexExpr)? = items.first,
              let (indices, indexTile) = try lower(indexExpr).tile else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: source.span))
        }
        let slice = try hbmSlice(source)
        guard slice.offsets.count == 2, slice.shape.count == 2 else { throw fail(DiagnosticCatalogue.loweringUntyped(at: source.span)) }
        let tile = try tileType(.sbuf, slice.element, [indexTile.partitions, slice.shape[1]], at: source.span)
        let id = allocate(tile, at: source.span)
        emit(.dmaIndirectLoad(table: slice.hbm, column: slice.offsets[1], indices: indices, into: id), at: source.span)
        return .value(id, .tile(tile))
    }

    /// `store(dst, tile)`: `dma.store` into the result slice; a tile of another dtype is converted first. A tile
    /// larger than a slice clipped at the tensor's end (a full tile stored into a remainder) stores its leading
    /// corner, the elements the slice holds, as the reference does.
    func store(_ destination: Expr, _ source: Expr, at span: SourceSpan) throws(LoweringFailed) {
        let slice = try hbmSlice(destination)
        guard var (id, tile) = try lower(source).tile else { throw fail(DiagnosticCatalogue.loweringUntyped(at: source.span)) }
        let wanted = Self.tileShape(ofSlice: slice.shape, destination)
        if tile.shape != wanted, tile.freeDims.count == 1, wanted.count == 2, wanted[0] <= tile.partitions,
           wanted[1] <= tile.freeElements {
            let corner = TileType(.sbuf, slice.element, partitions: wanted[0], free: [wanted[1]])
            (id, tile) = (window(of: id, offset: 0, as: corner, aliasing: true, at: span), corner)
        }
        guard tile.shape == wanted else {
            throw fail(DiagnosticCatalogue.loweringRemainder("the stored tile is \(IRType.tile(tile)) but the clipped slice "
                + "is [\(slice.shape.map(String.init).joined(separator: ", "))]; load the tile with the same slice bounds", at: span))
        }
        if tile.element != slice.element || tile.space != .sbuf {
            id = try tileCopy(id, tile, element: slice.element, at: span)
            tile = tile.with(element: slice.element, space: .sbuf)
        }
        emit(.dmaStore(DMATransfer(hbm: slice.hbm, offsets: slice.offsets, tile: id)), at: span)
    }

    /// The tile a slice loads into or stores from: the (clipped) slice without its leading plain indices, as the
    /// checker types it (`TileSlice.droppedDims`).
    static func tileShape(ofSlice shape: [Int], _ sliceExpr: Expr) -> [Int] {
        guard case .index(_, let items) = sliceExpr.kind else { return shape }
        return Array(shape.dropFirst(TileSlice.droppedDims(items)))
    }

    /// An HBM tensor or a slice of one: its value, offsets in loop variables, and its shape clipped to the
    /// tensor where the start is known (a remainder iteration).
    func hbmSlice(_ expr: Expr) throws(LoweringFailed) -> (hbm: ValueID, element: ElementType, offsets: [IRAffine], shape: [Int]) {
        var base = expr
        var items: [SliceInfo]?
        if case .index(let inner, _) = expr.kind {
            base = inner
            items = program.slices[expr.id]
        }
        let hbm: ValueID
        switch program.resolutions[base.id] {
        case .parameter(let index)?:
            guard index < parameters.count, case .value(let id, _) = parameters[index] else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
            hbm = id
        case .result(let index)? where index < results.count:
            hbm = results[index]
        default:
            throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span))
        }
        guard case .hbm(let tensor)? = type(of: hbm) else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
        guard let items else { return (hbm, tensor.element, tensor.shape.map { _ in .constant(0) }, tensor.shape) }
        var offsets: [IRAffine] = []
        var shape: [Int] = []
        for (item, dimSize) in zip(items, tensor.shape) {
            let offset = try affine(item.lower, at: expr.span)
            var extent = try size(item.size, at: expr.span)
            if offset.terms.isEmpty {
                if offset.constant >= dimSize || offset.constant < 0 {
                    throw fail(DiagnosticCatalogue.loweringRemainder(
                        "the slice starts at \(offset.constant), outside a dim of size \(dimSize)", at: expr.span))
                }
                extent = Swift.min(extent, dimSize - offset.constant)
            }
            offsets.append(offset)
            shape.append(extent)
        }
        return (hbm, tensor.element, offsets, shape)
    }

    /// An affine index in IR terms: dims become constants; loop variables become IR induction variables,
    /// or constants in peeled iterations.
    func affine(_ expr: SemaAffine, at span: SourceSpan) throws(LoweringFailed) -> IRAffine {
        var result = IRAffine(constant: expr.constant)
        for variable in expr.variables {
            let coefficient = expr.terms[variable] ?? 0
            let value: Int
            switch variable.kind {
            case .dim:
                value = try size(.symbol(variable.name), at: span)
            case .loop:
                guard let frame = loopFrames.last(where: { $0.name == variable.name }) else {
                    throw fail(DiagnosticCatalogue.loweringUntyped(at: span))
                }
                if case .value(let id, _) = frame.value {
                    result.terms.append(.init(id, coefficient))
                    for term in frame.offset.terms { result.terms.append(.init(term.variable, term.coefficient * coefficient)) }
                    let (shift, o1) = frame.offset.constant.multipliedReportingOverflow(by: coefficient)
                    let (sum, o2) = result.constant.addingReportingOverflow(shift)
                    if o1 || o2 { throw fail(DiagnosticCatalogue.loweringOverflow("a slice bound", at: span)) }
                    result.constant = sum
                    continue
                }
                guard case .constant(let number, _) = frame.value else { continue }
                value = Int(number)
            }
            let (product, overflow1) = coefficient.multipliedReportingOverflow(by: value)
            let (sum, overflow2) = result.constant.addingReportingOverflow(product)
            if overflow1 || overflow2 { throw fail(DiagnosticCatalogue.loweringOverflow("a slice bound", at: span)) }
            result.constant = sum
        }
        return result
    }

    /// A tile type from a shape (partition dim first).
    func tileType(_ space: KilnMachine.MemorySpace, _ element: ElementType, _ shape: [Int], at span: SourceSpan) throws(LoweringFailed) -> TileType {
        guard shape.count >= 2 else {
            throw fail(DiagnosticCatalogue.loweringUnsupported("a rank-1 tile",
                reason: "a tile needs a partition dim and a free dim; slice it as [P, 1] or [1, F]", at: span))
        }
        return TileType(space, element, partitions: shape[0], free: Array(shape.dropFirst()))
    }

    /// `nc_matmul(stationary, moving)` into a fresh PSUM tile (or `into`), as one whole accumulation group.
    func matmulTile(_ stationary: Expr, _ moving: Expr, into destination: ValueID?, at span: SourceSpan,
                    start: IterationCondition = .always, stop: IterationCondition = .always) throws(LoweringFailed) -> Lowered {
        try matmulTile(try lower(stationary), try lower(moving), into: destination, at: span, start: start, stop: stop)
    }

    /// `nc_matmul` of operands already lowered (each operand expression is lowered once: a `load` written
    /// inline is one DMA).
    func matmulTile(_ stationary: Lowered, _ moving: Lowered, into destination: ValueID?, at span: SourceSpan,
                    start: IterationCondition = .always, stop: IterationCondition = .always) throws(LoweringFailed) -> Lowered {
        guard let (s, sTile) = stationary.tile, let (m, mTile) = moving.tile else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: span))
        }
        let result = TileType(.psum, .f32, partitions: sTile.freeElements, free: [mTile.freeElements])
        let accumulator = destination ?? allocate(result, at: span)
        emit(.peMatmul(PEMatmul(stationary: s, moving: m, accumulator: accumulator, start: start, stop: stop)), at: span)
        return .value(accumulator, .tile(result))
    }

    /// `nc_transpose(t)`: `pe.transpose` of an SBUF [P | F] tile into a fresh PSUM [F | P] tile of its dtype.
    func transposeTile(_ operand: Lowered, at span: SourceSpan) throws(LoweringFailed) -> Lowered {
        guard let (source, tile) = operand.tile else { throw fail(DiagnosticCatalogue.loweringUntyped(at: span)) }
        let result = TileType(.psum, tile.element, partitions: tile.freeElements, free: [tile.partitions])
        let destination = allocate(result, at: span)
        emit(.peTranspose(source: source, destination: destination), at: span)
        return .value(destination, .tile(result))
    }

    /// `bn_stats(t)` / `bn_aggr(s)`: one `dve.bn_stats` / `dve.bn_aggr` into a fresh f32 SBUF tile of t's partitions
    /// and 6 (2) columns.
    func statisticsTile(_ builtin: Builtin, _ operand: Lowered, at span: SourceSpan) throws(LoweringFailed) -> Lowered {
        guard let (source, tile) = operand.tile else { throw fail(DiagnosticCatalogue.loweringUntyped(at: span)) }
        let stats = builtin == .bn_stats
        let result = TileType(.sbuf, .f32, partitions: tile.partitions, free: [stats ? BatchNormStats.statsWidth : 2])
        let destination = allocate(result, at: span)
        emit(.engine(EngineInstruction(stats ? .dveBnStats : .dveBnAggr, [.tile(source), .tile(destination)])), at: span)
        return .value(destination, .tile(result))
    }

    /// `activation(f, x, bias: b, scale: s)`: one `act.activate` (f, scale and bias as the checker recorded them)
    /// into a fresh SBUF tile of x's dtype.
    func activationTile(_ expr: Expr) throws(LoweringFailed) -> Lowered {
        guard let call = program.activations[expr.id], case .call(_, let written) = expr.kind else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span))
        }
        let positional = written.filter { $0.label == nil }.map(\.value)
        guard positional.count == 2, let (source, tile) = try lower(positional[1]).tile else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span))
        }
        var bias = ScalarOperand.constant(0)
        if let id = call.bias, let argument = written.first(where: { $0.value.id == id }) {
            guard let operand = scalarOperand(try lower(argument.value), partitions: tile.partitions) else {
                throw fail(DiagnosticCatalogue.loweringUntyped(at: argument.value.span))
            }
            bias = operand
        }
        var scale = ScalarOperand.constant(call.scale)
        if let id = call.scaleTile, let argument = written.first(where: { $0.value.id == id }) {
            guard let operand = scalarOperand(try lower(argument.value), partitions: tile.partitions) else {
                throw fail(DiagnosticCatalogue.loweringUntyped(at: argument.value.span))
            }
            scale = operand
        }
        let result = tile.with(element: try checkedType(expr).dtype, space: .sbuf)
        let destination = allocate(result, at: expr.span)
        emit(.actActivate(Activation(function: call.function, source: source, destination: destination, scale: scale,
                                     bias: bias)), at: expr.span)
        return .value(destination, .tile(result))
    }

    /// `affine_select(x, fill, ...)`: one `pool.affine_select` into a fresh SBUF tile of x's type (a PSUM x is copied
    /// to SBUF first: the gpsimd engine reads SBUF only).
    func affineSelectTile(_ expr: Expr) throws(LoweringFailed) -> Lowered {
        guard let call = program.affineSelects[expr.id], case .call(_, let written) = expr.kind,
              let first = written.first(where: { $0.label == nil }), var (source, tile) = try lower(first.value).tile else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span))
        }
        if tile.space != .sbuf {
            source = try tileCopy(source, tile, element: tile.element, at: expr.span)
            tile = tile.with(element: tile.element, space: .sbuf)
        }
        let destination = allocate(tile, at: expr.span)
        emit(.engine(EngineInstruction(.poolAffineSelect, [
            .tile(source), .tile(destination), .affine(try affine(call.offsetAffine, at: expr.span)),
            .integer(call.partition), .integer(call.free), .float(call.fill),
        ])), at: expr.span)
        return .value(destination, .tile(tile))
    }

    /// `dve.copy` into a fresh SBUF tile of `element`.
    func tileCopy(_ source: ValueID, _ tile: TileType, element: ElementType, at span: SourceSpan) throws(LoweringFailed) -> ValueID {
        let destination = allocate(tile.with(element: element, space: .sbuf), at: span)
        emit(.dveCopy(source: source, destination: destination), at: span)
        return destination
    }

    /// A tile filled with a constant: `pool.iota` with zero steps (its base when the constant is an integer),
    /// plus a `dve.tensor_scalar add` otherwise; PSUM tiles are filled through an SBUF tile.
    func fill(_ tile: TileType, with number: Double, at span: SourceSpan, into existing: ValueID? = nil) -> ValueID {
        let sbuf = tile.with(element: tile.element, space: .sbuf)
        let target = existing.flatMap { tile.space == .sbuf ? $0 : nil } ?? allocate(sbuf, at: span)
        let integral = number.rounded() == number && abs(number) < 1e9
        emit(.poolIota(Iota(base: integral ? Int(number) : 0, partitionStep: 0, freeStep: 0, destination: target)), at: span)
        if !integral { emit(.dveTensorScalar(.add, target, .constant(number), destination: target), at: span) }
        guard tile.space == .psum else { return target }
        let psum = existing ?? allocate(tile, at: span)
        emit(.dveCopy(source: target, destination: psum), at: span)
        return psum
    }

    /// A per-partition scalar operand for `dve.tensor_scalar` / `act.activate` bias: a constant, a scalar
    /// value, or a [P | 1] tile with `partitions` partitions.
    func scalarOperand(_ value: Lowered, partitions: Int) -> ScalarOperand? {
        switch value {
        case .constant(let number, _): return .constant(number)
        case .value(let id, .scalar): return .value(id)
        case .value(let id, .tile(let tile)) where tile.partitions == partitions && tile.freeElements == 1: return .value(id)
        default: return nil
        }
    }

    /// An elementwise operator with at least one tile operand.
    func tileBinary(_ op: BinaryOperator, _ a: Lowered, _ b: Lowered, _ expr: Expr) throws(LoweringFailed) -> Lowered {
        var (a, b) = (a, b)
        let span = expr.span
        if let (_, aTile) = a.tile, let (_, bTile) = b.tile, aTile.partitions != bTile.partitions {
            a = fitUnwrittenBuffer(a, toPartitions: bTile.partitions)
            b = fitUnwrittenBuffer(b, toPartitions: aTile.partitions)
        }
        let cropped = croppedToCommonRegion([a, b], statics: operandExpressions(expr).map(staticShape), at: expr.span)
        (a, b) = (cropped[0], cropped[1])
        // A one-partition row meeting a tile of more partitions is broadcast across them.
        if let (_, aTile) = a.tile, let (_, bTile) = b.tile, aTile.partitions != bTile.partitions {
            a = broadcastPartitions(a, to: bTile.partitions, at: span)
            b = broadcastPartitions(b, to: aTile.partitions, at: span)
        }
        let element = try checkedType(expr).dtype
        func unsupported(_ reason: String) -> LoweringFailed {
            fail(DiagnosticCatalogue.loweringUnsupported("'\(op.rawValue)' on these tiles", reason: reason, at: span))
        }
        // Two tiles whose free dims differ by size-1 dims (`[P | F1, F2]` and `[P | F1, 1]`): the narrow one is
        // stretched first (`dve.free_broadcast`), unless it holds one value per partition (a scalar operand below).
        if let (_, aTile) = a.tile, let (_, bTile) = b.tile, aTile.freeElements > 1, bTile.freeElements > 1,
           let free = Self.broadcastFreeDims(aTile, bTile) {
            a = broadcastFree(a, to: free, at: span)
            b = broadcastFree(b, to: free, at: span)
        }
        // Two tiles of one shape.
        if let (x, xTile) = a.tile, let (y, yTile) = b.tile, xTile.hasSameShape(as: yTile) {
            let destination = allocate(xTile.with(element: element, space: .sbuf), at: span)
            emit(.dveTensorTensor(op, x, y, destination: destination), at: span)
            return .value(destination, .tile(xTile.with(element: element, space: .sbuf)))
        }
        // A full tile with a scalar operand, on either side.
        let tileOnLeft: Bool
        if let (_, xTile) = a.tile, scalarOperand(b, partitions: xTile.partitions) != nil, xTile.freeElements > 1 || b.tile == nil {
            tileOnLeft = true
        } else if let (_, yTile) = b.tile, scalarOperand(a, partitions: yTile.partitions) != nil {
            tileOnLeft = false
        } else {
            throw unsupported("the shapes differ other than by a per-partition [P, 1] tile, or an operand is neither "
                + "a tile, a constant nor a scalar; broadcasting across partitions is not lowered for tiles")
        }
        guard let (tileValue, tile) = (tileOnLeft ? a : b).tile,
              let scalar = scalarOperand(tileOnLeft ? b : a, partitions: tile.partitions) else { throw unsupported("internal") }
        let result = tile.with(element: element, space: .sbuf)
        let destination = allocate(result, at: span)
        if tileOnLeft || op.isCommutative {
            emit(.dveTensorScalar(op, tileValue, scalar, destination: destination), at: span)
        } else if let flipped = op.flippedComparison {
            emit(.dveTensorScalar(flipped, tileValue, scalar, destination: destination), at: span)
        } else if op == .sub, tile.element.isFloat {
            // s - t = identity(t * -1 + s)
            emit(.actActivate(Activation(function: .identity, source: tileValue, destination: destination, scale: -1, bias: scalar)), at: span)
        } else {
            // Anything else (`/`, `%`, integer `-`) with a per-partition value or scalar on the left: that operand is
            // broadcast into a full tile first, so `s / t` is one division rounded once (a reciprocal and a product
            // would round twice, and in a narrow dtype store 1 / t rounded to it). A float operand is broadcast into
            // an f32 tile: the engine computes in f32 with the scalar's own value (Docs/numerics.md, "Scalars are f32
            // immediates").
            let left = broadcast(tileOnLeft ? b : a, like: tile, element: tile.element.isFloat ? .f32 : tile.element, at: span)
            emit(.dveTensorTensor(op, left, tileValue, destination: destination), at: span)
        }
        return .value(destination, .tile(result))
    }

    /// Tiles of one free dim whose sizes differ where both exceed 1 (a remainder tile meeting a full one, such as
    /// an `iota` of positions): each is cropped to the leading corner they all hold (a view), since an operation
    /// computes the region every operand holds (Docs/numerics.md, "Tile-level code"). A size of 1 against a larger
    /// one is a broadcast, left as it is, unless the operand's static shape (`statics`, the checker's, one per value
    /// or none) is larger there: then it is a remainder tile holding one row or column (the last query row of a
    /// sequence of 129), and the others are cropped to it. Unwritten `var` buffers are resized instead, before this.
    func croppedToCommonRegion(_ values: [Lowered], statics: [[Int]?] = [], at span: SourceSpan) -> [Lowered] {
        let tiles = values.enumerated().compactMap { index, value in
            value.tile.map { (tile: $0.1, shape: index < statics.count ? statics[index] : nil) }
        }
        guard tiles.count > 1, tiles.allSatisfy({ $0.tile.freeDims.count == 1 }) else { return values }
        let holdsRows = { (entry: (tile: TileType, shape: [Int]?)) in entry.tile.partitions > 1 || (entry.shape?.first ?? 1) > 1 }
        let holdsColumns = { (entry: (tile: TileType, shape: [Int]?)) in
            entry.tile.freeElements > 1 || (entry.shape?.dropFirst().reduce(1, *) ?? 1) > 1
        }
        let partitions = tiles.filter(holdsRows).map(\.tile.partitions).min() ?? 1
        let free = tiles.filter(holdsColumns).map(\.tile.freeElements).min() ?? 1
        return values.enumerated().map { index, value in
            guard let (id, tile) = value.tile else { return value }
            let entry = (tile: tile, shape: index < statics.count ? statics[index] : nil)
            let corner = TileType(.sbuf, tile.element, partitions: holdsRows(entry) ? partitions : 1,
                                  free: [holdsColumns(entry) ? free : 1])
            guard !corner.hasSameShape(as: tile) else { return value }
            return .value(window(of: id, offset: 0, as: corner, aliasing: true, at: span), .tile(corner))
        }
    }

    /// The shape the checker gives a tile expression: its static shape (a remainder tile holds less at run time).
    func staticShape(_ expr: Expr) -> [Int]? {
        guard let type = try? checkedType(expr), case .tile(let tile)? = try? irType(type, at: expr.span) else { return nil }
        return tile.shape
    }

    /// The operand expressions of an operator or a call, in order.
    func operandExpressions(_ expr: Expr) -> [Expr] {
        switch expr.kind {
        case .binary(_, let lhs, let rhs): [lhs, rhs]
        case .call(_, let arguments): arguments.map(\.value)
        default: []
        }
    }

    /// A one-partition tile (`[1 | F]`, a row) met by a tile of `partitions` partitions: `dve.partition_broadcast`
    /// copies the row into each of them, as NumPy broadcasts a dim of size 1. Any other value is returned as it is.
    func broadcastPartitions(_ value: Lowered, to partitions: Int, at span: SourceSpan) -> Lowered {
        guard partitions > 1, case .value(let id, .tile(let tile)) = value, tile.partitions == 1 else { return value }
        let result = TileType(.sbuf, tile.element, partitions: partitions, free: tile.freeDims)
        let destination = allocate(result, at: span)
        emit(.dvePartitionBroadcast(source: id, destination: destination), at: span)
        return .value(destination, .tile(result))
    }

    /// A full SBUF tile shaped like `tile` holding `value`: a constant, a scalar, a [P | 1] tile repeated along
    /// the free axis, a [1 | F] or [1 | 1] tile broadcast across partitions first, or a tile of that shape (copied
    /// out of PSUM when it lives there); nil for anything else.
    func broadcastIfPossible(_ value: Lowered, like tile: TileType, element: ElementType, at span: SourceSpan) -> ValueID? {
        let wanted = tile.with(element: element, space: .sbuf)
        if case .value(_, .tile(let other)) = value, other.partitions == 1, tile.partitions > 1 {
            return broadcastIfPossible(broadcastPartitions(value, to: tile.partitions, at: span), like: tile, element: element, at: span)
        }
        switch value {
        case .constant(let number, _):
            return fill(wanted, with: number, at: span)
        case .value(let id, .tile(let other)) where other.hasSameShape(as: tile):
            guard other.space == .psum else { return id }
            let copy = allocate(other.with(element: other.element, space: .sbuf), at: span)
            emit(.dveCopy(source: id, destination: copy), at: span)
            return copy
        case .value(let id, .tile(let other)) where other.partitions == tile.partitions && other.freeElements == 1:
            let filled = fill(wanted, with: 0, at: span)
            emit(.dveTensorScalar(.add, filled, .value(id), destination: filled), at: span)
            return filled
        case .value(_, .tile(let other)) where other.partitions == tile.partitions
            && Self.broadcastFreeDims(other, tile) == tile.freeDims:
            return broadcastIfPossible(broadcastFree(value, to: tile.freeDims, at: span), like: tile, element: element, at: span)
        case .value(let id, .scalar):
            let filled = fill(wanted, with: 0, at: span)
            emit(.dveTensorScalar(.add, filled, .value(id), destination: filled), at: span)
            return filled
        default:
            return nil
        }
    }

    /// `broadcastIfPossible` for an operand that `tileBinary` has already matched as a scalar operand.
    private func broadcast(_ value: Lowered, like tile: TileType, element: ElementType, at span: SourceSpan) -> ValueID {
        broadcastIfPossible(value, like: tile, element: element, at: span) ?? fill(tile.with(element: element, space: .sbuf), with: 0, at: span)
    }

    /// A math function or negation of a float tile on the scalar engine; `!` and i32 negation on the vector engine.
    func tileUnary(_ function: UnaryFunction, _ operand: Lowered, _ expr: Expr) throws(LoweringFailed) -> Lowered {
        guard let (source, tile) = operand.tile else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
        let result = tile.with(element: try checkedType(expr).dtype, space: .sbuf)
        let destination = allocate(result, at: expr.span)
        switch function {
        case .neg where !tile.element.isFloat:
            // i32: the vector engine's integer multiply, which wraps (-(-2^31) is -2^31); the scalar engine computes in f32.
            emit(.dveTensorScalar(.mul, source, .constant(-1), destination: destination), at: expr.span)
        case .neg:
            emit(.actActivate(Activation(function: .identity, source: source, destination: destination, scale: -1)), at: expr.span)
        case .not:
            emit(.dveTensorScalar(.eq, source, .constant(0), destination: destination), at: expr.span)
        default:
            guard function.runsOnScalarEngine else {
                throw fail(DiagnosticCatalogue.loweringUnsupported("'\(function.rawValue)' on a tile",
                    reason: "the scalar engine has no such activation function", at: expr.span))
            }
            emit(.actActivate(Activation(function: function, source: source, destination: destination)), at: expr.span)
        }
        return .value(destination, .tile(result))
    }

    /// A reduction of a tile along its last free axis (`mean` divides by the axis length afterwards).
    func tileReduceLast(_ kind: ReduceKind, _ operand: Lowered, axis: Int, _ expr: Expr) throws(LoweringFailed) -> Lowered {
        guard let (source, tile) = operand.tile else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
        guard axis == tile.freeDims.count, let length = tile.freeDims.last else {
            throw fail(DiagnosticCatalogue.loweringUnsupported("a reduction across partitions (axis \(axis)) of a tile",
                reason: "tiles reduce along their free axis only; reduce the whole tensor, or transpose it first", at: expr.span))
        }
        let result = TileType(.sbuf, tile.element, partitions: tile.partitions, free: Array(tile.freeDims.dropLast()) + [1])
        let destination = allocate(result, at: expr.span)
        let op: EngineReduceOp = kind == .max ? .max : kind == .min ? .min : .add
        guard kind == .mean else {
            emit(.dveReduce(op, source, destination: destination), at: expr.span)
            return .value(destination, .tile(result))
        }
        // A mean divides the sum by the length and rounds once (Docs/numerics.md): a narrow float's sum stays
        // in an f32 column until the division.
        let sum = tile.element.isFloat && tile.element != .f32 ? allocate(result.with(element: .f32, space: .sbuf), at: expr.span) : destination
        emit(.dveReduce(.add, source, destination: sum), at: expr.span)
        emit(.dveTensorScalar(.div, sum, .constant(Double(length)), destination: destination), at: expr.span)
        return .value(destination, .tile(result))
    }

    /// `select` with tile operands: `pool.select` over tiles of one shape (constants are filled into tiles).
    /// The operands are brought to the widest tile's shape in SBUF: constants and scalars are filled in,
    /// per-partition [P | 1] tiles repeated along the free axis, PSUM tiles copied out (pool reads SBUF only).
    func tileSelect(_ operands: [Lowered], _ expr: Expr) throws(LoweringFailed) -> Lowered {
        // A `var` not yet written takes a remainder tile's rows; other tiles are cropped to the region all hold.
        let rows = operands.compactMap { $0.tile?.1.partitions }.filter { $0 > 1 }.min() ?? 1
        let values = croppedToCommonRegion(operands.map { fitUnwrittenBuffer($0, toPartitions: rows) },
                                           statics: operandExpressions(expr).map(staticShape), at: expr.span)
        let tiles = values.compactMap { $0.tile?.1 }
        guard let widest = tiles.max(by: { $0.freeElements < $1.freeElements }) else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span))
        }
        // The result's partitions: those of the operands with more than one (one-partition rows are broadcast),
        // the fewest when a remainder tile meets a `var` not yet written (which takes its rows).
        let partitions = tiles.map(\.partitions).filter { $0 > 1 }.min() ?? 1
        let shapeTile = TileType(.sbuf, widest.element, partitions: partitions, free: widest.freeDims)
        let element = try checkedType(expr).dtype
        var operands: [ValueID] = []
        for (index, value) in values.enumerated() {
            guard let operand = broadcastIfPossible(value, like: shapeTile, element: index == 0 ? .bool : element, at: expr.span) else {
                throw fail(DiagnosticCatalogue.loweringUnsupported("select on these tiles",
                    reason: "its operands must be tiles of one shape, per-partition [P, 1] tiles, scalars or constants", at: expr.span))
            }
            operands.append(operand)
        }
        let result = shapeTile.with(element: element, space: .sbuf)
        let destination = allocate(result, at: expr.span)
        emit(.poolSelect(condition: operands[0], operands[1], operands[2], destination: destination), at: expr.span)
        return .value(destination, .tile(result))
    }
}

extension BinaryOperator {
    /// The comparison with its operands swapped (`a < b` is `b > a`); nil for other operators.
    var flippedComparison: BinaryOperator? {
        switch self {
        case .lt: .gt
        case .gt: .lt
        case .le: .ge
        case .ge: .le
        case .eq: .eq
        case .ne: .ne
        default: nil
        }
    }
}
