// Verifier+TensorOps.swift: type rules of the tensor-level ops (shapes, element types, calls, return).

import KilnMachine
import KilnSource

extension FunctionVerifier {
    /// The type rules of one op; its uses are known to be visible.
    func checkTypes(of op: Operation) {
        if let result = op.result { checkDeclaredType(result.type, at: op) }
        switch op.kind {
        case .constant:
            guard let result = op.result else { return missingResult(op) }
            switch result.type {
            case .scalar, .tensor: break
            default: mismatch(op, "result", expected: "a scalar or a tensor", found: result.type)
            }
        case .iota(let axis):
            guard let result = op.result else { return missingResult(op) }
            guard let tensor = result.type.tensorType, tensor.element != .bool else {
                return mismatch(op, "result", expected: "a numeric tensor", found: result.type)
            }
            if axis < 0 || axis >= tensor.rank {
                report(at: op) { DiagnosticCatalogue.tileIRInvalidDims("iota axis \(axis) is outside the result's rank \(tensor.rank)", at: $0) }
            }
        case .scan(let a, let b, let axis):
            guard let resultType = expectResult(op) else { return }
            for operand in [a, b] where valueType(of: operand) != resultType {
                return report(at: op) { DiagnosticCatalogue.tileIRShapeMismatch(op.opcode, "\(valueType(of: operand)) and \(resultType)", at: $0) }
            }
            if let tensor = resultType.tensorType, axis != tensor.rank - 1 || tensor.rank < 2 || !tensor.element.isFloat {
                report(at: op) { DiagnosticCatalogue.tileIRInvalidDims(
                    "scan runs along the last axis of a float tensor of rank 2 or more; found axis \(axis) of \(tensor)", at: $0) }
            }
        case .unary(let function, let a):
            guard let resultType = expectResult(op) else { return }
            if function == .not, types[a]?.type.element != .bool {
                mismatch(op, "operand", expected: "bool", found: type(a))
            }
            if valueType(of: a) != resultType {
                resultMismatch(op, expected: valueType(of: a), found: resultType)
            }
        case .binary(let binary, let a, let b):
            guard let resultType = expectResult(op) else { return }
            let (left, right) = (valueType(of: a), valueType(of: b))
            guard left == right else {
                return report(at: op) { DiagnosticCatalogue.tileIRShapeMismatch(op.opcode, "\(left) and \(right)", at: $0) }
            }
            if binary.isLogical, left.element != .bool { mismatch(op, "operands", expected: "bool", found: left) }
            if binary.isBitwise, left.element != .i32 { mismatch(op, "operands", expected: "i32", found: left) }
            let expected = binary.isComparison ? withElement(left, .bool) : left
            if expected != resultType { resultMismatch(op, expected: expected, found: resultType) }
        case .broadcast(let a):
            guard let resultType = expectResult(op), let result = resultType.tensorType else {
                return mismatch(op, "result", expected: "a tensor", found: op.result?.type)
            }
            let source = valueType(of: a)
            // A float scalar may meet a tensor of another float element: it is an f32 immediate, as a literal
            // is, and is not rounded to the tensor's element (Docs/numerics.md).
            let immediate = source.tensorType == nil && source.element?.isFloat == true && result.element.isFloat
            if let element = source.element, element != result.element, !immediate {
                resultMismatch(op, expected: withElement(resultType, element), found: resultType)
            }
            if let tensor = tensorLike(source) {
                // NumPy rules: shapes aligned on the right; size-1 dims and missing leading dims stretch.
                let stretches = tensor.rank <= result.rank
                    && zip(tensor.shape.reversed(), result.shape.reversed()).allSatisfy { $0 == $1 || $0 == 1 }
                if !stretches {
                    report(at: op) { DiagnosticCatalogue.tileIRShapeMismatch(op.opcode,
                        "\(source) cannot broadcast to \(resultType) (aligned on the right, each dim must match or be 1)", at: $0) }
                }
            } else if case .scalar = source {} else {
                mismatch(op, "operand", expected: "a tensor or a scalar", found: source)
            }
        case .reduce(_, let a, let axis):
            guard let resultType = expectResult(op), let source = tensorOperand(op, a, "operand") else { return }
            guard axis >= 0 && axis < source.rank else {
                return report(at: op) { DiagnosticCatalogue.tileIRInvalidAxis(axis, rank: source.rank, at: $0) }
            }
            var shape = source.shape
            shape[axis] = 1
            let expected = IRType.tensor(TensorType(source.element, shape))
            if expected != resultType { resultMismatch(op, expected: expected, found: resultType) }
        case .matmul(let a, let b):
            guard let resultType = expectResult(op), let left = tensorOperand(op, a, "left operand"),
                  let right = tensorOperand(op, b, "right operand") else { return }
            guard let shape = TensorShapes.matmul(left.shape, right.shape) else {
                return report(at: op) { DiagnosticCatalogue.tileIRShapeMismatch(op.opcode,
                    "\(type(a)) @ \(type(b)) needs [..., M, K] @ [..., K, N] with broadcasting batch dims", at: $0) }
            }
            if left.element != right.element { mismatch(op, "right operand", expected: "\(left.element)", found: type(b)) }
            guard let result = resultType.tensorType, result.shape == shape, result.element.isFloat else {
                return resultMismatch(op, expected: .tensor(TensorType(.f32, shape)), found: resultType)
            }
        case .transpose(let a):
            guard let resultType = expectResult(op), let source = tensorOperand(op, a, "operand") else { return }
            guard let shape = TensorShapes.transposed(source.shape) else {
                return mismatch(op, "operand", expected: "a tensor of rank 2 or more", found: type(a))
            }
            let expected = IRType.tensor(TensorType(source.element, shape))
            if expected != resultType { resultMismatch(op, expected: expected, found: resultType) }
        case .permute(let a, let perm):
            guard let resultType = expectResult(op), let source = tensorOperand(op, a, "operand") else { return }
            guard perm.count == source.rank, perm.sorted() == Array(0..<source.rank), perm.last == source.rank - 1 else {
                return report(at: op) { DiagnosticCatalogue.tileIRShapeMismatch(op.opcode,
                    "perm \(perm) is not a permutation of the axes of \(type(a)) that keeps the last axis", at: $0) }
            }
            let expected = IRType.tensor(TensorType(source.element, perm.map { source.shape[$0] }))
            if expected != resultType { resultMismatch(op, expected: expected, found: resultType) }
        case .reshape(let a):
            guard let resultType = expectResult(op), let source = tensorOperand(op, a, "operand") else { return }
            guard let result = resultType.tensorType, result.element == source.element,
                  result.shape.reduce(1, *) == source.shape.reduce(1, *) else {
                return mismatch(op, "result", expected: "a tensor of \(source.element) with \(source.shape.reduce(1, *)) elements",
                                found: resultType)
            }
        case .slice(let a, let offsets, let strides):
            guard let resultType = expectResult(op), let source = tensorOperand(op, a, "operand") else { return }
            guard let result = resultType.tensorType, result.element == source.element, result.rank == source.rank else {
                return mismatch(op, "result", expected: "a tensor of \(source.element) with rank \(source.rank)", found: resultType)
            }
            // Dim d reads offsets[d], offsets[d] + strides[d], ..., (size - 1) strides on: the last must be in bounds.
            guard offsets.count == source.rank, strides.count == source.rank, strides.allSatisfy({ $0 >= 1 }),
                  (0..<source.rank).allSatisfy({ d in
                      offsets[d] >= 0 && offsets[d] + (result.shape[d] - 1) * strides[d] < source.shape[d] }) else {
                let step = strides.allSatisfy { $0 == 1 } ? "" : " step [\(strides.map(String.init).joined(separator: ", "))]"
                return report(at: op) { DiagnosticCatalogue.tileIRInvalidDims(
                    "slice [\(offsets.map(String.init).joined(separator: ", "))]\(step) of \(result.shape) does not fit inside \(type(a))",
                    at: $0) }
            }
        case .gather(let table, let indices):
            guard let resultType = expectResult(op), let rows = tensorOperand(op, table, "table"),
                  let positions = tensorOperand(op, indices, "indices") else { return }
            guard rows.rank == 2, positions.element == .i32, positions.rank + 1 <= 4 else {
                return report(at: op) { DiagnosticCatalogue.tileIRShapeMismatch(op.opcode,
                    "gather reads rows of a rank-2 table with i32 indices of rank 1 to 3; found \(type(table)) and \(type(indices))",
                    at: $0) }
            }
            let expected = IRType.tensor(TensorType(rows.element, positions.shape + [rows.shape[1]]))
            if expected != resultType { resultMismatch(op, expected: expected, found: resultType) }
        case .scatterAdd(let table, let ids, let values):
            guard let resultType = expectResult(op), let rows = tensorOperand(op, table, "table"),
                  let positions = tensorOperand(op, ids, "indices"), let added = tensorOperand(op, values, "values") else { return }
            guard rows.rank == 2, rows.element.isFloat, positions.element == .i32, positions.rank + 1 <= 4,
                  added.element == rows.element, added.shape == positions.shape + [rows.shape[1]] else {
                return report(at: op) { DiagnosticCatalogue.tileIRShapeMismatch(op.opcode,
                    "scatter_add adds values of the indices' shape plus the row length into a float rank-2 table; found "
                        + "\(type(table)), \(type(ids)) and \(type(values))", at: $0) }
            }
            if resultType != .tensor(rows) { resultMismatch(op, expected: .tensor(rows), found: resultType) }
        case .topk(let a, let k, let indices):
            guard let resultType = expectResult(op), let source = tensorOperand(op, a, "operand") else { return }
            guard source.element.isFloat, let row = source.shape.last, (1...8).contains(k), k <= row else {
                return report(at: op) { DiagnosticCatalogue.tileIRShapeMismatch(op.opcode,
                    "\(op.opcode) takes k from 1 to 8 of a float tensor's rows; found k \(k) of \(type(a))", at: $0) }
            }
            let expected = IRType.tensor(TensorType(indices ? .i32 : source.element, source.shape.dropLast() + [k]))
            if expected != resultType { resultMismatch(op, expected: expected, found: resultType) }
        case .concat(let operands, let axis):
            guard let resultType = expectResult(op), let result = resultType.tensorType else {
                return mismatch(op, "result", expected: "a tensor", found: op.result?.type)
            }
            guard axis >= 0 && axis < result.rank else {
                return report(at: op) { DiagnosticCatalogue.tileIRInvalidAxis(axis, rank: result.rank, at: $0) }
            }
            var joined = 0
            for operand in operands {
                guard let tensor = tensorOperand(op, operand, "operand") else { return }
                var expected = result.shape
                expected[axis] = tensor.shape.count == result.rank ? tensor.shape[axis] : -1
                guard tensor.element == result.element, tensor.shape == expected else {
                    return report(at: op) { DiagnosticCatalogue.tileIRShapeMismatch(op.opcode,
                        "\(type(operand)) does not join \(resultType) along axis \(axis) (same element and other dims)", at: $0) }
                }
                joined += tensor.shape[axis]
            }
            if joined != result.shape[axis] {
                report(at: op) { DiagnosticCatalogue.tileIRShapeMismatch(op.opcode,
                    "the operands' sizes along axis \(axis) add up to \(joined), not \(result.shape[axis])", at: $0) }
            }
        case .select(let c, let a, let b):
            guard let resultType = expectResult(op) else { return }
            let (condition, left, right) = (valueType(of: c), valueType(of: a), valueType(of: b))
            if condition.element != .bool { mismatch(op, "condition", expected: "bool", found: condition) }
            if left != right || withElement(condition, left.element ?? .bool) != left {
                report(at: op) { DiagnosticCatalogue.tileIRShapeMismatch(op.opcode, "\(condition), \(left), \(right)", at: $0) }
            } else if left != resultType {
                resultMismatch(op, expected: left, found: resultType)
            }
        case .cast(let a):
            guard let resultType = expectResult(op) else { return }
            let source = valueType(of: a)
            if let element = resultType.element, withElement(source, element) != resultType {
                resultMismatch(op, expected: withElement(source, element), found: resultType)
            }
        case .call(let callee, let arguments):
            checkCall(op, callee: callee, arguments: arguments)
        case .ret(let values):
            checkReturn(op, values: values)
        default:
            checkTileOp(op)
        }
    }

    private func checkCall(_ op: Operation, callee: String, arguments: [ValueID]) {
        guard let resultType = expectResult(op) else { return }
        guard let target = module.function(named: callee) else {
            return report(at: op) { DiagnosticCatalogue.tileIRCallMismatch("call to unknown function @\(callee)", at: $0) }
        }
        guard arguments.count == target.parameters.count else {
            return report(at: op) { DiagnosticCatalogue.tileIRCallMismatch(
                "@\(callee) takes \(target.parameters.count) arguments, found \(arguments.count)", at: $0) }
        }
        for (argument, parameter) in zip(arguments, target.parameters) where !accepts(parameter.value.type, valueType(of: argument)) {
            mismatch(op, "argument \(name(argument))", expected: "\(parameter.value.type)", found: type(argument))
        }
        guard target.outputs.count == 1, let output = target.outputs.first else {
            return report(at: op) { DiagnosticCatalogue.tileIRCallMismatch(
                "'call' needs a function with one output; @\(callee) has \(target.outputs.count)", at: $0) }
        }
        let expected = valueType(of: output.type)
        if expected != resultType { resultMismatch(op, expected: expected, found: resultType) }
    }

    private func checkReturn(_ op: Operation, values: [ValueID]) {
        if values.isEmpty { return }  // tile level: outputs were stored with dma.store
        guard values.count == function.outputs.count else {
            return report(at: op) { DiagnosticCatalogue.tileIRMisplacedReturn(
                "'return' gives \(values.count) values for \(function.outputs.count) outputs", at: $0) }
        }
        for (value, output) in zip(values, function.outputs) where !accepts(output.type, valueType(of: value)) {
            mismatch(op, "value \(name(value))", expected: "\(valueType(of: output.type))", found: type(value))
        }
    }

    // MARK: Helpers

    /// The type a value has when used as a tensor-level operand: HBM tensors read as tensors.
    func valueType(of id: ValueID) -> IRType {
        valueType(of: types[id]?.type ?? .index)
    }

    func valueType(of type: IRType) -> IRType {
        if case .hbm(let tensor) = type { return .tensor(tensor) }
        return type
    }

    /// True if a parameter or output of type `declared` accepts a value of type `given`.
    func accepts(_ declared: IRType, _ given: IRType) -> Bool {
        valueType(of: declared) == valueType(of: given)
    }

    func tensorLike(_ type: IRType) -> TensorType? {
        type.tensorType ?? type.hbmType
    }

    func withElement(_ type: IRType, _ element: ElementType) -> IRType {
        switch type {
        case .scalar: .scalar(element)
        case .tensor(let tensor): .tensor(TensorType(element, tensor.shape))
        case .hbm(let tensor): .hbm(TensorType(element, tensor.shape))
        case .tile(let tile): .tile(TileType(tile.space, element, partitions: tile.partitions, free: tile.freeDims))
        case .index: .index
        }
    }

    func type(_ id: ValueID) -> String {
        types[id].map { "\($0.type)" } ?? "an undefined value"
    }

    func tensorOperand(_ op: Operation, _ id: ValueID, _ role: String) -> TensorType? {
        guard let tensor = types[id].flatMap({ tensorLike($0.type) }) else {
            mismatch(op, role, expected: "a tensor", found: types[id]?.type)
            return nil
        }
        return tensor
    }

    func expectResult(_ op: Operation) -> IRType? {
        guard let result = op.result else {
            missingResult(op)
            return nil
        }
        return result.type
    }

    func missingResult(_ op: Operation) {
        report(at: op) { DiagnosticCatalogue.tileIRResultType(op.opcode, expected: "a value", found: "without a result", at: $0) }
    }

    func mismatch(_ op: Operation, _ role: String, expected: String, found: IRType?) {
        let foundText = found.map { "\($0)" } ?? "nothing"
        report(at: op) { DiagnosticCatalogue.tileIROperandType(op.opcode, role, expected: expected, found: foundText, at: $0) }
    }

    func mismatch(_ op: Operation, _ role: String, expected: String, found: String) {
        report(at: op) { DiagnosticCatalogue.tileIROperandType(op.opcode, role, expected: expected, found: found, at: $0) }
    }

    func resultMismatch(_ op: Operation, expected: IRType, found: IRType) {
        report(at: op) { DiagnosticCatalogue.tileIRResultType(op.opcode, expected: "\(expected)", found: "\(found)", at: $0) }
    }
}
