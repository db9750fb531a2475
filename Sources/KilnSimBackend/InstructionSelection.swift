// InstructionSelection.swift: one tile IR engine op to one bytecode instruction, operands resolved to table indices.

import KilnBytecode
import KilnMachine
import KilnSource
import KilnTileIR

extension StreamBuilder {
    /// The instruction for an engine or sync op; nil (with a diagnostic) when an operand cannot be resolved.
    mutating func select(_ op: Operation) -> Instruction? {
        var resolver = OperandResolver(builder: self, op: op)
        let instruction = resolver.instruction()
        diagnostics.append(contentsOf: resolver.problems)
        return resolver.problems.isEmpty ? instruction : nil
    }
}

/// Resolves one op's values to buffers, tensors and loop slots, collecting a diagnostic per unresolved value.
private struct OperandResolver {
    let builder: StreamBuilder
    let op: Operation
    var problems: [Diagnostic] = []

    init(builder: StreamBuilder, op: Operation) {
        self.builder = builder
        self.op = op
    }

    mutating func instruction() -> Instruction? {
        switch op.kind {
        case .syncSignal(let semaphore, _, _):
            return Instruction(.semSignal, [.semaphore(semaphore)])
        case .syncWait(let semaphore, let atLeast, _, _):
            return Instruction(.semWait, [.semaphore(semaphore), .affine(AffineOffset(constant: atLeast))])
        case .dmaLoad(let transfer):
            let hbm = tensor(transfer.hbm)
            let offsets = transfer.offsets.map { affine($0) }
            return Instruction(.dmaLoad, [hbm, .affineList(offsets), buffer(transfer.tile), .flag(transfer.transpose),
                                          .flag(transfer.broadcast)])
        case .dmaStore(let transfer):
            let tile = buffer(transfer.tile)
            let hbm = tensor(transfer.hbm)
            return Instruction(.dmaStore, [tile, hbm, .affineList(transfer.offsets.map { affine($0) })])
        case .peMatmul(let matmul):
            return Instruction(.matmul, [buffer(matmul.stationary), buffer(matmul.moving), buffer(matmul.accumulator),
                                         .condition(condition(matmul.start)), .condition(condition(matmul.stop))])
        case .peTranspose(let source, let destination):
            return Instruction(.peTranspose, [buffer(source), buffer(destination)])
        case .actActivate(let activation):
            var operands: [Operand] = [.activationFunction(activation.function), buffer(activation.source),
                                       buffer(activation.destination), .float(activation.scale), scalar(activation.bias)]
            guard let reduce = activation.reduce else { return Instruction(.activate, operands) }
            operands += [.reduceOperator(reduceOperator(reduce.op)), buffer(reduce.destination)]
            return Instruction(.activateReduce, operands)
        case .dveTensorTensor(let op, let a, let b, let destination):
            return Instruction(.tensorTensor, [aluOperator(op), buffer(a), buffer(b), buffer(destination)])
        case .dveTensorScalar(let op, let a, let value, let destination):
            return Instruction(.tensorScalar, [aluOperator(op), buffer(a), scalar(value), buffer(destination)])
        case .dveReduce(let op, let source, let destination):
            return Instruction(.tensorReduce, [.reduceOperator(reduceOperator(op)), buffer(source), buffer(destination)])
        case .dveCopy(let source, let destination):
            return Instruction(.tensorCopy, [buffer(source), buffer(destination)])
        case .dveReciprocal(let source, let destination):
            return Instruction(.reciprocal, [buffer(source), buffer(destination)])
        case .poolIota(let iota):
            return Instruction(.iota, [.integer(iota.base), .integer(iota.partitionStep), .integer(iota.freeStep),
                                       buffer(iota.destination)])
        case .poolSelect(let condition, let a, let b, let destination):
            return Instruction(.select, [buffer(condition), buffer(a), buffer(b), buffer(destination)])
        default:
            problems.append(DiagnosticCatalogue.simBackendUnsupportedOp(op.opcode, at: op.span))
            return nil
        }
    }

    private mutating func problem(_ detail: String) {
        problems.append(DiagnosticCatalogue.simBackendInvalidIR("'\(op.opcode)': \(detail)", at: op.span))
    }

    mutating func buffer(_ value: ValueID) -> Operand {
        guard let index = builder.bufferIndex[value] else {
            if builder.values[value]?.type.tileType == nil {
                problem("\(builder.name(of: value)) is not a tile")
            } else if builder.diagnostics.isEmpty {
                problem("tile \(builder.name(of: value)) has no placed alloc before it")
            }
            return .buffer(0)
        }
        return .buffer(index)
    }

    mutating func tensor(_ value: ValueID) -> Operand {
        guard let index = builder.tensorIndex[value] else {
            problem("\(builder.name(of: value)) is not an HBM parameter or output of the kernel")
            return .tensor(0)
        }
        return .tensor(index)
    }

    mutating func affine(_ expr: AffineExpr) -> AffineOffset {
        var result = AffineOffset(constant: expr.constant)
        for term in expr.terms {
            guard let slot = builder.slot(of: term.variable) else {
                problem("offset uses \(builder.name(of: term.variable)), which is not an enclosing loop's variable")
                continue
            }
            result.terms.append(.init(slot: slot, coefficient: term.coefficient))
        }
        return result
    }

    mutating func condition(_ condition: IterationCondition) -> FlagCondition {
        switch condition {
        case .never: return .never
        case .always: return .always
        case .when(let variable, let value):
            guard let slot = builder.slot(of: variable) else {
                problem("a matmul flag tests \(builder.name(of: variable)), which is not an enclosing loop's variable")
                return .never
            }
            return .when(slot: slot, equals: value)
        }
    }

    mutating func scalar(_ operand: ScalarOperand) -> Operand {
        switch operand {
        case .constant(let value): return .scalarSource(.constant(value))
        case .value(let value):
            if let constant = builder.scalarConstants[value] { return .scalarSource(.constant(constant)) }
            guard case .buffer(let index) = buffer(value) else { return .scalarSource(.constant(0)) }
            return .scalarSource(.buffer(index))
        }
    }

    mutating func aluOperator(_ op: BinaryOperator) -> Operand {
        guard let code = ALUOperator.allCases.first(where: { $0.description == op.rawValue }) else {
            problem("operator '\(op.rawValue)' has no vector-engine encoding")
            return .aluOperator(.add)
        }
        return .aluOperator(code)
    }

    func reduceOperator(_ op: EngineReduceOp) -> ReduceOperator {
        switch op {
        case .add: .add
        case .max: .max
        case .min: .min
        }
    }
}
