// TilingElementwiseOps.swift: the per-op rules of the row-op lowering: which engine op each tensor op becomes.

import KilnMachine
import KilnPluginAPI
import KilnTileIR

extension ElementwiseLowering {
    /// Lowers one tensor-level row op of the group; its result becomes an operand for later ops.
    mutating func lower(_ op: Operation) throws(TilingError) {
        guard let result = op.result else { throw .unsupported(op, "it defines no value") }
        defer { step += 1 }
        if let known = precomputed[result.id] {
            operands[result.id] = known
            return
        }
        if case .reduce(let kind, let source, 0) = op.kind, kind == .sum || kind == .mean, let sums = columnSums,
           !window.flat, (types[source]?.type.tensorType ?? types[source]?.type.hbmType)?.rank == 2 {
            return try sumAcrossRows(op, mean: kind == .mean, source: source, into: sums)
        }
        let value: TileOperand
        switch op.kind {
        case .constant(let constant):
            value = .scalar(.constant(constant))
        case .iota(let axis):
            value = try iota(op, axis: axis)
            positions[result.id] = windowPosition(ofIota: op, axis: axis)
        case .scan(let a, let b, _):
            value = try scan(op, a, b)
        case .broadcast(let source):
            value = try operand(source, for: op)
        case .cast(let source):
            value = try cast(op, try operand(source, for: op))
        case .unary(let function, let source):
            value = try unary(op, function, try operand(source, for: op))
        case .binary(let binaryOp, let a, let b):
            value = try binary(op, binaryOp, try operand(a, for: op), try operand(b, for: op))
        case .select(let condition, let a, let b):
            let element = self.element(result.id)
            if let predicate = predicates[condition], let holds = constantTruth(of: predicate) {
                // The mask is the same on the whole window (a causal mask's blocks below the diagonal): no select. The
                // chosen value's producer writes the select's destination tile when it has one.
                let chosen = try operand(holds ? a : b, for: op)
                if case .tile(let source, element, _) = chosen, let destination = destinations[result.id],
                   let tile = retargetProducer(of: source, to: element, for: op, into: destination) {
                    value = .tile(tile, element, .sbuf)
                } else {
                    value = chosen
                }
                break
            }
            if predicates[condition] != nil,
               let masked = affineSelect(op, condition: condition, try operand(a, for: op), try operand(b, for: op),
                                         element: element) {
                value = masked
                break
            }
            let inputs = [try operand(condition, for: op), try operand(a, for: op), try operand(b, for: op)]
            let hints = [hint(condition), hint(a), hint(b)]
            let elements = [ElementType.bool, element, element]
            if !window.flat, inputs.allSatisfy(isScalarOrColumn) {
                // Per-row operands only: a per-row result, selected on [P | 1] tiles.
                let columns = inputs.indices.map { columnTile(inputs[$0], element: elements[$0], name: hints[$0]) }
                let tile = resultTile(op, column: true, reusing: [columns[1], columns[2]])
                body.emit(.poolSelect(condition: columns[0], columns[1], columns[2], destination: tile))
                value = .column(tile, element)
            } else {
                // pool.select reads SBUF only: a matmul accumulator operand is evacuated from PSUM first.
                let tiles = inputs.indices.map { sbufTile(inputs[$0], element: elements[$0], name: hints[$0]) }
                let tile = resultTile(op, column: false, reusing: [tiles[1], tiles[2]])
                body.emit(.poolSelect(condition: tiles[0], tiles[1], tiles[2], destination: tile))
                value = .tile(tile, element, .sbuf)
            }
        case .reduce(let kind, let source, let axis):
            let sourceType = types[source].flatMap { $0.type.tensorType ?? $0.type.hbmType }
            guard axis == (sourceType?.rank ?? 0) - 1 else {
                throw .unsupported(op, "only reductions along the last (free) axis are tiled; axis \(axis) reduces across partitions")
            }
            let input = try operand(source, for: op)
            let reduceOp: EngineReduceOp = kind == .max ? .max : kind == .min ? .min : .add
            // A mean divides by the length of the axis it reduces, which is the row width only when the
            // operand is a full row (a [R, 1] operand's mean is itself). A float mean keeps its sum in f32
            // and rounds once, after the division (Docs/numerics.md: a reduction rounds once to its dtype).
            let length = sourceType?.shape.last ?? 1
            let resultElement = element(result.id)
            // A per-row value broadcast along the reduced axis is constant along it: held as a column, or in a group
            // whose rows are narrower than the axis.
            var isColumn = false
            if case .column = input { isColumn = true }
            if (isColumn && length > 1) || length > window.columns {
                value = constantAlongAxis(op, input, kind: kind, length: length, element: resultElement)
                break
            }
            let isMean = kind == .mean && length > 1
            var column = reduceAlongFree(op, input, reduceOp, element: isMean && resultElement.isFloat ? .f32 : resultElement)
            if isMean {
                // One division of the f32 sum, rounded once (Docs/numerics.md, "Reduction order").
                let scaled = resultTile(op, column: true, reusing: [column])
                body.emit(.dveTensorScalar(.div, column, .constant(Double(length)), destination: scaled))
                column = scaled
            }
            value = .column(column, element(result.id))
        default:
            throw .unsupported(op, "it is not an elementwise op or a row reduction")
        }
        operands[result.id] = roundedAtBoundary(value, name: result.nameHint)
        let derived = WindowPosition.derived(op.kind, positions: positions, predicates: predicates) { [operands] value in
            if case .scalar(.constant(let constant))? = operands[value] { constant } else { nil }
        }
        if let position = derived.position { positions[result.id] = position }
        if let predicate = derived.predicate { predicates[result.id] = predicate }
    }

    /// True when 1 / c is exact in f32 (c a power of two whose reciprocal is an f32 value), so multiplying by it
    /// gives the quotient's bits.
    static func hasExactReciprocal(_ c: Double) -> Bool {
        guard c.isFinite, c != 0, c.significand == 1 else { return false }
        let reciprocal = 1 / c
        return Double(Float(reciprocal)) == reciprocal && reciprocal.isFinite
    }

    /// The reduction along an axis of `length` of a value constant along it (a per-row value broadcast across it,
    /// held as one column). Max and min are the value. A sum adds `length` copies in order, as the language's
    /// reduction order says (Docs/numerics.md, "Reduction order": v x length rounds differently): the column is
    /// repeated into [P | w] tiles of at most `constantSumChunk` elements, each added to one running f32 sum by a
    /// `dve.reduce` that starts at it; a mean then divides by `length`. The f32 result rounds once to its dtype.
    private mutating func constantAlongAxis(_ op: Operation, _ input: TileOperand, kind: ReduceKind, length: Int,
                                            element resultElement: ElementType) -> TileOperand {
        let column = columnTile(input, element: resultElement, name: op.result?.nameHint)
        guard kind == .sum || kind == .mean, length > 1 else {
            guard allocatedElement(column) != resultElement else { return .column(column, resultElement) }
            let converted = resultTile(op, column: true)
            body.emit(.dveCopy(source: column, destination: converted))
            return .column(converted, resultElement)
        }
        let partitions = window.partitions
        let isFloat = resultElement.isFloat
        let sum = body.alloc(.sbuf, isFloat ? .f32 : resultElement, partitions: partitions, free: [1], name: op.result?.nameHint)
        body.emit(.poolIota(Iota(base: 0, partitionStep: 0, freeStep: 0, destination: sum)))
        body.tiled(extent: length, tile: min(length, Self.constantSumChunk), name: "b") { (_, inner, _, width) in
            let repeated = inner.alloc(.sbuf, isFloat ? .f32 : resultElement, partitions: partitions, free: [width], name: nil)
            inner.emit(.poolIota(Iota(base: 0, partitionStep: 0, freeStep: 0, destination: repeated)))
            inner.emit(.dveTensorScalar(.add, repeated, .value(column), destination: repeated))
            inner.emit(.dveReduce(.add, repeated, destination: sum, initial: .value(sum)))
        }
        if kind == .mean { body.emit(.dveTensorScalar(.div, sum, .constant(Double(length)), destination: sum)) }
        guard allocatedElement(sum) != resultElement else { return .column(sum, resultElement) }
        let result = resultTile(op, column: true)
        body.emit(.dveCopy(source: sum, destination: result))
        return .column(result, resultElement)
    }

    /// The widest tile `constantAlongAxis` repeats a column into, in elements per partition.
    static let constantSumChunk = 2048

    /// The op's value as the language defines it: rounded to its dtype (Docs/numerics.md, "Fused chains").
    /// An affine value is kept unevaluated, for a later activation to fold in, only in f32, which is what
    /// the scalar engine computes in; a narrower one is written into a tile of its dtype here, so a fused
    /// chain rounds exactly where the unfused program does.
    private mutating func roundedAtBoundary(_ value: TileOperand, name: String?) -> TileOperand {
        guard case .affine(_, _, _, let element) = value, element != .f32 else { return value }
        return .tile(fullTile(value, element: element, name: name), element, .sbuf)
    }

    private mutating func cast(_ op: Operation, _ input: TileOperand) throws(TilingError) -> TileOperand {
        let element = op.result.map { self.element($0.id) } ?? .f32
        switch input {
        case .scalar(let scalar):
            if case .constant(let constant) = scalar, !element.isFloat {
                return .scalar(.constant(element == .bool ? (constant != 0 ? 1 : 0) : constant.rounded(.towardZero)))
            }
            // A cast to a narrow float rounds (a weak scalar's coercion is a broadcast, never a cast): a constant
            // here, a parameter into a column of the dtype; to f32 the scalar is already an f32 immediate.
            guard element.isFloat, element != .f32 else { return input }
            if case .constant(let constant) = scalar { return .scalar(.constant(element.convert(constant))) }
            return .column(columnTile(input, element: element, name: op.result?.nameHint), element)
        case .column(let column, _):
            let tile = resultTile(op, column: true, reusing: [column])
            body.emit(.dveCopy(source: column, destination: tile))
            return .column(tile, element)
        case .affine(let source, let scale, let bias, _):
            let tile = resultTile(op, column: false, reusing: [source])
            activation(.identity, source: source, into: tile, scale: scale, bias: bias)
            return .tile(tile, element, .sbuf)
        case .tile(let source, let sourceElement, _):
            if element.isFloat, sourceElement == .f32, let tile = retargetProducer(of: source, to: element, for: op) {
                return .tile(tile, element, .sbuf)
            }
            let tile = resultTile(op, column: false, reusing: [source])
            body.emit(.dveCopy(source: source, destination: tile))
            return .tile(tile, element, .sbuf)
        }
    }

    /// A float cast of an f32 tile written by the last engine op of this body, when nothing else reads that tile
    /// afterwards: the op writes a new tile of the cast's dtype instead, and no copy is made. Exact: the vector and
    /// scalar engines compute in f32, round to f32, then to the destination's dtype (Docs/numerics.md, "Fused
    /// chains"), which is the language's op followed by its cast.
    /// With `into`, the op writes that tile (of `element` and the window's shape) instead of a new one.
    private mutating func retargetProducer(of source: ValueID, to element: ElementType, for op: Operation,
                                           into destination: ValueID? = nil) -> ValueID? {
        guard let lastRead, let index = body.ops.lastIndex(where: { $0.kind.engine != nil }), index >= bodyStart,
              case .engine(var instruction) = body.ops[index].kind,
              [.dveTensorScalar, .dveTensorTensor, .actActivate].contains(instruction.op),
              allocatedElement(source) == .f32,
              operands.allSatisfy({ value, operand in !operand.holds(source) || (lastRead[value] ?? -1) <= step }),
              !materialized.values.contains(source) else { return nil }
        let written = instruction.fielded.enumerated().filter { _, entry in
            entry.operand == .tile(source) && entry.field.access == .write
        }.map(\.offset)
        guard written.count == 1 else { return nil }
        if let destination {
            instruction.operands[written[0]] = .tile(destination)
            body.ops[index].kind = .engine(instruction)
            if activationWriting[source] != nil { activationWriting[destination] = activationWriting.removeValue(forKey: source) }
            return destination
        }
        let tile = body.alloc(.sbuf, element, partitions: window.partitions, free: free, name: op.result?.nameHint)
        instruction.operands[written[0]] = .tile(tile)
        // The new alloc went to the end: move it before the op it now feeds.
        let alloc = body.ops.removeLast()
        body.ops[index].kind = .engine(instruction)
        body.ops.insert(alloc, at: index)
        for (key, position) in activationWriting where position >= index { activationWriting[key] = position + 1 }
        if activationWriting[source] != nil { activationWriting[tile] = activationWriting.removeValue(forKey: source) }
        return tile
    }

    private mutating func unary(_ op: Operation, _ function: UnaryFunction, _ input: TileOperand) throws(TilingError) -> TileOperand {
        let element = op.result.map { self.element($0.id) } ?? .f32
        switch (function, input) {
        case (.neg, .tile(let source, let sourceElement, _)) where sourceElement.isFloat:
            return .affine(source: source, scale: -1, bias: .constant(0), element: sourceElement)
        case (.neg, .affine(let source, let scale, .constant(let bias), let affineElement)):
            return .affine(source: source, scale: -scale, bias: .constant(-bias), element: affineElement)
        case (.neg, .scalar(.constant(let constant))):
            return .scalar(.constant(-constant))
        case (_, .scalar):
            // Math on a scalar parameter: computed on a tile holding the value everywhere.
            return try unary(op, function, .tile(fullTile(input, element: element, name: nil), element, .sbuf))
        default:
            break
        }
        let isColumn: Bool
        if case .column = input { isColumn = true } else { isColumn = false }
        let wrap: (ValueID) -> TileOperand = { isColumn ? .column($0, element) : .tile($0, element, .sbuf) }
        let onVectorEngine = function == .neg || function == .not || function == .reciprocal
        let activationFunction: ActivationFunction? = function.runsOnScalarEngine ? function : nil
        if !onVectorEngine, activationFunction == nil {
            throw .unsupported(op, "the scalar engine has no '\(function)' activation")
        }
        // An activation folds an affine input into its scale and bias; anything else reads a tile.
        var (scale, bias) = (1.0, ScalarOperand.constant(0))
        let source: ValueID
        if !onVectorEngine, case .affine(let affineSource, let affineScale, let affineBias, _) = input {
            (source, scale, bias) = (affineSource, affineScale, affineBias)
        } else {
            source = self.source(input, element: element)
        }
        let tile = resultTile(op, column: isColumn, reusing: [source])
        switch function {
        case .neg:
            body.emit(.dveTensorScalar(.mul, source, .constant(-1), destination: tile))
        case .not:
            body.emit(.dveTensorScalar(.eq, source, .constant(0), destination: tile))
        case .reciprocal:
            body.emit(.dveReciprocal(source: source, destination: tile))
        default:
            activation(activationFunction ?? .identity, source: source, into: tile, scale: scale, bias: bias)
        }
        return wrap(tile)
    }

    /// The tile a full or column operand is held in (affine and scalar operands become full tiles).
    private mutating func source(_ input: TileOperand, element: ElementType) -> ValueID {
        if case .column(let column, _) = input { return column }
        return fullTile(input, element: element, name: nil)
    }

    private mutating func binary(_ op: Operation, _ binaryOp: BinaryOperator, _ a: TileOperand,
                                 _ b: TileOperand) throws(TilingError) -> TileOperand {
        let element = op.result.map { self.element($0.id) } ?? .f32
        let operandElement = op.kind.reads.first.map { self.element($0) } ?? element
        switch (a, b) {
        case (.scalar(.constant(let x)), .scalar(.constant(let y))) where ConstantFolding.binary(
            binaryOp, x, y, operand: .scalar(operandElement), .scalar(element)) != nil:
            // canonicalize's folding (one definition of each operator on constants); what it does not fold
            // (an integer division by zero) is computed on the engines below, as the language defines it.
            return .scalar(.constant(ConstantFolding.binary(binaryOp, x, y, operand: .scalar(operandElement), .scalar(element)) ?? 0))
        case (.scalar, .scalar):
            // Arithmetic on scalar parameters: the left one is made a tile holding its value everywhere.
            return try binary(op, binaryOp, .tile(fullTile(a, element: operandElement, name: nil), operandElement, .sbuf), b)
        case (.column(let x, _), .column(let y, _)):
            let tile = resultTile(op, column: true, reusing: [x, y])
            body.emit(.dveTensorTensor(binaryOp, x, y, destination: tile))
            return .column(tile, element)
        case (.column(let x, _), .scalar(let s)):
            let tile = resultTile(op, column: true, reusing: [x])
            body.emit(.dveTensorScalar(binaryOp, x, s, destination: tile))
            return .column(tile, element)
        case (.scalar(let s), .column(let y, _)):
            if let swapped = binaryOp.swapped {
                let tile = resultTile(op, column: true, reusing: [y])
                body.emit(.dveTensorScalar(swapped, y, s, destination: tile))
                return .column(tile, element)
            }
            let full = resultTile(op, column: true)
            body.emit(.poolIota(Iota(base: 0, partitionStep: 0, freeStep: 0, destination: full)))
            body.emit(.dveTensorScalar(.add, full, s, destination: full))
            body.emit(.dveTensorTensor(binaryOp, full, y, destination: full))
            return .column(full, element)
        default:
            break
        }
        // At least one side is a full (or affine) tile.
        if let perPartition = scalarOperand(b), !isScalarOrColumn(a) {
            return fullWithScalar(op, binaryOp, a, perPartition, element: element, operandElement: operandElement)
        }
        if let perPartition = scalarOperand(a), !isScalarOrColumn(b) {
            if let swapped = binaryOp.swapped {
                return fullWithScalar(op, swapped, b, perPartition, element: element, operandElement: operandElement)
            }
            if binaryOp == .sub, operandElement.isFloat, case .tile(let source, let sourceElement, _) = b {
                return .affine(source: source, scale: -1, bias: perPartition, element: sourceElement)
            }
            if binaryOp == .div, operandElement.isFloat, perPartition == .constant(1) {
                // 1 / b is the vector engine's reciprocal, one division rounded once.
                let reciprocal = body.alloc(.sbuf, operandElement, partitions: window.partitions, free: free, name: nil)
                body.emit(.dveReciprocal(source: fullTile(b, element: operandElement, name: nil), destination: reciprocal))
                return .tile(reciprocal, operandElement, .sbuf)
            }
            // Otherwise s / b divides a tile of s by b (falls through): a reciprocal and a product would round twice.
        }
        let x = fullTile(a, element: operandElement, name: nil)
        let y = fullTile(b, element: operandElement, name: nil)
        let tile = resultTile(op, column: false, reusing: [x, y])
        body.emit(.dveTensorTensor(binaryOp, x, y, destination: tile))
        return .tile(tile, element, .sbuf)
    }

    /// `full OP s` with s a constant, scalar parameter or column: kept affine when the scalar engine can
    /// fold it into a later activation (add, sub, mul by a constant), else one `dve.tensor_scalar`.
    private mutating func fullWithScalar(_ op: Operation, _ binaryOp: BinaryOperator, _ full: TileOperand,
                                         _ s: ScalarOperand, element: ElementType, operandElement: ElementType) -> TileOperand {
        // Integer arithmetic stays on the vector engine's integer ops (no f32 scale and bias, no reciprocal).
        guard operandElement.isFloat else {
            let source = fullTile(full, element: operandElement, name: nil)
            let tile = resultTile(op, column: false, reusing: [source])
            body.emit(.dveTensorScalar(binaryOp, source, s, destination: tile))
            return .tile(tile, element, .sbuf)
        }
        switch (binaryOp, full, s) {
        case (.add, .tile(let source, let sourceElement, _), _):
            return .affine(source: source, scale: 1, bias: s, element: sourceElement)
        case (.sub, .tile(let source, let sourceElement, _), .constant(let c)):
            return .affine(source: source, scale: 1, bias: .constant(-c), element: sourceElement)
        case (.sub, .tile(let source, let sourceElement, _), .value(let column)) where isColumnTile(column):
            let negated = body.alloc(.sbuf, operandElement, partitions: window.partitions, free: [1], name: nil)
            body.emit(.dveTensorScalar(.mul, column, .constant(-1), destination: negated))
            return .affine(source: source, scale: 1, bias: .value(negated), element: sourceElement)
        case (.mul, .tile(let source, let sourceElement, _), .constant(let c)):
            return .affine(source: source, scale: c, bias: .constant(0), element: sourceElement)
        case (.add, .affine(let source, let scale, .constant(let bias), let affineElement), .constant(let c)):
            return .affine(source: source, scale: scale, bias: .constant(bias + c), element: affineElement)
        case (.mul, .affine(let source, let scale, .constant(let bias), let affineElement), .constant(let c)):
            return .affine(source: source, scale: scale * c, bias: .constant(bias * c), element: affineElement)
        case (.div, _, .constant(let c)) where Self.hasExactReciprocal(c):
            // x / 2^k is x * 2^-k exactly, so it may fold into an activation's scale; any other divisor stays a
            // division (the default case), since x * (1 / c) rounds twice.
            return fullWithScalar(op, .mul, full, .constant(1 / c), element: element, operandElement: operandElement)
        default:
            let source = fullTile(full, element: operandElement, name: nil)
            let tile = resultTile(op, column: false, reusing: [source])
            body.emit(.dveTensorScalar(binaryOp, source, s, destination: tile))
            return .tile(tile, element, .sbuf)
        }
    }

    private func isScalarOrColumn(_ operand: TileOperand) -> Bool {
        switch operand {
        case .scalar, .column: true
        case .tile, .affine: false
        }
    }

    /// A column tile or scalar as a per-partition operand of a tensor_scalar / activation bias.
    private func scalarOperand(_ operand: TileOperand) -> ScalarOperand? {
        switch operand {
        case .scalar(let scalar): scalar
        case .column(let column, _): .value(column)
        case .tile, .affine: nil
        }
    }

    /// True for a [P | 1] tile made in this body; false for a scalar kernel parameter.
    private func isColumnTile(_ value: ValueID) -> Bool {
        if case .scalar = types[value]?.type { return false }
        return true
    }
}

extension BinaryOperator {
    /// The operator with its operands exchanged (`a < b` is `b > a`), nil when there is none.
    var swapped: BinaryOperator? {
        switch self {
        case .add, .mul, .max, .min, .eq, .ne, .and, .or: self
        case .lt: .gt
        case .gt: .lt
        case .le: .ge
        case .ge: .le
        default: nil
        }
    }
}
