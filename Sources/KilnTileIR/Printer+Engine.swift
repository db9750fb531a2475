// Printer+Engine.swift: the text form of every engine op, written from its declaration's fields (one format).

import KilnMachine

/// engine-op := MNEMONIC field* ('queue' INT)?, the fields in declaration order:
/// positional fields are operator words (bare) and values (`,` between neighbours, `->` before the first
/// written one); keyword fields are `name value`, `name` for a set flag, `name(%i == 0)` for a condition,
/// `name op -> %t` for a reduction, and are left out when they hold their default.
enum EngineSyntax {
    static func text(_ instruction: EngineInstruction, name: (ValueID) -> String, affine: (AffineExpr) -> String) -> String {
        var text = instruction.op.mnemonic
        var afterValue = false
        var arrowWritten = false
        func scalar(_ operand: ScalarOperand) -> String {
            switch operand {
            case .constant(let value): number(value)
            case .value(let value): name(value)
            }
        }
        for (field, operand) in instruction.fielded {
            switch field.syntax {
            case .positional:
                var separator = " "
                if field.isOutput && !arrowWritten {
                    separator = " -> "
                    arrowWritten = true
                } else if afterValue && isValue(field.kind) {
                    separator = ", "
                }
                switch operand {
                case .tile(let value): text += separator + name(value)
                case .slice(let tensor, let offsets): text += separator + "\(name(tensor))[\(offsets.map(affine).joined(separator: ", "))]"
                case .scalar(let value): text += separator + scalar(value)
                case .function(let function): text += separator + function.rawValue
                case .binary(let op): text += separator + op.rawValue
                case .reduce(let op): text += separator + op.rawValue
                case .float(let value): text += separator + number(value)
                case .integer(let value): text += separator + String(value)
                case .affine(let expr): text += separator + affine(expr)
                case .flag(let value): text += separator + (value ? "true" : "false")
                case .condition, .reduceInto: text += separator + "?"
                }
                afterValue = isValue(field.kind)
            case .keyword(let defaultValue):
                afterValue = false
                switch operand {
                case .flag(let value): if value { text += " " + field.name }
                case .condition(.never): break
                case .condition(.always): text += " " + field.name
                case .condition(.when(let variable, let value)): text += " \(field.name)(\(name(variable)) == \(value))"
                case .reduceInto(nil): break
                case .reduceInto(let reduce?): text += " \(field.name) \(reduce.op.rawValue) -> \(name(reduce.destination))"
                case .float(let value) where value == defaultValue: break
                case .float(let value): text += " \(field.name) \(number(value))"
                case .scalar(.constant(let value)) where value == defaultValue: break
                case .scalar(let value): text += " \(field.name) \(scalar(value))"
                case .integer(let value) where defaultValue == Double(value): break
                case .integer(let value): text += " \(field.name) \(value)"
                case .affine(let expr) where expr.terms.isEmpty && defaultValue == Double(expr.constant): break
                case .affine(let expr): text += " \(field.name) \(affine(expr))"
                case .tile(let value): text += " \(field.name) \(name(value))"
                case .slice(let tensor, let offsets):
                    text += " \(field.name) \(name(tensor))[\(offsets.map(affine).joined(separator: ", "))]"
                case .function(let function): text += " \(field.name) \(function.rawValue)"
                case .binary(let op): text += " \(field.name) \(op.rawValue)"
                case .reduce(let op): text += " \(field.name) \(op.rawValue)"
                }
            }
        }
        if let queue = instruction.queue { text += " queue \(queue)" }
        return text
    }

    /// Kinds written as values (separated by commas when neighbours).
    static func isValue(_ kind: OperandKind) -> Bool {
        switch kind {
        case .tile, .hbmSlice, .scalar: true
        case .activationFunction, .binaryOperator, .reduceOperator, .float, .integer, .affine, .flag, .condition, .reduceInto: false
        }
    }
}
