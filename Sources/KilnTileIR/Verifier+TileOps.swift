// Verifier+TileOps.swift: type rules of the tile-level ops: tile operands, shapes, DMA slices, loop variables.

import KilnISA
import KilnMachine
import KilnSource

extension FunctionVerifier {
    /// Tile-level ops: operand kinds and shapes, then the machine rules for the op's engine.
    func checkTileOp(_ op: Operation) {
        switch op.kind {
        case .alloc(let tile, _):
            if op.result?.type != .tile(tile) {
                resultMismatch(op, expected: .tile(tile), found: op.result?.type ?? .index)
            }
        case .hbmAlloc(let tensor):
            if op.result?.type != .hbm(tensor) {
                resultMismatch(op, expected: .hbm(tensor), found: op.result?.type ?? .index)
            }
        case .view(let base, let offset):
            checkView(op, base: base, offset: offset)
        case .engine(let instruction):
            checkEngineInstruction(op, instruction)
        case .syncSignal(let semaphore, let engine, let queue), .syncWait(let semaphore, _, let engine, let queue):
            if semaphore < 0 {
                report(at: op) { DiagnosticCatalogue.tileIRInvalidDims("semaphore numbers are non-negative, found \(semaphore)", at: $0) }
            }
            if let queue, engine != .dma || queue < 0 {
                report(at: op) { DiagnosticCatalogue.tileIRInvalidDims(
                    "only dma names a queue, with a non-negative number; found '\(engine) queue \(queue)'", at: $0) }
            }
        case .constant, .iota, .scan, .slice, .concat, .gather, .scatterAdd, .topk, .unary, .binary, .broadcast, .reduce, .matmul, .transpose, .permute, .reshape, .select, .cast,
             .call, .forLoop, .ret:
            break
        }
        checkEngineAccess(op)
    }

    /// An engine op: operands of its fields' kinds, then its declared rules on the operands' types, the DMA
    /// slice geometry of a transfer, and loop variables in conditions.
    private func checkEngineInstruction(_ op: Operation, _ instruction: EngineInstruction) {
        let declaration = instruction.declaration
        guard instruction.operands.count == declaration.fields.count,
              zip(instruction.operands, declaration.fields).allSatisfy({ $0.fits($1.kind) }) else {
            return shapeMismatch(op, "its operands do not match \(declaration.mnemonic)'s fields "
                + declaration.fields.map(\.name).joined(separator: ", "))
        }
        if instruction.queue != nil && declaration.engine != .dma {
            report(at: op) { DiagnosticCatalogue.tileIRInvalidDims("only dma ops name a queue", at: $0) }
        }
        for (field, operand) in zip(declaration.fields, instruction.operands) {
            checkOperandType(op, field, operand)
        }
        let operands = instruction.facts { types[$0]?.type }
        for violation in declaration.violations(operands, target: target) {
            reportViolation(op, violation)
        }
        // Two rules have a part only this layer can check: a transfer's slice against the loops' ranges, and a
        // placed accumulator against the PSUM banks. Every other rule is complete in `violations`.
        for rule in declaration.rules {
            if case .transferElement(let hbm, let tileField) = rule, case .slice(let tensor, let offsets) = instruction.operands[hbm],
               case .tile(let tile) = instruction.operands[tileField] {
                let transpose = instruction["transpose"] == .flag(true)
                let broadcast = instruction["broadcast"] == .flag(true)
                checkTransfer(op, DMATransfer(hbm: tensor, offsets: offsets, tile: tile, transpose: transpose,
                                              broadcast: broadcast, steps: declaration.dmaSteps(operands)),
                              writesHBM: declaration.fields[hbm].access != .read)
            }
            if case .gather(let table, let indices, let tileField) = rule {
                checkGather(op, instruction.operands[table], instruction.operands[indices], instruction.operands[tileField])
            }
            if case .matmul(_, _, let accumulator) = rule, case .tile(let value) = instruction.operands[accumulator],
               let shape = operands.tile(accumulator) {
                checkAccumulatorBank(op, value, bytes: shape.freeElements * ElementType.f32.byteSize)
            }
        }
    }

    /// A value of the kind its field needs (a tile, an HBM tensor, a per-partition scalar), and loop variables
    /// in conditions; reported here, the rules then skip the operand.
    private func checkOperandType(_ op: Operation, _ field: OperandField, _ operand: IROperand) {
        switch operand {
        case .tile(let value): _ = tile(op, value, field.name)
        case .slice(let tensor, _):
            if types[tensor]?.type.hbmType == nil {
                mismatch(op, field.name, expected: "an hbm tensor", found: types[tensor]?.type)
            }
        case .scalar(.value(let value)):
            if case .scalar = types[value]?.type { return }
            _ = tile(op, value, field.name)
        case .condition(let condition): checkCondition(op, condition)
        case .reduceInto(let reduce?): _ = tile(op, reduce.destination, "\(field.name) destination")
        case .affine(let expr): _ = range(of: expr, op)
        case .scalar(.constant), .function, .binary, .reduce, .float, .integer, .flag, .reduceInto(nil): break
        }
    }

    private func reportViolation(_ op: Operation, _ violation: RuleViolation) {
        switch violation {
        case .shape(let detail): shapeMismatch(op, detail)
        case .operand(let role, let expected, let found):
            mismatch(op, role, expected: expected, found: .tile(TileType(found.space, found.element, partitions: found.partitions,
                                                                         free: found.freeDims)))
        case .immediate(let role, let expected, let found):
            mismatch(op, role, expected: expected, found: found)
        case .limit(let what, let actual, let limit):
            report(at: op) { DiagnosticCatalogue.matmulLimit(what, actual, limit: limit, at: $0) }
        case .psumBank(let detail):
            report(at: op) { DiagnosticCatalogue.psumBankOverflow(detail, at: $0) }
        case .unsupported(let feature):
            report(at: op) { DiagnosticCatalogue.unsupportedOnTarget(feature, target: target.name, at: $0) }
        }
    }

    /// `dma.gather`'s slices (`DMAGather`): the table read from row 0 with the tile's columns inside its rows, and
    /// the index run inside the index tensor, for every iteration of the loops.
    private func checkGather(_ op: Operation, _ table: IROperand, _ indices: IROperand, _ tileOperand: IROperand) {
        guard case .slice(let tableValue, let tableOffsets) = table, case .slice(let indexValue, let indexOffsets) = indices,
              case .tile(let tileValue) = tileOperand, let tableShape = types[tableValue]?.type.hbmType?.shape,
              let indexShape = types[indexValue]?.type.hbmType?.shape, let tile = types[tileValue]?.type.tileType,
              tableShape.count == 2 else { return }
        guard tableOffsets.count == 2, tableOffsets[0] == .constant(0), indexOffsets.count == indexShape.count else {
            return shapeMismatch(op, "a gather reads its table from row 0 (offsets [0, column]) and needs one offset per "
                + "index dim, found \(tableOffsets.count) and \(indexOffsets.count)")
        }
        let slices = [(tableShape, tableOffsets, DMAGather.tableExtents(rows: tableShape[0], free: tile.freeElements)),
                      (indexShape, indexOffsets, DMAGather.indexExtents(rank: indexShape.count, partitions: tile.partitions))]
        for (shape, offsets, extents) in slices {
            for (dim, offset) in offsets.enumerated() {
                guard let range = range(of: offset, op) else { continue }
                let last = range.upperBound + extents[dim] - 1
                if range.lowerBound < 0 || last >= shape[dim] {
                    report(at: op) { DiagnosticCatalogue.tileIRSliceOutOfBounds(
                        dim: dim, first: range.lowerBound, last: last, size: shape[dim], at: $0) }
                }
            }
        }
    }

    /// A DMA transfer: an HBM tensor, a tile of matching shape, offsets affine in enclosing loop variables,
    /// a slice inside the tensor for every iteration, and stores only into outputs.
    private func checkTransfer(_ op: Operation, _ transfer: DMATransfer, writesHBM: Bool) {
        // A value that is not an HBM tensor was reported with the operand's type.
        guard let hbmDef = types[transfer.hbm], case .hbm(let tensor) = hbmDef.type else { return }
        guard let tile = tile(op, transfer.tile, "tile") else { return }
        if writesHBM, !function.outputs.contains(where: { $0.id == transfer.hbm }),
           !scratchTensors.contains(transfer.hbm) {
            report(at: op) { DiagnosticCatalogue.tileIRStoreToInput(name(transfer.hbm), at: $0) }
        }
        if transfer.broadcast {
            guard !writesHBM, !transfer.transpose, tensor.rank >= tile.freeDims.count else {
                return shapeMismatch(op, "a broadcasting load reads an HBM slice shaped like the tile's free dims "
                    + "(\(tile.freeDims.count) dims) into every partition, and does not transpose")
            }
        } else if transfer.transpose {
            guard !writesHBM, tensor.rank >= 2, tile.freeDims.count == 1 else {
                return shapeMismatch(op, "a transposing load moves the last two dims of an HBM slice into a [P | F] tile")
            }
        }
        // The tile covers the tensor's trailing dims; the offsets index every dim (`DMASlice`).
        guard let sliceShape = transfer.sliceShape(tile: tile, hbmRank: tensor.rank),
              transfer.offsets.count == tensor.rank else {
            return shapeMismatch(op, "\(hbmDef.type) needs \(tensor.rank) offsets and a tile of rank \(tensor.rank) or less, "
                + "found \(transfer.offsets.count) offsets and \(IRType.tile(tile))")
        }
        for (dim, offset) in transfer.offsets.enumerated() {
            guard let range = range(of: offset, op) else { continue }
            let last = range.upperBound + sliceShape[dim] - 1
            if range.lowerBound < 0 || last >= tensor.shape[dim] {
                report(at: op) { DiagnosticCatalogue.tileIRSliceOutOfBounds(
                    dim: dim, first: range.lowerBound, last: last, size: tensor.shape[dim], at: $0) }
            }
        }
        if transfer.transpose { checkDMATranspose(op) }
    }

    /// The smallest and largest value an affine offset takes over the enclosing loops; nil if a variable
    /// is not a loop variable (reported) or a loop never runs.
    private func range(of expr: AffineExpr, _ op: Operation) -> ClosedRange<Int>? {
        var low = expr.constant, high = expr.constant
        for term in expr.terms {
            guard types[term.variable]?.type == .index else {
                report(at: op) { DiagnosticCatalogue.tileIRNotLoopVariable(name(term.variable), at: $0) }
                return nil
            }
            guard let range = loopRanges[term.variable] else { return nil }
            let (a, b) = (term.coefficient * range.lowerBound, term.coefficient * range.upperBound)
            low += min(a, b)
            high += max(a, b)
        }
        return low...high
    }

    private func checkCondition(_ op: Operation, _ condition: IterationCondition) {
        if case .when(let variable, _) = condition, types[variable]?.type != .index {
            report(at: op) { DiagnosticCatalogue.tileIRNotLoopVariable(name(variable), at: $0) }
        }
    }

    /// The tile type of an operand, or a report that it is not a tile.
    func tile(_ op: Operation, _ id: ValueID, _ role: String) -> TileType? {
        guard let tile = types[id]?.type.tileType else {
            mismatch(op, role, expected: "an sbuf or psum tile", found: types[id]?.type)
            return nil
        }
        return tile
    }

    private func sameShape(_ op: Operation, _ input: TileType, _ output: TileType) {
        if !input.hasSameShape(as: output) {
            shapeMismatch(op, "\(IRType.tile(input)) and \(IRType.tile(output))")
        }
    }

    /// A per-partition scalar operand: a [P | 1] tile with the partitions of `like`, or a scalar kernel
    /// parameter (the same value in every partition).
    private func perPartitionScalar(_ op: Operation, _ id: ValueID, _ role: String, like input: TileType) {
        if case .scalar = types[id]?.type { return }
        guard let scalar = tile(op, id, role) else { return }
        if scalar.partitions != input.partitions || scalar.freeElements != 1 {
            mismatch(op, role, expected: "a [\(input.partitions) | 1] tile", found: .tile(scalar))
        }
    }

    /// `view %t offset o : T`: T is a tile of the base's memory and element, over its leading partitions, whose
    /// free elements lie inside each base partition's from element `o` on.
    private func checkView(_ op: Operation, base: ValueID, offset: Int) {
        guard let view = op.result?.type.tileType, let tile = types[base]?.type.tileType else {
            return shapeMismatch(op, "a view is a tile of a tile, found \(op.result.map { "\($0.type)" } ?? "no result") of \(type(base))")
        }
        if view.space != tile.space || view.element != tile.element {
            shapeMismatch(op, "a view keeps its base's memory and element: \(IRType.tile(view)) of \(IRType.tile(tile))")
        } else if view.partitions > tile.partitions || offset < 0 || offset + view.freeElements > tile.freeElements {
            shapeMismatch(op, "\(IRType.tile(view)) from element \(offset) does not fit in \(IRType.tile(tile)) (the base's leading "
                + "partitions, \(tile.freeElements) elements each)")
        }
    }

    private func shapeMismatch(_ op: Operation, _ detail: String) {
        report(at: op) { DiagnosticCatalogue.tileIRShapeMismatch(op.opcode, detail, at: $0) }
    }
}
