// Validator+Instructions.swift: per-opcode checks: indices in range, engine memory access, operand shapes.

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
            try require(value.isFinite, "\(value) is not finite")
        case .loopSlot, .condition, .activationFunction, .aluOperator, .reduceOperator, .flag:
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

    /// Each buffer operand with its role and whether it is read or written.
    func accesses(_ instruction: Instruction) -> [(String, Int, MemoryAccess)] {
        var result: [(String, Int, MemoryAccess)] = []
        for (field, operand) in zip(instruction.opcode.spec.fields, instruction.operands) {
            let index: Int
            switch operand {
            case .buffer(let value), .scalarSource(.buffer(let value)): index = value
            default: continue
            }
            let written = ["dst", "acc", "into"].contains(field.name)
            result.append((field.name, index, written ? .write : .read))
        }
        return result
    }

    private func buffer(_ operand: Operand) -> BufferEntry? {
        if case .buffer(let index) = operand { return program.buffers[index] }
        return nil
    }

    /// The shape rules of each opcode (the tile IR verifier's rules, restated on buffers).
    private func checkShapes(_ instruction: Instruction, _ context: InstructionContext) throws(BytecodeError) {
        let ops = instruction.operands
        func require(_ ok: Bool, _ detail: @autoclosure () -> String) throws(BytecodeError) {
            if !ok { throw fail("\(context): \(detail())", at: context.offset) }
        }
        func same(_ a: BufferEntry, _ b: BufferEntry) -> Bool {
            a.partitions == b.partitions && a.freeElements == b.freeElements
        }
        func perPartition(_ scalar: Operand, like a: BufferEntry) throws(BytecodeError) {
            if case .scalarSource(.buffer(let index)) = scalar {
                let s = program.buffers[index]
                try require(s.partitions == a.partitions && s.freeElements == 1,
                            "per-partition operand '\(s.name)' must be [\(a.partitions) | 1]")
            }
        }
        let buffers = ops.compactMap(buffer)
        switch instruction.opcode {
        case .loopBegin, .loopEnd, .semSignal, .semWait:
            return
        case .dmaLoad, .dmaStore:
            guard case .tensor(let tensorIndex) = ops[instruction.opcode == .dmaLoad ? 0 : 1],
                  case .affineList(let offsets) = ops[instruction.opcode == .dmaLoad ? 1 : 2], let tile = buffers.first else { return }
            let tensor = program.tensors[tensorIndex]
            let transpose = instruction.opcode == .dmaLoad && ops[3] == .flag(true)
            let broadcast = instruction.opcode == .dmaLoad && ops[4] == .flag(true)
            try require(instruction.opcode == .dmaLoad || tensor.role == .output || tensor.role == .scratch,
                        "dma.store writes '\(tensor.name)', not an output or scratch tensor")
            try require(offsets.count == tensor.shape.count, "\(offsets.count) offsets for rank-\(tensor.shape.count) '\(tensor.name)'")
            try require(!(transpose && broadcast), "a load cannot both transpose and broadcast")
            try require(!transpose || tensor.shape.count == 2, "a transposing load needs a 2-D tensor")
            try require(!broadcast || tile.freeDims.count <= tensor.shape.count,
                        "a broadcasting load of rank-\(tile.freeDims.count) free dims needs a tensor of at least that rank")
            let extents = DMAGeometry.sliceExtents(tile: tile, rank: tensor.shape.count, transpose: transpose, broadcast: broadcast)
            try require(extents.count == tensor.shape.count && zip(extents, tensor.shape).allSatisfy { $0 <= $1 },
                        "a slice of extents \(extents) does not fit '\(tensor.name)' of shape \(tensor.shape)")
        case .matmul:
            let (s, m, acc) = (buffers[0], buffers[1], buffers[2])
            let engine = target.tensorEngine
            try require(s.partitions == m.partitions, "stationary and moving have \(s.partitions) and \(m.partitions) partitions (K)")
            try require(s.dtype == m.dtype && s.dtype.isFloat, "stationary and moving must share a float element type")
            try require(acc.dtype == .f32 && acc.partitions == s.freeElements && acc.freeElements == m.freeElements,
                        "the accumulator must be f32 [\(s.freeElements) | \(m.freeElements)]")
            try require(s.partitions <= engine.maxK && s.freeElements <= engine.maxM && m.freeElements <= engine.maxN,
                        "K \(s.partitions), M \(s.freeElements), N \(m.freeElements) exceed \(engine.maxK), \(engine.maxM), \(engine.maxN)")
        case .peTranspose:
            let (src, dst) = (buffers[0], buffers[1])
            try require(dst.partitions == src.freeElements && dst.freeElements == src.partitions,
                        "transposing [\(src.partitions) | \(src.freeElements)] needs a [\(src.freeElements) | \(src.partitions)] destination")
            try require(src.partitions <= target.tensorEngine.maxK && src.freeElements <= target.tensorEngine.maxM,
                        "transpose input [\(src.partitions) | \(src.freeElements)] exceeds the tensor engine")
        case .activate, .activateReduce:
            try require(same(buffers[0], buffers[1]), "source and destination shapes differ")
            try perPartition(ops[4], like: buffers[0])
            if instruction.opcode == .activateReduce, let into = buffers.last {
                try require(into.partitions == buffers[0].partitions && into.freeElements == 1,
                            "the reduction destination must be [\(buffers[0].partitions) | 1]")
            }
        case .tensorTensor, .select:
            try require(buffers.dropFirst().allSatisfy { same($0, buffers[0]) }, "operand shapes differ")
        case .tensorScalar:
            try require(same(buffers[0], buffers[1]), "source and destination shapes differ")
            try perPartition(ops[2], like: buffers[0])
        case .tensorReduce:
            let (src, dst) = (buffers[0], buffers[1])
            let last = src.freeDims.last ?? 1
            try require(dst.partitions == src.partitions && dst.freeElements * last == src.freeElements,
                        "reducing the last free dim of [\(src.partitions) | \(src.freeDims)] needs \(src.freeElements / last) "
                            + "elements per partition")
        case .tensorCopy, .reciprocal:
            try require(same(buffers[0], buffers[1]), "source and destination shapes differ")
        case .iota:
            return
        }
    }
}
