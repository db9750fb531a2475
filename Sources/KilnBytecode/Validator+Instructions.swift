// Validator+Instructions.swift: per-opcode checks: indices in range, engine memory access, operand shapes.

import KilnISA
import KilnMachine

extension BytecodeValidator {
    /// Indices and values of every operand, then what the opcode needs of its buffers' shapes.
    func checkOperands(_ instruction: Instruction, _ context: InstructionContext) throws(BytecodeError) {
        for (field, operand) in zip(instruction.opcode.spec.fields, instruction.operands) {
            try checkOperand(operand, field: field.name, context)
        }
        let engine = context.stream.engine
        for (role, index, access) in accesses(instruction) {
            let buffer = program.buffers[index]
            guard target.allows(engine, access, buffer.space) else {
                throw fail("\(context): \(engine) cannot \(access) \(buffer.space) (\(role) '\(buffer.name)')", at: context.offset)
            }
        }
        try checkShapes(instruction, context)
    }

    private func checkOperand(_ operand: Operand, field: String, _ context: InstructionContext) throws(BytecodeError) {
        func require(_ ok: Bool, _ detail: @autoclosure () -> String) throws(BytecodeError) {
            if !ok { throw fail("\(context): field '\(field)': \(detail())", at: context.offset) }
        }
        switch operand {
        case .buffer(let index), .scalarSource(.buffer(let index)):
            try require(index < program.buffers.count, "buffer \(index) does not exist (\(program.buffers.count) buffers)")
        case .reduceInto(let reduce?):
            try require(reduce.buffer < program.buffers.count,
                        "buffer \(reduce.buffer) does not exist (\(program.buffers.count) buffers)")
        case .tensor(let index):
            try require(index < program.tensors.count, "tensor \(index) does not exist (\(program.tensors.count) tensors)")
            try require(program.tensors[index].role != .scalar, "'\(program.tensors[index].name)' is a scalar, not an HBM tensor")
        case .semaphore(let index):
            try require(index < program.semaphoreCount, "semaphore \(index) does not exist (\(program.semaphoreCount))")
        case .affine(let affine):
            try checkAffine(affine, field: field, context)
        case .affineList(let list):
            for affine in list { try checkAffine(affine, field: field, context) }
        case .condition(.when(let slot, let value)):
            try require(context.openLoops.contains(slot), "L\(slot) is not an enclosing loop")
            try require(value.magnitude < Self.maxLoopValue, "compares with \(value), beyond +-2^31")
        case .integer(let value):
            try require(value.magnitude < Self.maxLoopValue, "\(value) is beyond +-2^31")
        case .float(let value), .scalarSource(.constant(let value)):
            break   // any f64: infinities (a -inf mask, a cast that overflows fp8) and NaN are values too
        case .loopSlot, .condition, .activationFunction, .binaryOperator, .reduceOperator, .reduceInto(nil), .flag:
            break
        }
    }

    private func checkAffine(_ affine: AffineOffset, field: String, _ context: InstructionContext) throws(BytecodeError) {
        guard affine.constant.magnitude < Self.maxConstant else {
            throw fail("\(context): field '\(field)': constant \(affine.constant) is beyond +-2^40", at: context.offset)
        }
        for term in affine.terms {
            guard context.openLoops.contains(term.slot), term.coefficient.magnitude < Self.maxCoefficient else {
                throw fail("\(context): field '\(field)': term \(term.coefficient)*L\(term.slot) needs an enclosing loop L\(term.slot) "
                           + "and a coefficient within +-2^24", at: context.offset)
            }
        }
    }

    /// Each buffer operand with its role and whether it is read or written (its field's declared access).
    func accesses(_ instruction: Instruction) -> [(String, Int, MemoryAccess)] {
        var result: [(String, Int, MemoryAccess)] = []
        for (field, operand) in zip(instruction.opcode.spec.fields, instruction.operands) {
            switch operand {
            case .buffer(let index), .scalarSource(.buffer(let index)):
                result.append((field.name, index, field.access == .read || field.access == nil ? .read : .write))
            case .reduceInto(let reduce?):
                result.append((field.name, reduce.buffer, .write))
            default:
                continue
            }
        }
        return result
    }

    /// The op's declared rules on its buffers (the tile IR verifier's rules, evaluated by the same code), and
    /// the slice geometry of a DMA transfer.
    private func checkShapes(_ instruction: Instruction, _ context: InstructionContext) throws(BytecodeError) {
        guard case .engine(let op) = instruction.opcode else { return }
        let declaration = op.declaration
        let facts = OperandFacts(declaration.fields.indices.map { fact(instruction, declarationField: $0) })
        if let violation = declaration.violations(facts, target: target).first {
            throw fail("\(context): \(Self.describe(violation))", at: context.offset)
        }
        for rule in declaration.rules {
            if case .transferElement(let hbm, let tileField) = rule {
                try checkTransfer(instruction, hbmField: hbm, tileField: tileField, writes: declaration.fields[hbm].access != .read,
                                  context)
            }
            if case .gather(let table, let indices, let tileField) = rule {
                try checkGather(instruction, table: table, indices: indices, tileField: tileField, context)
            }
        }
    }

    /// The rules' view of one declaration field, from the operands that encode it.
    private func fact(_ instruction: Instruction, declarationField: Int) -> OperandFact? {
        let encoded = zip(instruction.opcode.spec.fields, instruction.operands).filter { $0.0.declarationField == declarationField }
        guard let operand = encoded.first?.1 else { return nil }
        switch operand {
        case .buffer(let index): return .tile(program.buffers[index].shape)
        case .tensor(let index): return .hbm(program.tensors[index].dtype, program.tensors[index].shape)
        case .scalarSource(.constant(let value)): return .scalarConstant(value)
        case .scalarSource(.buffer(let index)): return .scalarTile(program.buffers[index].shape)
        case .activationFunction(let function): return .activationFunction(function)
        case .binaryOperator(let op): return .binaryOperator(op)
        case .reduceOperator(let op): return .reduceOperator(op)
        case .reduceInto(nil): return .noReduce
        case .reduceInto(let reduce?): return .reduceInto(reduce.op, program.buffers[reduce.buffer].shape)
        case .float(let value): return .float(value)
        case .integer(let value): return .integer(value)
        case .flag(let value): return .flag(value)
        case .condition(let condition): return .condition(isAlways: condition == .always)
        case .semaphore, .loopSlot, .affine, .affineList: return nil
        }
    }

    static func describe(_ violation: RuleViolation) -> String {
        switch violation {
        case .shape(let detail): detail
        case .operand(let role, let expected, let found): "\(role) must be \(expected), found \(found)"
        case .limit(let what, let actual, let limit): "\(what) is \(actual), above the limit \(limit)"
        case .immediate(let role, let expected, let found): "\(role) must be \(expected), found \(found)"
        case .psumBank(let detail): detail
        case .unsupported(let feature): "\(feature) is not supported on this target"
        }
    }

    /// `dma.gather` (`DMAGather`): one offset per dim of the table and of the indices, the table read from row 0,
    /// and the table's columns and the index run inside their tensors where the offsets are constants.
    private func checkGather(_ instruction: Instruction, table: Int, indices: Int, tileField: Int,
                             _ context: InstructionContext) throws(BytecodeError) {
        let pairs = Array(zip(instruction.opcode.spec.fields, instruction.operands))
        func operands(of field: Int) -> [Operand] { pairs.filter { $0.0.declarationField == field }.map(\.1) }
        func require(_ ok: Bool, _ detail: @autoclosure () -> String) throws(BytecodeError) {
            if !ok { throw fail("\(context): \(detail())", at: context.offset) }
        }
        let (tableSlice, indexSlice) = (operands(of: table), operands(of: indices))
        guard tableSlice.count == 2, case .tensor(let tableIndex) = tableSlice[0], case .affineList(let tableOffsets) = tableSlice[1],
              indexSlice.count == 2, case .tensor(let indexIndex) = indexSlice[0], case .affineList(let indexOffsets) = indexSlice[1],
              case .buffer(let bufferIndex)? = operands(of: tileField).first else { return }
        let (rows, positions, tile) = (program.tensors[tableIndex], program.tensors[indexIndex], program.buffers[bufferIndex])
        try require(rows.shape.count == 2 && tableOffsets.count == 2, "a gather's table '\(rows.name)' is rank 2, with 2 offsets")
        try require(indexOffsets.count == positions.shape.count,
                    "\(indexOffsets.count) offsets for rank-\(positions.shape.count) '\(positions.name)'")
        try require(tableOffsets[0].terms.isEmpty && tableOffsets[0].constant == 0, "a gather reads its table from row 0")
        let slices = [(rows, tableOffsets, DMAGather.tableExtents(rows: rows.shape[0], free: tile.freeElements)),
                      (positions, indexOffsets, DMAGather.indexExtents(rank: positions.shape.count, partitions: tile.partitions))]
        for (tensor, offsets, extents) in slices {
            for (dim, offset) in offsets.enumerated() where offset.terms.isEmpty {
                try require(offset.constant >= 0 && offset.constant + extents[dim] <= tensor.shape[dim],
                            "a gather's slice of '\(tensor.name)' leaves dim \(dim) of \(tensor.shape)")
            }
        }
    }

    /// A DMA transfer: offsets for every dim, a store only into outputs or scratch, and a slice that fits.
    private func checkTransfer(_ instruction: Instruction, hbmField: Int, tileField: Int, writes: Bool,
                               _ context: InstructionContext) throws(BytecodeError) {
        let pairs = Array(zip(instruction.opcode.spec.fields, instruction.operands))
        func operands(of field: Int) -> [Operand] { pairs.filter { $0.0.declarationField == field }.map(\.1) }
        func flag(_ name: String) -> Bool { pairs.contains { $0.0.name == name && $0.1 == .flag(true) } }
        func integer(_ name: String) -> Int {
            for (field, operand) in pairs where field.name == name { if case .integer(let value) = operand { return value } }
            return 1
        }
        func require(_ ok: Bool, _ detail: @autoclosure () -> String) throws(BytecodeError) {
            if !ok { throw fail("\(context): \(detail())", at: context.offset) }
        }
        let slice = operands(of: hbmField)
        guard slice.count == 2, case .tensor(let tensorIndex) = slice[0], case .affineList(let offsets) = slice[1],
              case .buffer(let bufferIndex)? = operands(of: tileField).first else { return }
        let tensor = program.tensors[tensorIndex]
        let tile = program.buffers[bufferIndex]
        let (transpose, broadcast) = (flag("transpose"), flag("broadcast"))
        try require(!writes || tensor.role == .output || tensor.role == .scratch,
                    "\(instruction.opcode) writes '\(tensor.name)', not an output or scratch tensor")
        try require(offsets.count == tensor.shape.count, "\(offsets.count) offsets for rank-\(tensor.shape.count) '\(tensor.name)'")
        try require(!(transpose && broadcast), "a load cannot both transpose and broadcast")
        try require(!transpose || tensor.shape.count >= 2, "a transposing load needs a tensor of rank 2 or more")
        try require(!broadcast || tile.freeDims.count <= tensor.shape.count,
                    "a broadcasting load of rank-\(tile.freeDims.count) free dims needs a tensor of at least that rank")
        try require(DMASlice.extents(partitions: tile.partitions, freeDims: tile.freeDims, rank: tensor.shape.count,
                                     transpose: transpose, broadcast: broadcast) != nil,
                    "a tile of rank \(1 + tile.freeDims.count) does not fit rank-\(tensor.shape.count) '\(tensor.name)'")
        let steps = DMASteps(row: integer("row_step"), column: integer("column_step"))
        try require(DMASlice.allows(steps, rank: tensor.shape.count, transpose: transpose, broadcast: broadcast),
                    "steps \(steps.row) and \(steps.column) on a load that cannot take them")
        let extents = DMAGeometry.sliceExtents(tile: tile, rank: tensor.shape.count, transpose: transpose, broadcast: broadcast,
                                               steps: steps)
        try require(extents.count == tensor.shape.count && zip(extents, tensor.shape).allSatisfy { $0 <= $1 },
                    "a slice of extents \(extents) does not fit '\(tensor.name)' of shape \(tensor.shape)")
    }
}
