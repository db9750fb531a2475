// EngineInstruction+Facts.swift: what the op table's rules and cost formulas see of an instruction's operands.

import KilnMachine

extension TileType {
    /// The tile as the op table's rules and cost formulas see it.
    public var tileShape: TileShape { TileShape(space: space, element: element, partitions: partitions, freeDims: freeDims) }
}

extension EngineInstruction {
    /// One fact per declared field, the values' types looked up with `type`; nil where a value is not of the
    /// kind its field needs (the verifier reports those).
    public func facts(_ type: (ValueID) -> IRType?) -> OperandFacts {
        OperandFacts(operands.map { operand -> OperandFact? in
            switch operand {
            case .tile(let value): return type(value)?.tileType.map { .tile($0.tileShape) }
            case .slice(let tensor, _): return type(tensor)?.hbmType.map { .hbm($0.element, $0.shape) }
            case .scalar(.constant(let value)): return .scalarConstant(value)
            case .scalar(.value(let value)):
                if case .scalar? = type(value) { return .scalarParameter }
                return type(value)?.tileType.map { .scalarTile($0.tileShape) }
            case .function(let function): return .activationFunction(function)
            case .binary(let op): return .binaryOperator(op)
            case .reduce(let op): return .reduceOperator(op)
            case .float(let value): return .float(value)
            case .integer(let value): return .integer(value)
            case .affine(let expr): return expr.terms.isEmpty ? .integer(expr.constant) : nil
            case .flag(let value): return .flag(value)
            case .condition(let condition): return .condition(isAlways: condition == .always)
            case .reduceInto(nil): return .noReduce
            case .reduceInto(let reduce?): return type(reduce.destination)?.tileType.map { .reduceInto(reduce.op, $0.tileShape) }
            }
        })
    }

    /// Estimated nanoseconds of one execution, from the op's declared cost.
    public func nanoseconds(_ type: (ValueID) -> IRType?, target: MachineTarget) -> Double {
        declaration.nanoseconds(facts(type), target: target)
    }

    /// A DMA op's transfer timing, from the op's declared cost (`OpDeclaration.dmaTiming`); nil for other ops.
    public func dmaTiming(_ type: (ValueID) -> IRType?, target: MachineTarget) -> DMATransferTiming? {
        declaration.dmaTiming(facts(type), target: target)
    }
}
