// TilingBuilder.swift: helpers of the `tile` pass: fresh values, an op list emitter, loops with peeled remainders.

import KilnMachine
import KilnPluginAPI
import KilnSource
import KilnTileIR

/// Makes fresh values in the function being tiled (shared by every emitter of that function).
final class TilingValues {
    var function: Function
    init(_ function: Function) { self.function = function }

    func make(_ type: IRType, name: String?) -> ValueDef {
        function.makeValue(type, name: name)
    }
}

/// A problem found while tiling, located at the tensor-level op that caused it.
struct TilingError: Error {
    var diagnostic: Diagnostic
    init(_ diagnostic: Diagnostic) { self.diagnostic = diagnostic }

    static func unsupported(_ op: Operation, _ reason: String) -> TilingError {
        TilingError(.at(op) { DiagnosticCatalogue.tilingUnsupported(op.opcode, reason, at: $0) })
    }
}

/// Appends tile-level ops to a list; every op gets the kernel span of the tensor-level op it lowers.
final class TileEmitter {
    let values: TilingValues
    var span: SourceSpan
    var ops: [Operation] = []

    init(values: TilingValues, span: SourceSpan) {
        self.values = values
        self.span = span
    }

    /// An empty emitter for a nested block (a loop body).
    func child() -> TileEmitter { TileEmitter(values: values, span: span) }

    func emit(_ kind: OpKind) {
        ops.append(Operation(kind, span: span))
    }

    /// `%t = alloc SPACE ELEMENT[partitions | free]`.
    func alloc(_ space: MemorySpace, _ element: ElementType, partitions: Int, free: [Int], name: String?) -> ValueID {
        let tile = TileType(space, element, partitions: partitions, free: free)
        let value = values.make(.tile(tile), name: name)
        ops.append(Operation(.alloc(tile, nil), result: value, span: span))
        return value.id
    }

    /// `%v = view %base offset O : T`: part of `base`'s memory (its leading partitions, free elements from O on).
    func view(_ base: ValueID, offset: Int, as tile: TileType, name: String?) -> ValueID {
        let value = values.make(.tile(tile), name: name)
        ops.append(Operation(.view(base, offset: offset), result: value, span: span))
        return value.id
    }

    func load(_ hbm: ValueID, at offsets: [AffineExpr], into tile: ValueID, transpose: Bool = false, broadcast: Bool = false,
              steps: DMASteps = .unit) {
        emit(.dmaLoad(DMATransfer(hbm: hbm, offsets: offsets, tile: tile, transpose: transpose, broadcast: broadcast,
                                  steps: steps)))
    }

    func store(_ tile: ValueID, to hbm: ValueID, at offsets: [AffineExpr]) {
        emit(.dmaStore(DMATransfer(hbm: hbm, offsets: offsets, tile: tile)))
    }

    /// Covers `extent` in tiles of `tile`: a `for` loop over the full tiles (inlined when there is one) and the
    /// remainder tile peeled after it. `body(outer, inner, offset, size)` emits one tile's ops into `inner`;
    /// ops it puts into `outer` run once before the loop (hoisted loads).
    func tiled<Failure: Error>(extent: Int, tile: Int, name: String,
                               _ body: (TileEmitter, TileEmitter, AffineExpr, Int) throws(Failure) -> Void) throws(Failure) {
        let split = TileSplit(extent: extent, tile: tile)
        let loopSpan = span
        if split.fullTiles >= 2 {
            let variable = values.make(.index, name: name)
            let inner = child()
            try body(self, inner, AffineExpr(terms: [.init(variable.id, tile)]), tile)
            ops.append(Operation(.forLoop(ForLoop(inductionVariable: variable, lowerBound: 0, upperBound: split.fullTiles,
                                                  body: Block(inner.ops))), span: loopSpan))
        } else if split.fullTiles == 1 {
            try body(self, self, .constant(0), tile)
        }
        if split.remainder > 0 {
            try body(self, self, .constant(split.fullTiles * tile), split.remainder)
        }
    }
}

/// How `extent` splits into tiles of `tile`: full tiles and a remainder (300 rows = 2 x 128 + 44).
struct TileSplit: Equatable {
    var fullTiles: Int
    var tileSize: Int
    var remainder: Int

    init(extent: Int, tile: Int) {
        let size = max(1, tile)
        fullTiles = extent / size
        tileSize = size
        remainder = extent % size
    }

    /// Every tile as (offset, size), the remainder last.
    var pieces: [(offset: Int, size: Int)] {
        var pieces = (0..<fullTiles).map { (offset: $0 * tileSize, size: tileSize) }
        if remainder > 0 { pieces.append((offset: fullTiles * tileSize, size: remainder)) }
        return pieces
    }
}

extension AffineExpr {
    /// The same expression plus a constant.
    func adding(_ value: Int) -> AffineExpr {
        AffineExpr(terms: terms, constant: constant + value)
    }
}
