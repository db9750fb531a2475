// TilingAffineMasks.swift: `select(iota <= iota, x, c)` in a tile body as one `pool.affine_select` (a causal mask).

import KilnMachine
import KilnTileIR

/// A position of the window, `base + p * partitionStep + f * freeStep` at partition p and free index f: an `iota` of the
/// group's full [rows, columns] space.
struct WindowPosition {
    var base: AffineExpr
    var partitionStep: Int
    var freeStep: Int

    /// `self - other + shift`: the affine predicate `... >= 0` of a comparison of two positions.
    func minus(_ other: WindowPosition, plus shift: Int) -> WindowPosition {
        var terms: [ValueID: Int] = [:]
        var order: [ValueID] = []
        for term in base.terms {
            if terms[term.variable] == nil { order.append(term.variable) }
            terms[term.variable, default: 0] += term.coefficient
        }
        for term in other.base.terms {
            if terms[term.variable] == nil { order.append(term.variable) }
            terms[term.variable, default: 0] -= term.coefficient
        }
        let combined = order.compactMap { variable in terms[variable].flatMap { $0 == 0 ? nil : AffineExpr.Term(variable, $0) } }
        return WindowPosition(base: AffineExpr(terms: combined, constant: base.constant - other.base.constant + shift),
                              partitionStep: partitionStep - other.partitionStep, freeStep: freeStep - other.freeStep)
    }
}

extension WindowPosition {
    /// The position an `iota` of `shape` gives in a window of a [rows, columns] space whose first row and column are
    /// at these offsets (axis 0 counts rows, axis 1 columns), nil unless the iota spans the whole space.
    static func ofIota(shape: [Int], axis: Int, rows: Int, columns: Int, rowOffset: AffineExpr,
                       columnOffset: AffineExpr) -> WindowPosition? {
        guard shape == [rows, columns] else { return nil }
        switch axis {
        case 0: return WindowPosition(base: rowOffset, partitionStep: 1, freeStep: 0)
        case 1: return WindowPosition(base: columnOffset, partitionStep: 0, freeStep: 1)
        default: return nil
        }
    }
}

extension WindowPosition {
    /// What `kind` makes of positions: a broadcast keeps its operand's position or predicate, a position plus or minus
    /// an integer constant is a position, and a comparison of two positions a predicate (`ElementwiseLowering.predicate`).
    static func derived(_ kind: OpKind, positions: [ValueID: WindowPosition], predicates: [ValueID: WindowPosition],
                        constant: (ValueID) -> Double?) -> (position: WindowPosition?, predicate: WindowPosition?) {
        switch kind {
        case .broadcast(let source):
            return (positions[source], predicates[source])
        case .binary(let op, let a, let b):
            if let first = positions[a], let second = positions[b] {
                return (nil, ElementwiseLowering.predicate(op, first, second))
            }
            // Small shifts only: a position plus it stays far inside i32, so the machine's add never wraps.
            func shift(_ value: ValueID) -> Int? {
                constant(value).flatMap { Int(exactly: $0) }.flatMap { abs($0) <= 1 << 24 ? $0 : nil }
            }
            switch (op, positions[a], positions[b]) {
            case (.add, let position?, nil): return (shift(b).map { position.shifted($0) }, nil)
            case (.add, nil, let position?): return (shift(a).map { position.shifted($0) }, nil)
            case (.sub, let position?, nil): return (shift(b).map { position.shifted(-$0) }, nil)
            default: return (nil, nil)
            }
        default:
            return (nil, nil)
        }
    }

    func shifted(_ amount: Int) -> WindowPosition {
        var moved = self
        moved.base.constant += amount
        return moved
    }
}

extension ElementwiseLowering {
    /// The position an `iota` of the full space gives (axis 0 counts rows, axis 1 columns), nil for other shapes.
    func windowPosition(ofIota op: Operation, axis: Int) -> WindowPosition? {
        guard !window.flat, let shape = op.result?.type.tensorType?.shape else { return nil }
        return WindowPosition.ofIota(shape: shape, axis: axis, rows: window.rows, columns: window.columns,
                                     rowOffset: window.rowOffset, columnOffset: window.columnOffset)
    }

    /// The predicate's value when it is the same at every element of the window (its base a constant), else nil.
    func constantTruth(of predicate: WindowPosition) -> Bool? {
        guard predicate.base.terms.isEmpty else { return nil }
        let rows = [0, predicate.partitionStep * (window.partitions - 1)]
        let columns = [0, predicate.freeStep * (window.width - 1)]
        if predicate.base.constant + rows.min()! + columns.min()! >= 0 { return true }
        if predicate.base.constant + rows.max()! + columns.max()! < 0 { return false }
        return nil
    }

    /// The predicate `... >= 0` a comparison of two integer positions is, nil for `==`, `!=` and other operators.
    static func predicate(_ op: BinaryOperator, _ a: WindowPosition, _ b: WindowPosition) -> WindowPosition? {
        switch op {
        case .le: b.minus(a, plus: 0)
        case .lt: b.minus(a, plus: -1)
        case .ge: a.minus(b, plus: 0)
        case .gt: a.minus(b, plus: -1)
        default: nil
        }
    }

    /// `select(mask, x, c)` as one `pool.affine_select` when the mask is an affine predicate of positions, x a full
    /// tile and c a constant the result's dtype holds exactly (the engine's fill is an f32 immediate, rounded again
    /// to the destination: only an exact constant gives the bits `select` gives). Nil, with nothing emitted, otherwise.
    mutating func affineSelect(_ op: Operation, condition: ValueID, _ x: TileOperand, _ fill: TileOperand,
                               element: ElementType) -> TileOperand? {
        guard let predicate = predicates[condition], case .scalar(.constant(let constant)) = fill, !constant.isNaN,
              Double(Float(constant)) == constant, element.convert(constant) == constant else { return nil }
        switch x {
        case .tile, .affine: break
        case .column, .scalar: return nil
        }
        let source = sbufTile(x, element: element, name: hint(op.result?.id ?? condition))
        let tile = resultTile(op, column: false, reusing: [source])
        body.emit(.engine(EngineInstruction(.poolAffineSelect, [
            .tile(source), .tile(tile), .affine(predicate.base), .integer(predicate.partitionStep),
            .integer(predicate.freeStep), .float(constant),
        ])))
        return .tile(tile, element, .sbuf)
    }
}
