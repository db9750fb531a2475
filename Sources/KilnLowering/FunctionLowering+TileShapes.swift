// FunctionLowering+TileShapes.swift: tile-form code that regroups free dims: broadcasts along free dims, reductions
// over several trailing free axes, and `reshape` of a tile.

import KilnMachine
import KilnSema
import KilnSource
import KilnSyntax
import KilnTileIR

extension FunctionLowering {
    /// The free dims two tiles of one free rank broadcast to (each pair equal, or one of them 1), when they differ;
    /// nil when they are equal or do not broadcast.
    static func broadcastFreeDims(_ a: TileType, _ b: TileType) -> [Int]? {
        guard a.freeDims.count == b.freeDims.count, a.freeDims != b.freeDims else { return nil }
        var free: [Int] = []
        for (x, y) in zip(a.freeDims, b.freeDims) {
            guard x == y || x == 1 || y == 1 else { return nil }
            free.append(Swift.max(x, y))
        }
        return free
    }

    /// A tile stretched along its size-1 free dims to `free` (`dve.free_broadcast` into a fresh SBUF tile); a value
    /// that is not a tile, or already has those free dims, is returned as it is.
    func broadcastFree(_ value: Lowered, to free: [Int], at span: SourceSpan) -> Lowered {
        guard case .value(let id, .tile(let tile)) = value, tile.freeDims != free else { return value }
        var source = id
        if tile.space == .psum {
            source = allocate(tile.with(element: tile.element, space: .sbuf), at: span)
            emit(.dveCopy(source: id, destination: source), at: span)
        }
        let result = TileType(.sbuf, tile.element, partitions: tile.partitions, free: free)
        let destination = allocate(result, at: span)
        emit(.dveFreeBroadcast(source: source, destination: destination), at: span)
        return .value(destination, .tile(result))
    }

    /// A reduction of a tile over its trailing free axes (the checker allows the last one, or several ending at the
    /// last). Several axes: the tile's free dims are regrouped so that the reduced ones are one dim (`dve.copy`,
    /// which may regroup), that dim is reduced, and the result is regrouped to keep every reduced dim as 1.
    func tileReduce(_ kind: ReduceKind, _ operand: Lowered, axes: [Int], _ expr: Expr) throws(LoweringFailed) -> Lowered {
        guard axes.count > 1 else { return try tileReduceLast(kind, operand, axis: axes.first ?? 0, expr) }
        guard let (source, tile) = operand.tile, axes.first ?? 0 >= 1, axes.count <= tile.freeDims.count else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span))
        }
        let kept = Array(tile.freeDims.dropLast(axes.count))
        let grouped = TileType(.sbuf, tile.element, partitions: tile.partitions,
                               free: kept + [tile.freeDims.suffix(axes.count).reduce(1, *)])
        let regrouped = allocate(grouped, at: expr.span)
        emit(.dveCopy(source: source, destination: regrouped), at: expr.span)
        guard case .value(let reduced, .tile(let reducedTile)) = try tileReduceLast(kind, .value(regrouped, .tile(grouped)),
                                                                                     axis: grouped.freeDims.count, expr) else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span))
        }
        let result = TileType(.sbuf, reducedTile.element, partitions: tile.partitions,
                              free: kept + Array(repeating: 1, count: axes.count))
        let destination = allocate(result, at: expr.span)
        emit(.dveCopy(source: reduced, destination: destination), at: expr.span)
        return .value(destination, .tile(result))
    }

    /// `reshape(t, (P, F...))` of a tile: the same elements in each partition with the free dims regrouped: a view of
    /// `t` (the elements of a partition are contiguous, so any grouping names the same bytes), or a fresh SBUF tile
    /// filled by `dve.copy` when `t` is in PSUM or a `let` binds the reshape of a `var`'s buffer (as for slices,
    /// `tileSlice`). The partitions are the operand's (a remainder tile keeps its rows); free dims clipped at run
    /// time (a remainder column block) cannot be regrouped and are reported.
    func reshapeTile(_ source: ValueID, _ tile: TileType, _ expr: Expr) throws(LoweringFailed) -> Lowered {
        guard case .tile(let target) = try irType(checkedType(expr), at: expr.span) else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span))
        }
        guard target.freeElements == tile.freeElements else {
            throw fail(DiagnosticCatalogue.loweringRemainder("the reshaped tile is \(IRType.tile(tile)), whose free dims are "
                + "clipped here, and cannot be regrouped as \(IRType.tile(target)); reshape a tile whose free dims are whole",
                at: expr.span))
        }
        let result = TileType(.sbuf, tile.element, partitions: tile.partitions, free: target.freeDims)
        if tile.space == .sbuf, !(aliasesBuffer(source) && boundExpression == expr.id) {
            return .value(window(of: source, offset: 0, as: result, aliasing: true, at: expr.span), .tile(result))
        }
        let destination = allocate(result, at: expr.span)
        emit(.dveCopy(source: source, destination: destination), at: expr.span)
        return .value(destination, .tile(result))
    }
}
