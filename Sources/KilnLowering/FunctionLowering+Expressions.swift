// FunctionLowering+Expressions.swift: expressions to tensor-level ops, with explicit broadcasts and weak scalars.

import KilnMachine
import KilnNumerics
import KilnSema
import KilnSource
import KilnSyntax
import KilnTileIR

extension FunctionLowering {
    /// Lowers an expression. Operations on tiles go to `FunctionLowering+Tiles.swift`; everything else
    /// becomes tensor-level (or scalar) ops.
    func lower(_ expr: Expr) throws(LoweringFailed) -> Lowered {
        switch expr.kind {
        case .integer(let value): return .constant(Double(value), .i32)
        case .float(let value): return .constant(Double(Float(value)), .f32)   // a float literal is an f32 (numerics.md)
        case .bool(let value): return .constant(value ? 1 : 0, .bool)
        case .name: return try lowerName(expr)
        case .unary(let op, let operand):
            let value = try lower(operand)
            if case .constant(let number, let element) = value, op == .negate { return .constant(-number, element) }
            let function: UnaryFunction = op == .negate ? .neg : .not
            if value.tile != nil { return try tileUnary(function, value, expr) }
            return try elementwiseUnary(function, value, expr)
        case .binary(let op, let lhs, let rhs):
            let (a, b) = (try lower(lhs), try lower(rhs))
            if op == .matmul { return try tensorOp(expr, .matmul(try tensor(a, lhs), try tensor(b, rhs))) }
            return try binary(Self.binaryOperator(op), a, b, expr)
        case .call(let callee, let arguments):
            return try lowerCall(callee, arguments.map(\.value), expr)
        case .index(let base, _):
            let source = try lower(base)
            if source.tile != nil { return try tileSlice(source, expr) }
            return try wholeSlice(source, base, expr)
        case .member(let base, _):
            let value = try lower(base)
            return try tensorOp(expr, .transpose(try tensor(value, base)))
        case .tuple:
            throw fail(DiagnosticCatalogue.loweringUnsupported("a tuple used as a value",
                reason: "tuples are the axes of a reduction", at: expr.span))
        case .cast(let operand, _):
            let value = try lower(operand)
            let type = try irType(checkedType(expr), at: expr.span)
            guard let element = type.element else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
            if case .constant(let number, _) = value {
                // An explicit cast of a constant rounds it to a narrow float (RNE, Docs/numerics.md) as the
                // reference does: `(0.3 as bf16) as f32` is 0.30078125.
                return .constant(element.isFloat ? element.convert(number) : Self.convert(number, to: element), element)
            }
            if let (id, tile) = value.tile { return .value(try tileCopy(id, tile, element: element, at: expr.span), .tile(tile.with(element: element, space: .sbuf))) }
            guard case .value(let id, let sourceType) = value else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
            let result = sourceType.valueType.with(element: element)
            return .value(self.value(.cast(id), result, at: expr.span), result)
        case .error:
            throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span))
        }
    }

    /// A name: a parameter, a dim (an i32 constant), a local, a loop variable.
    func lowerName(_ expr: Expr) throws(LoweringFailed) -> Lowered {
        guard let resolution = program.resolutions[expr.id] else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
        switch resolution {
        case .parameter(let index) where index < parameters.count:
            return parameters[index]
        case .dim(let name):
            guard let size = dimSizes[name] else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
            return .constant(Double(size), .i32)
        case .infinity:
            return .constant(.infinity, .f32)
        case .letBinding(let span), .varBuffer(let span):
            guard let local = locals[span] else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
            return local
        case .loopVariable(let span):
            guard let local = locals[span] else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
            if case .value = local {
                throw fail(DiagnosticCatalogue.loweringUnsupported("the loop variable '\(program.syntaxText(expr))' as a value",
                    reason: "loop variables may be used in slice bounds and loop bounds only", at: expr.span))
            }
            return local
        case .parameter, .result:
            throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span))
        }
    }

    /// Builtins and helper calls.
    func lowerCall(_ callee: Identifier, _ arguments: [Expr], _ expr: Expr) throws(LoweringFailed) -> Lowered {
        guard let target = program.calls[expr.id] else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
        guard case .builtin(let builtin) = target else { return try lowerHelperCall(target, arguments, expr) }
        switch builtin {
        case .load: return try load(arguments[0], at: expr.span)
        case .store:
            try store(arguments[0], arguments[1], at: expr.span)
            return .constant(0, .i32)
        case .nc_matmul: return try matmulTile(arguments[0], arguments[1], into: nil, at: expr.span)
        case .nc_transpose: return try transposeTile(try lower(arguments[0]), at: expr.span)
        case .activation: return try activationTile(expr)
        case .affine_select: return try affineSelectTile(expr)
        case .bn_stats, .bn_aggr: return try statisticsTile(builtin, try lower(arguments[0]), at: expr.span)
        case .quantize_mx, .scale_mx: return try quantizeMXTile(builtin, arguments, at: expr.span)
        case .nc_matmul_mx:
            var operands: [Lowered] = []
            for argument in arguments { operands.append(try lower(argument)) }
            return try matmulMXTile(operands, into: nil, at: expr.span)
        case .iota:
            // The shape is the checker's type; the axis is recorded with the call.
            guard let axis = program.reductionAxes[expr.id]?.first else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
            let type = try irType(checkedType(expr), at: expr.span)
            if case .tile(let tile) = type {
                // A tile of positions (the tile-level form): made on chip by the pool engine.
                let id = allocate(tile, at: expr.span)
                emit(.poolIota(Iota(base: 0, partitionStep: axis == 0 ? 1 : 0, freeStep: axis == 0 ? 0 : 1, destination: id)),
                     at: expr.span)
                return .value(id, type)
            }
            return try tensorOp(expr, .iota(axis: axis))
        case .broadcast_to:
            // The shape (dims, not values) is the checker's type.
            let result = try irType(checkedType(expr), at: expr.span)
            return .value(try coerce(try lower(arguments[0]), to: result, at: expr.span), result)
        case .reshape:
            // The shape (dims, not values) is the checker's type; a reshape to the same shape is the operand.
            let operand = try lower(arguments[0])
            if let (id, tile) = operand.tile { return try reshapeTile(id, tile, expr) }
            let result = try irType(checkedType(expr), at: expr.span)
            let source = try tensor(operand, arguments[0])
            if valueTypes[source].flatMap({ $0.tensorType ?? $0.hbmType })?.shape == result.tensorType?.shape { return .value(source, result) }
            return .value(value(.reshape(source), result, at: expr.span), result)
        case .copy:
            guard let (id, tile) = try lower(arguments[0]).tile else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
            return .value(try tileCopy(id, tile, element: tile.element, at: expr.span), .tile(tile.with(element: tile.element, space: .sbuf)))
        default: break
        }
        // A tile scan lowers its own arguments (each once), with `initial:`.
        if builtin == .cumsum || builtin == .scan, try checkedType(expr).isTile { return try tileScan(builtin, expr) }
        // A reduction's `axis:` argument (a literal or a tuple of literals) is read from the checked program.
        let values = try arguments.map { (argument) throws(LoweringFailed) -> Lowered in
            if case .tuple = argument.kind { return .constant(0, .i32) }
            return try lower(argument)
        }
        if case .math(let function) = builtin {
            if values[0].tile != nil { return try tileUnary(function, values[0], expr) }
            return try elementwiseUnary(function, values[0], expr)
        }
        switch builtin {
        case .maximum: return try binary(.max, values[0], values[1], expr)
        case .bitwise_and: return try binary(.bitwiseAnd, values[0], values[1], expr)
        case .bitwise_or: return try binary(.bitwiseOr, values[0], values[1], expr)
        case .bitwise_xor: return try binary(.bitwiseXor, values[0], values[1], expr)
        case .left_shift: return try binary(.shiftLeft, values[0], values[1], expr)
        case .right_shift: return try binary(.shiftRight, values[0], values[1], expr)
        case .minimum: return try binary(.min, values[0], values[1], expr)
        case .pow: return try binary(.pow, values[0], values[1], expr)
        case .argmax, .argmin:
            guard let axis = program.reductionAxes[expr.id]?.first else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
            return try argReduce(builtin == .argmax, try tensor(values[0], arguments[0]), axis: axis, expr)
        case .cumsum, .scan:
            let result = try irType(checkedType(expr), at: expr.span)
            guard let rank = result.tensorType?.rank else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
            // cumsum(x) is scan(1, x); the operands are converted and broadcast to the result's type.
            let a = try coerce(builtin == .cumsum ? .constant(1, .f32) : values[0], to: result, at: expr.span)
            let b = try coerce(builtin == .cumsum ? values[0] : values[1], to: result, at: expr.span)
            return .value(value(.scan(a, b, axis: rank - 1), result, at: expr.span), result)
        case .clamp:
            // minimum(maximum(x, lo), hi). With a tile only in `hi`, maximum(x, lo) is a scalar (folded when both are
            // constants), not a value of the clamp's tile type.
            if values[2].tile != nil, values[0].tile == nil, values[1].tile == nil {
                return try binary(.min, try scalarBinary(.max, values[0], values[1], expr), values[2], expr)
            }
            return try binary(.min, try binary(.max, values[0], values[1], expr), values[2], expr)
        case .gather:
            return try tensorOp(expr, .gather(try tensor(values[0], arguments[0]), try tensor(values[1], arguments[1])))
        case .scatter_add:
            return try tensorOp(expr, .scatterAdd(try tensor(values[0], arguments[0]), try tensor(values[1], arguments[1]),
                                                  try tensor(values[2], arguments[2])))
        case .topk, .argtopk:
            guard let k = Builtin.topkCount(arguments[1]) else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
            return try tensorOp(expr, .topk(try tensor(values[0], arguments[0]), k: k, indices: builtin == .argtopk))
        case .concat:
            guard let axis = program.reductionAxes[expr.id]?.first else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
            // The tensors are the positional arguments (`axis:` is labelled).
            guard case .call(_, let written) = expr.kind else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
            var operands: [ValueID] = []
            for (value, argument) in zip(values, written) where argument.label == nil {
                operands.append(try tensor(value, argument.value))
            }
            return try tensorOp(expr, .concat(operands, axis: axis))
        case .sum, .max, .min, .mean:
            guard let kind = ReduceKind(rawValue: builtin.name) else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
            let axes = program.reductionAxes[expr.id] ?? [0]
            if values[0].tile != nil { return try tileReduce(kind, values[0], axes: axes, expr) }
            if axes.count > 1 { return try multiAxisReduce(kind, try tensor(values[0], arguments[0]), axes: axes, expr) }
            return try tensorOp(expr, .reduce(kind, try tensor(values[0], arguments[0]), axis: axes[0]))
        case .matmul:
            return try tensorOp(expr, .matmul(try tensor(values[0], arguments[0]), try tensor(values[1], arguments[1])))
        case .transpose:
            let source = try tensor(values[0], arguments[0])
            if let perm = program.reductionAxes[expr.id] { return try permute(source, perm: perm, expr) }
            return try tensorOp(expr, .transpose(source))
        case .select:
            if values.contains(where: { $0.tile != nil }) { return try tileSelect(values, expr) }
            let result = try irType(checkedType(expr), at: expr.span)
            let condition = try coerce(values[0], to: result.with(element: .bool), at: expr.span)
            let (a, b) = (try coerce(values[1], to: result, at: expr.span), try coerce(values[2], to: result, at: expr.span))
            return .value(value(.select(condition, a, b), result, at: expr.span), result)
        default:
            throw fail(DiagnosticCatalogue.loweringUnsupported("'\(builtin.name)' here", reason: "it has no value", at: expr.span))
        }
    }

    /// A helper call: the helper specialised to the caller's dims, called with `call`; scalar arguments are
    /// converted to the parameter's dtype (weak scalars).
    func lowerHelperCall(_ target: CallTarget, _ arguments: [Expr], _ expr: Expr) throws(LoweringFailed) -> Lowered {
        guard case .function(let name, let dims) = target, let helper = program.function(named: name) else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span))
        }
        var sizes: [String: Int] = [:]
        for (dim, callerDim) in dims { sizes[dim] = try size(callerDim, at: expr.span) }
        let callee = context.helperName(helper, dims: sizes)
        var operands: [ValueID] = []
        for (argument, param) in zip(arguments, helper.params) {
            let value = try lower(argument)
            if value.tile != nil { throw fail(DiagnosticCatalogue.loweringUntyped(at: argument.span)) }
            if param.type.isScalar {
                operands.append(try coerce(value, to: .scalar(param.type.dtype), at: argument.span))
            } else {
                operands.append(try tensor(value, argument))
            }
        }
        let result = try irType(checkedType(expr), at: expr.span)
        return .value(value(.call(callee, operands), result, at: expr.span), result)
    }

    /// An elementwise operator on two values (tiles go to the tile lowering). Both operands are converted
    /// to the operand type (the result's, or for comparisons the operands' common dtype) and broadcast
    /// to the result's shape first.
    func binary(_ op: BinaryOperator, _ a: Lowered, _ b: Lowered, _ expr: Expr) throws(LoweringFailed) -> Lowered {
        if a.tile != nil || b.tile != nil { return try tileBinary(op, a, b, expr) }
        let result = try irType(checkedType(expr), at: expr.span)
        var operandType = result
        if op.isComparison { operandType = result.with(element: Self.commonElement(a, b)) }
        let x = try coerce(a, to: operandType, at: expr.span)
        let y = try coerce(b, to: operandType, at: expr.span)
        return .value(value(.binary(op, x, y), result, at: expr.span), result)
    }

    /// An elementwise operator on two scalars, in the dtype of `expr`'s type: folded when both are constants
    /// (`maximum`/`minimum` propagate NaN), else a scalar op.
    func scalarBinary(_ op: BinaryOperator, _ a: Lowered, _ b: Lowered, _ expr: Expr) throws(LoweringFailed) -> Lowered {
        let element = try checkedType(expr).dtype
        if case .constant(let x, _) = a, case .constant(let y, _) = b, op == .max || op == .min {
            let folded = x.isNaN || y.isNaN ? Double.nan : (op == .max ? Swift.max(x, y) : Swift.min(x, y))
            return .constant(folded, element)
        }
        let type = IRType.scalar(element)
        let (x, y) = (try coerce(a, to: type, at: expr.span), try coerce(b, to: type, at: expr.span))
        return .value(value(.binary(op, x, y), type, at: expr.span), type)
    }

    /// A math function of a scalar or tensor; the operand is converted to the result's dtype (an i32
    /// scalar becomes f32).
    func elementwiseUnary(_ function: UnaryFunction, _ operand: Lowered, _ expr: Expr) throws(LoweringFailed) -> Lowered {
        let result = try irType(checkedType(expr), at: expr.span)
        let x = try coerce(operand, to: result, at: expr.span)
        return .value(value(.unary(function, x), result, at: expr.span), result)
    }

    /// A tensor op whose result type is the checker's type of `expr`.
    func tensorOp(_ expr: Expr, _ kind: OpKind) throws(LoweringFailed) -> Lowered {
        let result = try irType(checkedType(expr), at: expr.span)
        return .value(value(kind, result, at: expr.span), result)
    }

    /// `x[lo : hi, ...]` on a whole tensor (not `load`'s argument): a `slice` op at constant offsets, or `x`
    /// itself when the slice covers it. A slice that leaves its dim is an error here too, for helpers whose
    /// dims the checker saw only as symbols.
    func wholeSlice(_ source: Lowered, _ base: Expr, _ expr: Expr) throws(LoweringFailed) -> Lowered {
        guard case .value(let id, let type) = source, let tensor = type.tensorType ?? type.hbmType else {
            throw fail(DiagnosticCatalogue.loweringUnsupported("a slice used as a value",
                reason: "only whole tensors are sliced as values; load a tile's block from HBM instead", at: expr.span))
        }
        guard let items = program.slices[expr.id], items.count == tensor.rank else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span))
        }
        var offsets: [Int] = []
        var shape: [Int] = []
        var strides: [Int] = []
        for (item, dimSize) in zip(items, tensor.shape) {
            let offset = try affine(item.lower, at: expr.span)
            let extent = try size(item.size, at: expr.span)
            let step = try size(item.step, at: expr.span)
            // The last element read, offset + (extent - 1) * step, must lie inside the dim.
            guard offset.terms.isEmpty, offset.constant >= 0, extent > 0, step > 0,
                  (extent - 1).multipliedReportingOverflow(by: step).overflow == false,
                  offset.constant <= dimSize - 1 - (extent - 1) * step else {
                let end = step == 1 ? "\(offset.constant) + \(extent)" : "\(offset.constant) + (\(extent) - 1) * \(step) + 1"
                throw fail(DiagnosticCatalogue.sliceEndOutOfBounds(end: end, dim: "\(dimSize)", at: expr.span))
            }
            offsets.append(offset.constant)
            shape.append(extent)
            strides.append(step)
        }
        if shape == tensor.shape { return source }
        let result = IRType.tensor(TensorType(tensor.element, shape))
        return .value(value(.slice(id, offsets: offsets, strides: strides), result, at: expr.span), result)
    }

    /// A value that must be a tensor (whole-tensor operations): an hbm or value tensor.
    func tensor(_ value: Lowered, _ expr: Expr) throws(LoweringFailed) -> ValueID {
        guard case .value(let id, let type) = value, type.tensorType != nil || type.hbmType != nil else {
            throw fail(DiagnosticCatalogue.loweringUnsupported("this operand", reason: "a whole tensor is expected here",
                                                               at: expr.span))
        }
        return id
    }

    /// Converts a value to `type` (a scalar or value tensor): a constant is materialised with that type
    /// (a splat for a tensor), another value is `cast` if its element differs and `broadcast` if its
    /// shape differs.
    func coerce(_ operand: Lowered, to type: IRType, at span: SourceSpan) throws(LoweringFailed) -> ValueID {
        guard let element = type.element else { throw fail(DiagnosticCatalogue.loweringUntyped(at: span)) }
        switch operand {
        case .constant(let number, _):
            return value(.constant(Self.convert(number, to: element)), type, at: span)
        case .value(var id, var current):
            if case .scalar(let scalar) = current, scalar.isFloat, element.isFloat, !type.dims.isEmpty {
                // A float scalar meeting a tensor of another float dtype is an f32 immediate, as a literal is
                // (Docs/numerics.md): it is broadcast as it is, not rounded to the tensor's dtype first.
                return value(.broadcast(id), type, at: span)
            }
            if current.element != element {
                let casted = current.valueType.with(element: element)
                id = value(.cast(id), casted, at: span)
                current = casted
            }
            if current.dims != type.dims {
                id = value(.broadcast(id), type, at: span)
            }
            return id
        }
    }

    /// The dtype two compared operands share: a tensor's wins over a weak scalar's; two different scalars give f32.
    static func commonElement(_ a: Lowered, _ b: Lowered) -> ElementType {
        if !a.isScalar, let element = a.element { return element }
        if !b.isScalar, let element = b.element { return element }
        if a.element == b.element, let element = a.element { return element }
        if case .value = a, case .constant = b, let element = a.element, element.isFloat || b.element == .i32 { return element }
        if case .constant = a, case .value = b, let element = b.element, element.isFloat || a.element == .i32 { return element }
        return .f32
    }

    /// A constant as stored in `element`: truncated toward zero for i32 (saturating), 0 or 1 for bool.
    static func convert(_ value: Double, to element: ElementType) -> Double {
        switch element {
        case .i32:
            guard value.isFinite else { return value.isNaN ? 0 : (value > 0 ? Double(Int32.max) : Double(Int32.min)) }
            return Swift.min(Swift.max(value.rounded(.towardZero), Double(Int32.min)), Double(Int32.max))
        case .bool: return value != 0 ? 1 : 0
        default: return value
        }
    }

    static func binaryOperator(_ op: BinaryOp) -> BinaryOperator {
        switch op {
        case .add: .add
        case .subtract: .sub
        case .multiply: .mul
        case .divide: .div
        case .remainder: .rem
        case .matmul: .mul  // `@` is lowered to `matmul` before operators are mapped
        case .equal: .eq
        case .notEqual: .ne
        case .less: .lt
        case .lessEqual: .le
        case .greater: .gt
        case .greaterEqual: .ge
        case .and: .and
        case .or: .or
        }
    }
}

extension IRType {
    /// The shape of a tensor or tile (partitions first); `[]` for scalars and indices.
    var dims: [Int] {
        switch self {
        case .scalar, .index: []
        case .tensor(let tensor), .hbm(let tensor): tensor.shape
        case .tile(let tile): tile.shape
        }
    }

    /// The type an operand has at the tensor level: hbm tensors read as value tensors.
    var valueType: IRType {
        if case .hbm(let tensor) = self { return .tensor(tensor) }
        return self
    }

    /// The same shape with another element type (hbm tensors become value tensors).
    func with(element: ElementType) -> IRType {
        switch self {
        case .scalar: .scalar(element)
        case .index: .index
        case .tensor(let tensor), .hbm(let tensor): .tensor(TensorType(element, tensor.shape))
        case .tile(let tile): .tile(tile.with(element: element, space: tile.space))
        }
    }
}

extension TileType {
    func with(element: ElementType, space: KilnMachine.MemorySpace) -> TileType {
        TileType(space, element, partitions: partitions, free: freeDims)
    }
}

extension CheckedProgram {
    /// The source text of an expression, for messages (names only; other expressions print as "this value").
    func syntaxText(_ expr: Expr) -> String {
        if case .name(let name) = expr.kind { return name }
        return "this value"
    }
}
