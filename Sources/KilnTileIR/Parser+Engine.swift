// Parser+Engine.swift: parses every engine op from its declaration's fields (the format `EngineSyntax` prints).

import KilnMachine
import KilnSource

extension TileIRParser {
    /// engine-op := MNEMONIC field* ('queue' INT)?   (fields as in `EngineSyntax`; `queue` on DMA ops only)
    mutating func parseEngineInstruction(_ op: EngineOp) throws(Recover) -> OpKind {
        var operands: [IROperand] = []
        var afterValue = false
        var arrowSeen = false
        for field in op.declaration.fields {
            switch field.syntax {
            case .positional:
                if field.isOutput && !arrowSeen {
                    try expectPunct("->")
                    arrowSeen = true
                } else if afterValue && EngineSyntax.isValue(field.kind) {
                    try expectPunct(",")
                }
                operands.append(try parsePositional(field))
                afterValue = EngineSyntax.isValue(field.kind)
            case .keyword(let defaultValue):
                afterValue = false
                operands.append(try parseKeyword(field, default: defaultValue))
            }
        }
        let queue = op.engine == .dma && acceptWord("queue") ? try parseInteger("a queue number") : nil
        return .engine(EngineInstruction(op, operands, queue: queue))
    }

    /// A positional field: an operator word or a value.
    private mutating func parsePositional(_ field: OperandField) throws(Recover) -> IROperand {
        switch field.kind {
        case .tile: return .tile(try parseValue())
        case .hbmSlice:
            let (tensor, offsets) = try parseSlice()
            return .slice(tensor, offsets)
        case .scalar: return .scalar(try parseScalarOperand())
        case .activationFunction: return .function(try parseName(ActivationFunction.self, "activation function"))
        case .binaryOperator: return .binary(try parseName(BinaryOperator.self, "operator"))
        case .reduceOperator: return .reduce(try parseName(EngineReduceOp.self, "engine reduction"))
        case .float: return .float(try parseNumber())
        case .integer: return .integer(try parseInteger())
        case .affine: return .affine(try parseAffine())
        case .flag: return .flag(try parseName(Truth.self, "true or false") == .true)
        case .condition: return .condition(try parseFlag(field.name))
        case .reduceInto: return try parseKeyword(field, default: nil)
        }
    }

    /// A keyword field; absent means its default (or never, unset, no reduction).
    private mutating func parseKeyword(_ field: OperandField, default defaultValue: Double?) throws(Recover) -> IROperand {
        switch field.kind {
        case .flag: return .flag(acceptWord(field.name))
        case .condition: return .condition(try parseFlag(field.name))
        case .reduceInto:
            guard acceptWord(field.name) else { return .reduceInto(nil) }
            let op = try parseName(EngineReduceOp.self, "engine reduction")
            try expectPunct("->")
            return .reduceInto(FreeAxisReduce(op, into: try parseValue()))
        default:
            if let defaultValue, !acceptWord(field.name) {
                switch field.kind {
                case .float: return .float(defaultValue)
                case .scalar: return .scalar(.constant(defaultValue))
                case .integer: return .integer(Int(defaultValue))
                case .affine: return .affine(.constant(Int(defaultValue)))
                default: break
                }
            } else if defaultValue == nil {
                try expectWord(field.name)
            }
            return try parsePositional(field)
        }
    }
}

/// `true` / `false`, for flags written positionally.
enum Truth: String, CaseIterable {
    case `true`, `false`
}
