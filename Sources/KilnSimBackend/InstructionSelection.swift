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
        case .engine(let engine):
            // Operands in the declaration's field order, encoded as the opcode table lays them out.
            var operands: [Operand] = []
            for operand in engine.operands {
                switch operand {
                case .tile(let value): operands.append(buffer(value))
                case .slice(let hbm, let offsets): operands += [tensor(hbm), .affineList(offsets.map { affine($0) })]
                case .scalar(let value): operands.append(scalar(value))
                case .function(let function): operands.append(.activationFunction(function))
                case .binary(let op): operands.append(.binaryOperator(op))
                case .reduce(let op): operands.append(.reduceOperator(op))
                case .float(let value): operands.append(.float(value))
                case .integer(let value): operands.append(.integer(value))
                case .affine(let expr): operands.append(.affine(affine(expr)))
                case .flag(let value): operands.append(.flag(value))
                case .condition(let value): operands.append(.condition(condition(value)))
                case .reduceInto(nil): operands.append(.reduceInto(nil))
                case .reduceInto(let reduce?):
                    guard case .buffer(let index) = buffer(reduce.destination) else { return nil }
                    operands.append(.reduceInto(ReduceInto(reduce.op, into: index)))
                }
            }
            return Instruction(.engine(engine.op), operands)
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
}
