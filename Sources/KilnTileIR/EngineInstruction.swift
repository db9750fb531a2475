// EngineInstruction.swift: an engine op in the tile IR: the op-table entry and its operands in field order.

@_exported import KilnISA
import KilnMachine

/// One operand of an engine instruction; its case matches the kind of the declaration's field at its position.
public enum IROperand: Hashable, Sendable {
    case tile(ValueID)
    case slice(ValueID, [AffineExpr])
    case scalar(ScalarOperand)
    case function(ActivationFunction)
    case binary(BinaryOperator)
    case reduce(EngineReduceOp)
    case float(Double)
    case integer(Int)
    case affine(AffineExpr)
    case flag(Bool)
    case condition(IterationCondition)
    case reduceInto(FreeAxisReduce?)

    /// True if the operand is of the field kind `kind`.
    public func fits(_ kind: OperandKind) -> Bool {
        switch (self, kind) {
        case (.tile, .tile), (.slice, .hbmSlice), (.scalar, .scalar), (.function, .activationFunction),
             (.binary, .binaryOperator), (.reduce, .reduceOperator), (.float, .float), (.integer, .integer), (.affine, .affine),
             (.flag, .flag), (.condition, .condition), (.reduceInto, .reduceInto): true
        default: false
        }
    }
}

/// `dve.tensor_tensor add %a, %b -> %c`: an op from `EngineOp`'s table and its operands, one per declared
/// field. Reads and writes come from the fields' declared access, for every op alike.
public struct EngineInstruction: Hashable, Sendable {
    public var op: EngineOp
    public var operands: [IROperand]
    /// The DMA queue of a DMA op, once scheduled.
    public var queue: Int?

    public init(_ op: EngineOp, _ operands: [IROperand], queue: Int? = nil) {
        self.op = op
        self.operands = operands
        self.queue = queue
    }

    public var declaration: OpDeclaration { op.declaration }

    /// The operand of the field named `name` (nil if the op has no such field).
    public subscript(_ name: String) -> IROperand? {
        guard let index = op.fields.firstIndex(where: { $0.name == name }), index < operands.count else { return nil }
        return operands[index]
    }

    /// The operands with their fields.
    public var fielded: [(field: OperandField, operand: IROperand)] {
        Array(zip(declaration.fields, operands))
    }

    /// True if a `start` condition holds on every execution (an accumulating operand is then only written).
    private var startsAlways: Bool { self["start"] == .condition(.always) }

    /// Values read: tiles and tensors read, offset and flag variables, per-partition scalars.
    public var reads: [ValueID] {
        let fields = op.fields
        var values: [ValueID] = []
        values.reserveCapacity(operands.count)
        for index in 0..<min(fields.count, operands.count) {
            switch operands[index] {
            case .tile(let value):
                let access = fields[index].access
                if access == .read || (access == .accumulate && !startsAlways) { values.append(value) }
            case .slice(let tensor, let offsets):
                if fields[index].access == .read { values.append(tensor) }
                for offset in offsets { for term in offset.terms { values.append(term.variable) } }
            case .scalar(.value(let value)): values.append(value)
            case .condition(.when(let variable, _)): values.append(variable)
            case .affine(let expr): for term in expr.terms { values.append(term.variable) }
            default: break
            }
        }
        return values
    }

    /// Tiles and tensors written.
    public var writes: [ValueID] {
        let fields = op.fields
        var values: [ValueID] = []
        for index in 0..<min(fields.count, operands.count) {
            switch operands[index] {
            case .tile(let value) where fields[index].access != .read: values.append(value)
            case .slice(let tensor, _) where fields[index].access != .read: values.append(tensor)
            case .reduceInto(let reduce?): values.append(reduce.destination)
            default: break
            }
        }
        return values
    }

    /// Calls `body` with every value an operand names: the union of `reads` and `writes`, in operand order,
    /// possibly more than once.
    public func forEachValue(_ body: (ValueID) -> Void) {
        for operand in operands {
            switch operand {
            case .tile(let value), .scalar(.value(let value)), .condition(.when(let value, _)): body(value)
            case .slice(let tensor, let offsets):
                body(tensor)
                for offset in offsets { for term in offset.terms { body(term.variable) } }
            case .reduceInto(let reduce?): body(reduce.destination)
            case .affine(let expr): for term in expr.terms { body(term.variable) }
            default: break
            }
        }
    }

    /// The same instruction with every value passed through `map`.
    public func mappingValues(_ map: (ValueID) -> ValueID) -> EngineInstruction {
        var copy = self
        copy.operands = operands.map { operand in
            switch operand {
            case .tile(let value): .tile(map(value))
            case .slice(let tensor, let offsets): .slice(map(tensor), offsets.map { $0.mappingVariables(map) })
            case .scalar(.value(let value)): .scalar(.value(map(value)))
            case .condition(.when(let variable, let equals)): .condition(.when(map(variable), equals: equals))
            case .reduceInto(let reduce?): .reduceInto(FreeAxisReduce(reduce.op, into: map(reduce.destination)))
            case .affine(let expr): .affine(expr.mappingVariables(map))
            default: operand
            }
        }
        return copy
    }
}

extension AffineExpr {
    /// The expression with each loop variable passed through `map`.
    public func mappingVariables(_ map: (ValueID) -> ValueID) -> AffineExpr {
        AffineExpr(terms: terms.map { .init(map($0.variable), $0.coefficient) }, constant: constant)
    }
}

// Operands by field index, for executors that implement an op (the declaration fixes each field's kind; a
// malformed instruction, which the verifier rejects, reads as a harmless default).
extension EngineInstruction {
    public func tile(_ field: Int) -> ValueID {
        if field < operands.count, case .tile(let value) = operands[field] { return value }
        return ValueID(-1)
    }
    public func slice(_ field: Int) -> (tensor: ValueID, offsets: [AffineExpr]) {
        if field < operands.count, case .slice(let tensor, let offsets) = operands[field] { return (tensor, offsets) }
        return (ValueID(-1), [])
    }
    public func affine(_ field: Int) -> AffineExpr {
        if field < operands.count, case .affine(let expr) = operands[field] { return expr }
        return AffineExpr()
    }
    public func scalar(_ field: Int) -> ScalarOperand {
        if field < operands.count, case .scalar(let value) = operands[field] { return value }
        return .constant(0)
    }
    public func binary(_ field: Int) -> BinaryOperator {
        if field < operands.count, case .binary(let op) = operands[field] { return op }
        return .add
    }
    public func reduce(_ field: Int) -> EngineReduceOp {
        if field < operands.count, case .reduce(let op) = operands[field] { return op }
        return .add
    }
    public func integer(_ field: Int) -> Int {
        if field < operands.count, case .integer(let value) = operands[field] { return value }
        return 0
    }
    public func float(_ field: Int) -> Double {
        if field < operands.count, case .float(let value) = operands[field] { return value }
        return 0
    }
}
