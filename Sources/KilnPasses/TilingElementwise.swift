// TilingElementwise.swift: lowers the row ops of a fusion group to engine ops on one [P | F] window of tiles.

import KilnMachine
import KilnPluginAPI
import KilnSource
import KilnTileIR

/// How a tensor value of a fusion group is held inside one tile body.
enum TileOperand {
    /// A full [P | F] tile (SBUF, or the PSUM accumulator of a matmul).
    case tile(ValueID, ElementType, MemorySpace)
    /// A per-partition [P | 1] tile: a row statistic broadcast along the free axis.
    case column(ValueID, ElementType)
    /// The same value everywhere: a constant or a scalar kernel parameter.
    case scalar(ScalarOperand)
    /// `source * scale + bias`, not computed yet: a consumer on the scalar engine folds it into its own
    /// `act.activate` (softmax's `exp(x - max)` becomes one activation with bias -max).
    case affine(source: ValueID, scale: Double, bias: ScalarOperand, element: ElementType)
}

extension TileOperand {
    /// True when the operand reads `tile` (as its tile, column, affine source or bias).
    func holds(_ tile: ValueID) -> Bool {
        switch self {
        case .tile(let held, _, _), .column(let held, _): held == tile
        case .affine(let source, _, let bias, _): source == tile || bias == .value(tile)
        case .scalar(let scalar): scalar == .value(tile)
        }
    }
}

/// The part of a tensor a tile body covers: `partitions` rows from `rowOffset` and `width` columns from
/// `columnOffset` of a group whose full shape is [rows, columns]. A *flat* window covers a run of a rank-1
/// space of `rows` elements instead: `partitions * width` elements from `rowOffset`, partition-major.
struct TileWindow {
    var partitions: Int
    var width: Int
    var rowOffset: AffineExpr
    var columnOffset: AffineExpr
    var rows: Int
    var columns: Int
    var flat = false
}

/// Lowers tensor-level row ops, one at a time and in order, into `body`, with loads of HBM operands put
/// in `body` (row slices) or `hoist` (rows broadcast across partitions, loaded once per loop).
struct ElementwiseLowering {
    let body: TileEmitter
    let hoist: TileEmitter
    let window: TileWindow
    let types: [ValueID: ValueDef]
    /// HBM tensors that hold a value: parameters, and group inputs that are kernel outputs of another group.
    let hbmSources: [ValueID: ValueID]
    var operands: [ValueID: TileOperand]
    /// For a tile written by `act.activate`, the index of that op in `body.ops` (its free-axis reduce is free).
    var activationWriting: [ValueID: Int] = [:]
    /// Affine operands already computed into a tile.
    var materialized: [ValueID: ValueID] = [:]
    /// Where sums across rows (axis 0) accumulate, when the group's loop is over row tiles.
    var columnSums: ColumnSums?
    /// Where scans carry their state between the column chunks of a row, when the row is lowered chunk by chunk.
    var scanCarry: ScanCarry?
    /// Where `body.ops` stood when this lowering began: tiles allocated after it are this body's own.
    let bodyStart: Int
    /// For each value, the index in the op list being lowered of the last op that reads it (`Int.max` for
    /// values kept after the list). Nil until `planInPlace`: then no result takes over an input's tile.
    var lastRead: [ValueID: Int]?
    /// The index in that list of the op being lowered.
    var step = 0
    /// Tiles allocated outside this body that results may still be written over once dead, with their types (the
    /// rows an on-chip chain holds its scores in).
    var adopted: [ValueID: TileType] = [:]
    /// Tiles given for values' results (a window of an on-chip chain's SBUF row): the op computing such a value
    /// writes it there instead of into a tile of its own.
    var destinations: [ValueID: ValueID] = [:]
    /// Values computed before this lowering (an on-chip chain's row maxima, reduced window by window): their ops
    /// take these operands instead of emitting anything.
    var precomputed: [ValueID: TileOperand] = [:]
    /// Values that are positions of the window (`iota`s of the full space), and comparisons of two of them as affine
    /// predicates (`... >= 0`): a `select` on such a predicate is one `pool.affine_select` (TilingAffineMasks.swift).
    var positions: [ValueID: WindowPosition] = [:]
    var predicates: [ValueID: WindowPosition] = [:]

    init(body: TileEmitter, hoist: TileEmitter, window: TileWindow, types: [ValueID: ValueDef],
         hbmSources: [ValueID: ValueID], operands: [ValueID: TileOperand]) {
        self.body = body
        self.hoist = hoist
        self.window = window
        self.types = types
        self.hbmSources = hbmSources
        self.operands = operands
        self.bodyStart = body.ops.count
    }

    /// Lets results be computed in place when `ops` are lowered in this order and `kept` values (stored, or
    /// wanted by the caller) must survive them: an op whose input tile holds only values no later op reads
    /// writes its result over that input instead of into a new tile. Softmax over a row then needs one row
    /// tile (x, then exp(x - max), then the quotient) instead of three, so wider rows fit SBUF whole.
    mutating func planInPlace(_ ops: [Operation], keeping kept: [ValueID]) {
        var last: [ValueID: Int] = [:]
        for (index, op) in ops.enumerated() {
            for value in op.kind.reads { last[value] = index }
        }
        for value in kept { last[value] = .max }
        lastRead = last
        step = 0
    }

    var free: [Int] { [window.width] }

    func hint(_ value: ValueID) -> String? { types[value]?.nameHint }

    func element(_ value: ValueID) -> ElementType { types[value]?.type.element ?? .f32 }

    // MARK: Operands

    /// The operand for a value: computed earlier in the body, or loaded from HBM on first use.
    mutating func operand(_ value: ValueID, for op: Operation) throws(TilingError) -> TileOperand {
        if let known = operands[value] { return known }
        guard let def = types[value] else { throw .unsupported(op, "an operand is not defined") }
        if case .scalar = def.type, hbmSources[value] == nil {
            operands[value] = .scalar(.value(value))
            return .scalar(.value(value))
        }
        guard let hbm = hbmSources[value], let tensor = types[hbm]?.type.hbmType ?? def.type.tensorType else {
            throw TilingError(.at(op) { DiagnosticCatalogue.tilingValueCrossesLoopNests(
                def.nameHint.map { "%" + $0 } ?? "an operand of '\(op.opcode)'", at: $0) })
        }
        let loaded = try load(hbm, tensor, for: op)
        operands[value] = loaded
        return loaded
    }

    /// Loads an HBM tensor for this window by its shape: a row slice [P | F], a column [P | 1], or a row
    /// [C] / [1, C] broadcast across partitions (hoisted).
    private func load(_ hbm: ValueID, _ tensor: TensorType, for op: Operation) throws(TilingError) -> TileOperand {
        let name = types[hbm]?.nameHint
        let (rows, columns, shape) = (window.rows, window.columns, tensor.shape)
        if window.flat, shape == [rows] {
            let tile = body.alloc(.sbuf, tensor.element, partitions: window.partitions, free: free, name: name)
            body.load(hbm, at: [window.rowOffset], into: tile)
            return .tile(tile, tensor.element, .sbuf)
        }
        if !window.flat, shape == [rows, 1] {
            let tile = body.alloc(.sbuf, tensor.element, partitions: window.partitions, free: [1], name: name)
            body.load(hbm, at: [window.rowOffset, .constant(0)], into: tile)
            return .column(tile, tensor.element)
        }
        if !window.flat, shape == [rows, columns] {
            let tile = body.alloc(.sbuf, tensor.element, partitions: window.partitions, free: free, name: name)
            body.load(hbm, at: [window.rowOffset, window.columnOffset], into: tile)
            return .tile(tile, tensor.element, .sbuf)
        }
        if !window.flat, shape == [columns] || shape == [1, columns] {
            let tile = hoist.alloc(.sbuf, tensor.element, partitions: window.partitions, free: free, name: name)
            let offsets = shape.count == 1 ? [window.columnOffset] : [.constant(0), window.columnOffset]
            hoist.load(hbm, at: offsets, into: tile, broadcast: true)
            return .tile(tile, tensor.element, .sbuf)
        }
        if shape == [1] || shape == [1, 1] {
            let tile = hoist.alloc(.sbuf, tensor.element, partitions: window.partitions, free: [1], name: name)
            hoist.load(hbm, at: shape.map { _ in .constant(0) }, into: tile, broadcast: true)
            return .column(tile, tensor.element)
        }
        throw .unsupported(op, "operand shape \(tensor.shape) does not fit the row space [\(rows), \(columns)]")
    }

    /// A full tile holding the operand (computing an affine operand, broadcasting a column or scalar).
    mutating func fullTile(_ operand: TileOperand, element: ElementType, name: String?) -> ValueID {
        switch operand {
        case .tile(let tile, _, _):
            return tile
        case .affine(let source, let scale, let bias, let affineElement):
            if let done = materialized[source], scale == 1, bias == .constant(0) { return done }
            let tile = body.alloc(.sbuf, affineElement, partitions: window.partitions, free: free, name: name)
            activation(.identity, source: source, into: tile, scale: scale, bias: bias)
            return tile
        case .column(let column, _):
            let zero = zeroTile(element)
            let tile = body.alloc(.sbuf, element, partitions: window.partitions, free: free, name: name)
            body.emit(.dveTensorScalar(.add, zero, .value(column), destination: tile))
            return tile
        case .scalar(let scalar):
            if case .constant(let value) = scalar, let integer = Int(exactly: value) {
                let tile = body.alloc(.sbuf, element, partitions: window.partitions, free: free, name: name)
                body.emit(.poolIota(Iota(base: integer, partitionStep: 0, freeStep: 0, destination: tile)))
                return tile
            }
            let zero = zeroTile(element)
            let tile = body.alloc(.sbuf, element, partitions: window.partitions, free: free, name: name)
            body.emit(.dveTensorScalar(.add, zero, scalar, destination: tile))
            return tile
        }
    }

    /// `fullTile`, copied out of PSUM into an SBUF tile of the same element type when it is a matmul
    /// accumulator (for engines that read SBUF only, such as pool).
    mutating func sbufTile(_ operand: TileOperand, element: ElementType, name: String?) -> ValueID {
        guard case .tile(let tile, let tileElement, .psum) = operand else { return fullTile(operand, element: element, name: name) }
        let copy = body.alloc(.sbuf, tileElement, partitions: window.partitions, free: free, name: name)
        body.emit(.dveCopy(source: tile, destination: copy))
        return copy
    }

    /// The element type of a tile allocated in this body (or adopted), nil for any other value.
    func allocatedElement(_ tile: ValueID) -> ElementType? {
        if let type = adopted[tile] { return type.element }
        for op in body.ops.reversed() where op.result?.id == tile {
            if case .alloc(let type, _) = op.kind { return type.element }
        }
        return nil
    }

    /// A [P | 1] tile holding a column or scalar operand (a scalar is written into every partition).
    mutating func columnTile(_ operand: TileOperand, element: ElementType, name: String?) -> ValueID {
        switch operand {
        case .column(let column, _):
            return column
        case .scalar(let scalar):
            let tile = body.alloc(.sbuf, element, partitions: window.partitions, free: [1], name: name)
            if case .constant(let value) = scalar, let integer = Int(exactly: value) {
                body.emit(.poolIota(Iota(base: integer, partitionStep: 0, freeStep: 0, destination: tile)))
            } else {
                body.emit(.poolIota(Iota(base: 0, partitionStep: 0, freeStep: 0, destination: tile)))
                body.emit(.dveTensorScalar(.add, tile, scalar, destination: tile))
            }
            return tile
        case .tile, .affine:
            return fullTile(operand, element: element, name: name)
        }
    }

    private func zeroTile(_ element: ElementType) -> ValueID {
        let zero = body.alloc(.sbuf, element, partitions: window.partitions, free: free, name: "zero")
        body.emit(.poolIota(Iota(base: 0, partitionStep: 0, freeStep: 0, destination: zero)))
        return zero
    }

    /// `act.activate FUNC source -> destination scale bias`, remembered so a later reduction can fold in.
    mutating func activation(_ function: ActivationFunction, source: ValueID, into destination: ValueID,
                             scale: Double = 1, bias: ScalarOperand = .constant(0)) {
        body.emit(.actActivate(Activation(function: function, source: source, destination: destination, scale: scale, bias: bias)))
        activationWriting[destination] = body.ops.count - 1
    }

    /// A full or column tile for the op's result: one of `inputs` when `planInPlace` allows it (same type and
    /// shape, made in this body, every value it holds dead after this op), else a new tile.
    mutating func resultTile(_ op: Operation, column: Bool, element: ElementType? = nil,
                             reusing inputs: [ValueID] = []) -> ValueID {
        let resultElement = element ?? op.result.map { self.element($0.id) } ?? .f32
        let type = TileType(.sbuf, resultElement, partitions: window.partitions, free: column ? [1] : free)
        if !column, let result = op.result?.id, let given = destinations[result], resultElement == self.element(result) {
            return given
        }
        if let reused = inputs.first(where: { isDeadAfterThisOp($0, type: type) }) {
            activationWriting[reused] = nil  // a later reduction must not fold into the op that wrote the old value
            materialized[reused] = nil
            return reused
        }
        return body.alloc(.sbuf, resultElement, partitions: window.partitions, free: type.freeDims, name: op.result?.nameHint)
    }

    /// True when `tile` was allocated in this body (or adopted) with type `type` and no op after the current one reads
    /// a value it holds.
    private func isDeadAfterThisOp(_ tile: ValueID, type: TileType) -> Bool {
        guard let lastRead, !materialized.values.contains(tile) else { return false }
        let own = adopted[tile] == type || body.ops[bodyStart...].contains { op in
            if case .alloc(let allocated, _) = op.kind { op.result?.id == tile && allocated == type } else { false }
        }
        guard own else { return false }
        return operands.allSatisfy { value, operand in !operand.holds(tile) || (lastRead[value] ?? -1) <= step }
    }

    // MARK: Reductions

    /// A free-axis reduction of a full or affine operand into a new column: folded into the `act.activate`
    /// that wrote the tile when there is one, else `dve.reduce`.
    mutating func reduceAlongFree(_ op: Operation, _ operand: TileOperand, _ reduceOp: EngineReduceOp,
                                  element resultElement: ElementType? = nil) -> ValueID {
        let element = resultElement ?? op.result.map { self.element($0.id) } ?? .f32
        switch operand {
        case .affine(let source, let scale, let bias, let affineElement):
            let tile = body.alloc(.sbuf, affineElement, partitions: window.partitions, free: free, name: hint(source))
            let column = resultTile(op, column: true, element: element)
            body.emit(.actActivate(Activation(function: .identity, source: source, destination: tile, scale: scale,
                                              bias: bias, reduce: FreeAxisReduce(reduceOp, into: column))))
            materialized[source] = tile
            return column
        case .tile(let tile, _, _):
            // Folded into the activation only when its tile is f32: the engine reduces the f32 values it
            // computes, before the tile's rounding, while the language reduces the stored (rounded) values.
            if let index = activationWriting[tile], var activation = body.ops[index].kind.asActivation,
               activation.reduce == nil, allocatedElement(tile) == .f32 {
                let column = body.values.make(.tile(TileType(.sbuf, element, partitions: window.partitions, free: [1])),
                                              name: op.result?.nameHint)
                activation.reduce = FreeAxisReduce(reduceOp, into: column.id)
                body.ops[index].kind = .actActivate(activation)
                body.ops.insert(Operation(.alloc(TileType(.sbuf, element, partitions: window.partitions, free: [1]), nil),
                                          result: column, span: body.span), at: index)
                for (key, position) in activationWriting where position >= index { activationWriting[key] = position + 1 }
                return column.id
            }
            let column = resultTile(op, column: true, element: element)
            body.emit(.dveReduce(reduceOp, tile, destination: column))
            return column
        case .column(let column, _):
            return column
        case .scalar:
            let full = fullTile(operand, element: element, name: nil)
            let column = resultTile(op, column: true, element: element)
            body.emit(.dveReduce(reduceOp, full, destination: column))
            return column
        }
    }
}

extension ElementwiseLowering {
    /// Stores a group value into a kernel output at this window: a full tile at (row, column) offsets, a
    /// column at (row, 0). PSUM tiles and tiles of another element type are first copied into an SBUF tile
    /// of the output's element type (for a matmul this is the PSUM evacuation).
    mutating func store(_ value: ValueID, to output: ValueDef, for op: Operation) throws(TilingError) {
        guard let tensor = output.type.hbmType else { throw .unsupported(op, "kernel outputs must be HBM tensors") }
        let operand = try self.operand(value, for: op)
        let isColumn = !window.flat && tensor.shape.last == 1 && window.columns > 1
        var tile: ValueID
        var element: ElementType
        var space = MemorySpace.sbuf
        switch operand {
        case .column(let column, let columnElement):
            if isColumn || window.width == 1 {
                (tile, element) = (column, columnElement)
            } else {
                // A per-row value broadcast along the row (a `broadcast` stored on its own).
                (tile, element) = (fullTile(operand, element: columnElement, name: output.nameHint), columnElement)
            }
        case .tile(let full, let fullElement, let fullSpace):
            guard !isColumn else { throw .unsupported(op, "a full-width value is returned as \(IRType.hbm(tensor))") }
            (tile, element, space) = (full, fullElement, fullSpace)
        case .affine(_, _, _, let affineElement):
            guard !isColumn else { throw .unsupported(op, "a full-width value is returned as \(IRType.hbm(tensor))") }
            (tile, element) = (fullTile(operand, element: tensor.element, name: output.nameHint), affineElement)
            if case .affine(let source, 1, .constant(0), _) = operand { materialized[source] = tile }
        case .scalar:
            // A splat constant stored as a per-row value (an [R, 1] output of a wider group) fills a column.
            (tile, element) = (isColumn ? columnTile(operand, element: tensor.element, name: output.nameHint)
                                        : fullTile(operand, element: tensor.element, name: output.nameHint), tensor.element)
        }
        if element != tensor.element || space != .sbuf {
            let copy = body.alloc(.sbuf, tensor.element, partitions: window.partitions, free: isColumn ? [1] : free,
                                  name: output.nameHint)
            body.emit(.dveCopy(source: tile, destination: copy))
            tile = copy
            element = tensor.element
            space = .sbuf
        }
        if window.flat {
            body.store(tile, to: output.id, at: [window.rowOffset])
        } else {
            body.store(tile, to: output.id, at: [window.rowOffset, isColumn ? .constant(0) : window.columnOffset])
        }
    }
}
