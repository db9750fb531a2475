// Checker+Calls.swift: resolving callees and binding call arguments; the semantics of each builtin.

import KilnMachine
import KilnSource
import KilnSyntax

extension Checker {
    /// A call: a builtin, a helper function, or an error naming what the callee really is.
    func checkCall(_ callee: Identifier, _ arguments: [Argument], _ expr: Expr, asStatement: Bool) -> ValueType? {
        let name = callee.name
        if let builtin = BuiltinTable.lookup(name) {
            calls[expr.id] = .builtin(builtin)
            return checkBuiltin(builtin, callee, arguments, expr, asStatement: asStatement)
        }
        if let signature = signatures[name] {
            return checkFunctionCall(signature, callee, arguments, expr)
        }
        if let generic = genericHelpers[name] {
            return checkGenericCall(generic, callee, arguments, expr)
        }
        for argument in arguments { checkExpr(argument.value) }
        if let item = items[name], case .kernel = item {
            report(DiagnosticCatalogue.notCallable("kernel '\(name)'", reason: "only helper functions (fn) can be called",
                                                   at: callee.span, declared: item.name.span))
        } else if let symbol = scopes.lookup(name) {
            report(DiagnosticCatalogue.notCallable("\(symbol.kind.noun) '\(name)'", reason: "it is not a function",
                                                   at: callee.span, declared: symbol.span))
        } else if DType(name: name) != nil {
            report(DiagnosticCatalogue.undefinedFunction(name, hint: "to convert a value write 'x as \(name)'",
                                                         at: callee.span))
        } else {
            report(DiagnosticCatalogue.undefinedFunction(name, at: callee.span))
        }
        return nil
    }

    /// Binds arguments to the builtin's parameters (positional ones, then `axis:`), types them, and
    /// applies the builtin's rule. Every argument is typed even when the call is malformed.
    private func checkBuiltin(_ builtin: Builtin, _ callee: Identifier, _ arguments: [Argument], _ expr: Expr,
                              asStatement: Bool) -> ValueType? {
        let name = callee.name
        let spec = BuiltinTable.spec(builtin)
        var positional: [Expr] = []
        var labelled: [String: Expr] = [:]
        var ok = true
        for (index, argument) in arguments.enumerated() {
            if let label = argument.label {
                if spec.labels.contains(label.name) && labelled[label.name] == nil {
                    labelled[label.name] = argument.value
                } else if labelled[label.name] != nil {
                    report(DiagnosticCatalogue.repeatedLabel(name, label.name, at: label.span))
                    ok = false
                } else {
                    report(DiagnosticCatalogue.unexpectedLabel(name, label.name, at: label.span))
                    ok = false
                }
            } else if builtin.isReduction && positional.count == 1 {
                report(DiagnosticCatalogue.missingLabel(name, position: index + 1, label: "axis", at: argument.span))
                ok = false
            } else {
                positional.append(argument.value)
            }
        }
        if ok && !spec.accepts(positional.count) {
            report(DiagnosticCatalogue.wrongArity(name, expected: spec.expected, given: positional.count,
                                                  at: expr.span))
            ok = false
        }
        let inFunction = builtin.isTileLevel && context.kind == .function
        if inFunction {
            report(DiagnosticCatalogue.tileOpInFunction(name, at: callee.span))
            ok = false
        }
        if builtin == .store && !asStatement {
            report(DiagnosticCatalogue.noValue(name, at: callee.span))
        }
        let axis = labelled["axis"]
        if builtin == .load || builtin == .store, context.kind == .kernel { context.usesTiles = true }
        if builtin == .activation {
            return checkActivation(positional, bias: labelled["bias"], scale: labelled["scale"], ok: ok && !inFunction,
                                   expr: expr)
        }
        if builtin == .affine_select {
            return checkAffineSelect(positional, labelled, ok: ok && !inFunction, expr: expr)
        }
        if builtin == .quantize_mx || builtin == .scale_mx {
            // The dtype argument is a name, not a value: it is not typed as an expression.
            return checkQuantizeMX(builtin, positional, ok: ok && !inFunction, expr: expr)
        }
        if builtin == .load, let source = positional.first { loadSources.insert(source.id) }
        if builtin == .store {
            context.usesStore = true
            return checkStore(positional, ok: ok && !inFunction && positional.count == 2, span: expr.span)
        }
        if builtin == .iota {
            // The shape is dims, not values: it is not typed as an expression.
            if let axis { checkExpr(axis) }
            return ok ? checkIota(positional[0], axis: axis, expr: expr) : nil
        }
        if builtin == .broadcast_to {
            // The shape is dims, as iota's is.
            let source = positional.first.flatMap { checkExpr($0) }
            guard ok, let source else { return nil }
            return checkBroadcastTo(source, shape: positional[1], expr: expr)
        }
        if builtin == .reshape {
            // The shape is dims, as broadcast_to's is.
            let source = positional.first.flatMap { checkExpr($0) }
            guard ok, let source else { return nil }
            return checkReshape(source, shape: positional[1], expr: expr)
        }
        if builtin == .transpose, let perm = labelled["perm"] {
            let source = positional.first.flatMap { checkExpr($0) }
            guard ok, let source else { return nil }
            return checkPermute(source, perm: perm, expr: expr)
        }
        let types = positional.map { checkExpr($0) }
        if let axis {
            // A reduction's axes may be a tuple: `axis: (2, 3)`.
            // An axis may be a tuple (`axis: (2, 3)`): its items are typed; the builtin's rule says if it may be one.
            if case .tuple(let items) = axis.kind { for item in items { checkExpr(item) } } else { checkExpr(axis) }
        }
        // A tile scan's carried state: typed here, checked with the scan.
        let initial = labelled["initial"].map { (expr: $0, type: checkExpr($0)) }
        guard ok else { return nil }
        var operands: [ValueType] = []
        for type in types {
            guard let type else { return nil }
            operands.append(type)
        }
        if let initial, initial.type == nil { return nil }
        return applyBuiltin(builtin, name, operands, positional, axis: axis, initial: initial.map { ($0.expr, $0.type!) },
                            expr: expr)
    }

    private func applyBuiltin(_ builtin: Builtin, _ name: String, _ operands: [ValueType], _ arguments: [Expr],
                              axis: Expr?, initial: (expr: Expr, type: ValueType)?, expr: Expr) -> ValueType? {
        let span = expr.span
        switch builtin {
        case .math:
            return unaryMath(builtin, name, operands[0], span: span)
        case .bitwise_and, .bitwise_or, .bitwise_xor, .left_shift, .right_shift:
            // i32 operands (tensors, tiles or scalars), broadcast like a binary operator.
            if let bad = operands.first(where: { $0.dtype != .i32 }) {
                report(DiagnosticCatalogue.operandDType(name, "i32", found: bad.description,
                                                        hint: "convert with 'as i32'", at: span))
                return nil
            }
            return elementwise(name, operands[0], operands[1], span: span)
        case .maximum, .minimum:
            if let bad = operands.first(where: { $0.dtype == .bool }) {
                report(DiagnosticCatalogue.operandDType(name, "numeric", found: bad.description, at: span))
                return nil
            }
            return elementwise(name, operands[0], operands[1], span: span)
        case .pow:
            // Float only: an i32 scalar operand is weak and takes the other operand's float dtype.
            guard let type = elementwise(name, operands[0], operands[1], span: span) else { return nil }
            if type.dtype.isFloat { return type }
            if type.dtype == .i32 && type.isScalar { return type.with(dtype: .f32) }
            report(DiagnosticCatalogue.operandDType(name, "float", found: type.description,
                                                    hint: "convert the operands with 'as f32'", at: span))
            return nil
        case .clamp:
            if let bad = operands.first(where: { $0.dtype == .bool }) {
                report(DiagnosticCatalogue.operandDType(name, "numeric", found: bad.description, at: span))
                return nil
            }
            guard let bounded = elementwise(name, operands[0], operands[1], span: span) else { return nil }
            return elementwise(name, bounded, operands[2], span: span)
        case .sum, .max, .min, .mean:
            return reduction(builtin, name, operands[0], axis: axis, expr: expr)
        case .matmul:
            return checkMatmul(name, operands[0], arguments[0], operands[1], arguments[1], span: span)
        case .transpose:
            return checkTranspose(name, operands[0], arguments[0], span: span)
        case .select:
            return select(name, operands[0], operands[1], operands[2], span: span)
        case .load:
            return load(operands[0], arguments[0], span: span)
        case .nc_matmul:
            return ncMatmul(operands[0], operands[1], span: span)
        case .nc_transpose:
            return ncTranspose(operands[0], span: span)
        case .bn_stats, .bn_aggr:
            return checkStatistics(builtin, operands[0], span: span)
        case .activation, .affine_select, .quantize_mx, .scale_mx:
            return nil  // checked by checkActivation / checkAffineSelect / checkQuantizeMX before their arguments are typed
        case .nc_matmul_mx:
            return checkMatmulMX(operands, span: span)
        case .copy:
            let type = operands[0]
            guard type.isTile else {
                report(DiagnosticCatalogue.needsSBUFTile("the argument of 'copy'", found: type.description,
                                                         hint: "copy takes a tile (sbuf or psum)", at: span))
                return nil
            }
            return type.with(space: .sbuf)
        case .cumsum:
            return checkScan(name, operands[0], operands: operands, axis: axis, initial: initial, expr: expr)
        case .argmax, .argmin:
            return checkArgReduction(name, operands[0], axis: axis, expr: expr)
        case .topk, .argtopk:
            return checkTopK(name, operands[0], count: arguments[1], indices: builtin == .argtopk, expr: expr)
        case .scan:
            guard let combined = elementwise(name, operands[0], operands[1], span: span) else { return nil }
            return checkScan(name, combined, operands: operands, axis: axis, initial: initial, expr: expr)
        case .concat:
            return checkConcat(operands, arguments, axis: axis, expr: expr)
        case .gather:
            return checkGather(operands[0], operands[1], arguments, expr: expr)
        case .scatter_add:
            return checkScatterAdd(operands[0], operands[1], operands[2], arguments, expr: expr)
        case .store, .iota, .broadcast_to, .reshape:
            return nil
        }
    }

    /// `exp(x)` etc.: float operands (an i32 scalar is promoted to f32; `abs`, `relu` also take i32).
    private func unaryMath(_ builtin: Builtin, _ name: String, _ type: ValueType, span: SourceSpan) -> ValueType? {
        if type.dtype.isFloat || (type.dtype == .i32 && BuiltinTable.acceptsInteger(builtin)) { return computed(type) }
        if type.dtype == .i32 && type.isScalar { return computed(type).with(dtype: .f32) }
        report(DiagnosticCatalogue.unaryMathDType(name, found: type.description, at: span))
        return nil
    }

    /// `sum(x, axis: k)` / `sum(x, axis: (j, k))`: each axis (default: the last) is an integer literal in range,
    /// negative from the end, listed once; the reduced axes are kept with size 1 (keepdims) so the result
    /// broadcasts against `x`.
    private func reduction(_ builtin: Builtin, _ name: String, _ type: ValueType, axis: Expr?,
                           expr: Expr) -> ValueType? {
        guard !type.isScalar else {
            report(DiagnosticCatalogue.rankRequirement(name, "a tensor or a tile", what: "its argument",
                                                       found: type.description, at: expr.span))
            return nil
        }
        if (builtin == .sum || builtin == .mean) && type.dtype == .bool {
            report(DiagnosticCatalogue.operandDType(name, "numeric", found: type.description, at: expr.span))
            return nil
        }
        var indices = [type.rank - 1]
        if let axis {
            var items = [axis]
            if case .tuple(let listed) = axis.kind { items = listed }
            indices = []
            for item in items {
                guard let (value, index) = axisIndex(item, of: name, rank: type.rank) else { return nil }
                guard !indices.contains(index) else {
                    report(DiagnosticCatalogue.axisRepeated(name, axis: value, at: item.span))
                    return nil
                }
                let batchAxisDType = type.dtype.isFloat || (type.dtype == .i32 && builtin != .mean)
                if index < type.rank - 2, !batchAxisDType {
                    report(DiagnosticCatalogue.reductionOverBatchAxis(name, axis: value, type: type.description, at: item.span))
                    return nil
                }
                indices.append(index)
            }
        }
        // A tile reduces its trailing free axes: the last one, or several ending at the last (`axis: (1, 2)` of
        // `[P, F1, F2]`); never the partition axis.
        let sortedAxes = indices.sorted()
        if type.isTile, indices.count > 1, !sortedAxes.contains(0),
           sortedAxes != Array((type.rank - sortedAxes.count)..<type.rank) {
            report(DiagnosticCatalogue.tileReductionAxes(name, axes: sortedAxes, type: type.description,
                                                         at: axis?.span ?? expr.span))
            return nil
        }
        if type.isTile, let index = sortedAxes.contains(0) ? 0 : indices.count == 1 ? indices.first : nil,
           index != type.rank - 1 {
            report(DiagnosticCatalogue.tileReductionAcrossPartitions(name, axis: index, type: type.description,
                                                                     at: axis?.span ?? expr.span))
            return nil
        }
        reductionAxes[expr.id] = indices.sorted()
        var shape = type.shape
        for index in indices { shape[index] = .constant(1) }
        return computed(type).with(shape: shape)
    }

    /// `select(cond, a, b)`: cond bool; a and b unify like a binary operation; all three broadcast.
    private func select(_ name: String, _ cond: ValueType, _ a: ValueType, _ b: ValueType,
                        span: SourceSpan) -> ValueType? {
        guard cond.dtype == .bool else {
            report(DiagnosticCatalogue.operandDType(name, "a bool condition as first of its", found: cond.description,
                                                    at: span))
            return nil
        }
        guard let space = elementwiseSpace(name, [cond, a, b], span: span),
              let dtype = unifyDTypes(name, a, b, span: span),
              let valueShape = broadcast(name, a, b, span: span),
              let shape = broadcast(name, cond, ValueType(dtype, valueShape), span: span) else { return nil }
        return ValueType(dtype, shape, space: space)
    }

    /// `load(src)`: an hbm tensor or slice of one becomes an sbuf tile of the same dtype and the slice's shape
    /// without its leading plain indices (`TileSlice.droppedDims`).
    private func load(_ source: ValueType, _ sourceExpr: Expr, span: SourceSpan) -> ValueType? {
        guard source.space == .hbm else {
            report(DiagnosticCatalogue.loadSource(found: source.description, at: span))
            return nil
        }
        let tile = source.with(space: .sbuf).with(shape: tileShape(ofSlice: source, sourceExpr))
        checkPartition(tile, span: span)
        return tile
    }

    /// The tile shape a DMA moves for an hbm slice: the slice's shape without its leading plain indices, keeping
    /// at least the last two dims (`TileSlice.droppedDims`).
    func tileShape(ofSlice slice: ValueType, _ sliceExpr: Expr) -> [Dim] {
        guard case .index(_, let items) = sliceExpr.kind else { return slice.shape }
        return Array(slice.shape.dropFirst(TileSlice.droppedDims(items)))
    }

    /// `nc_matmul(stationary[K, M], moving[K, N]) -> psum f32[M, N]` on sbuf tiles of one float dtype;
    /// K, M <= 128 and N <= 512 where static (symbolic ones are re-checked when dims are bound).
    private func ncMatmul(_ stationary: ValueType, _ moving: ValueType, span: SourceSpan) -> ValueType? {
        for (type, role) in [(stationary, "stationary"), (moving, "moving")] {
            let what = "the \(role) operand of 'nc_matmul'"
            if type.space == .sbuf && type.rank != 2 {
                report(DiagnosticCatalogue.rankRequirement("nc_matmul", "rank-2 tiles", what: what,
                                                           found: type.description, at: span))
                return nil
            }
            guard type.space == .sbuf && type.isTile else {
                let hint = type.space == .psum ? "copy it to SBUF first with copy(...)"
                    : type.isScalar ? "nc_matmul multiplies tiles" : "load it first with load(...)"
                report(DiagnosticCatalogue.needsSBUFTile(what, found: type.description, hint: hint, at: span))
                return nil
            }
        }
        guard stationary.dtype == moving.dtype && stationary.dtype.isFloat else {
            report(DiagnosticCatalogue.matmulDType("nc_matmul", stationary.description, moving.description, at: span))
            return nil
        }
        guard !stationary.dtype.isFP4 else {
            report(DiagnosticCatalogue.matmulFP4("nc_matmul", stationary.description, at: span))
            return nil
        }
        guard stationary.shape[0] == moving.shape[0] else {
            report(DiagnosticCatalogue.contractionMismatch(stationary.description, moving.description,
                                                           stationary.shape[0].description,
                                                           moving.shape[0].description, at: span))
            return nil
        }
        checkLimit(StaticLimit(kind: .matmulK, dim: stationary.shape[0], span: span))
        checkLimit(StaticLimit(kind: .matmulM, dim: stationary.shape[1], span: span))
        checkLimit(StaticLimit(kind: .matmulN, dim: moving.shape[1], span: span))
        return ValueType(.f32, [stationary.shape[1], moving.shape[1]], space: .psum)
    }

    /// `nc_transpose(t)`: `t: sbuf dt[P, F]` becomes `psum dt[F, P]` on the tensor engine (a matmul against the
    /// identity, exact for every dtype). F becomes the result's partition dim, so it is at most 128.
    private func ncTranspose(_ type: ValueType, span: SourceSpan) -> ValueType? {
        guard type.isTile, type.space == .sbuf, type.rank == 2 else {
            let hint = type.space == .psum ? "copy it to SBUF first with copy(...)"
                : type.isTile ? "nc_transpose takes a rank-2 tile" : "load it first with load(...)"
            report(DiagnosticCatalogue.needsSBUFTile("the argument of 'nc_transpose'", found: type.description, hint: hint,
                                                     at: span))
            return nil
        }
        guard type.dtype.isFloat else {
            report(DiagnosticCatalogue.operandDType("nc_transpose", "float", found: type.description, at: span))
            return nil
        }
        checkLimit(StaticLimit(kind: .partition(.psum), dim: type.shape[1], span: span))
        return ValueType(type.dtype, [type.shape[1], type.shape[0]], space: .psum)
    }

    /// `bn_stats(t)` / `bn_aggr(s)`: the argument is a rank-2 float tile (sbuf or psum) whose free size the vector
    /// engine accepts: at most 512 for bn_stats (K2175), a positive multiple of 3 for bn_aggr (K2176), checked now or,
    /// for a symbolic dim, once dims are bound. The result is an f32 sbuf tile of 6 (bn_stats) or 2 (bn_aggr) columns.
    private func checkStatistics(_ builtin: Builtin, _ type: ValueType, span: SourceSpan) -> ValueType? {
        guard type.isTile, type.rank == 2 else {
            report(DiagnosticCatalogue.needsSBUFTile("the argument of '\(builtin.name)'", found: type.description,
                                                     hint: type.isTile ? "\(builtin.name) takes a rank-2 tile" : "load it first with load(...)",
                                                     at: span))
            return nil
        }
        guard type.dtype.isFloat else {
            report(DiagnosticCatalogue.operandDType(builtin.name, "float", found: type.description,
                                                    hint: "convert the tile with 'as f32'", at: span))
            return nil
        }
        let limit = StaticLimit(kind: builtin == .bn_stats ? .bnStatsFree : .bnAggrTuples, dim: type.shape[1], span: span)
        if let free = type.shape[1].constantValue {
            if let problem = limitViolation(limit, value: free) {
                report(problem)
                return nil
            }
        } else {
            context.limits.append(limit)
        }
        let columns = builtin == .bn_stats ? BatchNormStats.statsWidth : 2
        return ValueType(.f32, [type.shape[0], .constant(columns)], space: .sbuf)
    }

    /// `activation(f, x, bias: b, scale: s)`: `f` names a function the scalar engine applies, `x` is a float tile
    /// (sbuf or psum), `b` a scalar or a per-partition `[P, 1]` tile, `s` a constant number or a per-partition
    /// `[P, 1]` float tile; the result is an sbuf tile of x's type. What the call applies is recorded in
    /// `activations` for lowering and the interpreter.
    private func checkActivation(_ positional: [Expr], bias: Expr?, scale: Expr?, ok: Bool, expr: Expr) -> ValueType? {
        let operand = positional.count > 1 ? checkExpr(positional[1]) : nil
        let biasType = bias.flatMap { checkExpr($0) }
        let scaleType = scale.flatMap { checkExpr($0) }
        guard ok, positional.count == 2 else { return nil }
        let named = positional[0]
        guard case .name(let name) = named.kind, let function = MathFunction(rawValue: name), function.isLanguageBuiltin,
              function.runsOnScalarEngine else {
            let allowed = MathFunction.allCases.filter { $0.isLanguageBuiltin && $0.runsOnScalarEngine }.map(\.rawValue)
            report(DiagnosticCatalogue.activationFunctionName(allowed.joined(separator: ", "), at: named.span))
            return nil
        }
        guard let operand else { return nil }
        guard operand.isTile, operand.rank >= 2 else {
            report(DiagnosticCatalogue.needsSBUFTile("the argument of 'activation'", found: operand.description,
                                                     hint: "activation takes a tile (sbuf or psum) of rank 2 to \(RankLimit.tile); load it first",
                                                     at: positional[1].span))
            return nil
        }
        guard operand.dtype.isFloat else {
            report(DiagnosticCatalogue.operandDType("activation", "float", found: operand.description,
                                                    hint: "convert the tile with 'as f32'", at: positional[1].span))
            return nil
        }
        // A per-partition operand: a [P, 1, ..., 1] tile of x's rank and partitions.
        func perPartition(_ type: ValueType) -> Bool {
            type.isTile && type.rank == operand.rank && type.shape.dropFirst().allSatisfy(\.isOne)
                && type.shape[0] == operand.shape[0]
        }
        var scaleValue = 1.0
        var scaleTile: Int?
        if let scale {
            if let value = constantNumber(scale) {
                scaleValue = Double(Float(value))  // an f32 immediate, as every float scalar (Docs/numerics.md)
            } else if let scaleType, scaleType.dtype.isFloat, perPartition(scaleType) {
                scaleTile = scale.id
            } else {
                if scaleType != nil {
                    report(DiagnosticCatalogue.activationScaleNotConstant(found: scaleType?.description ?? "",
                                                                          partitions: operand.shape[0].description,
                                                                          rank: operand.rank, at: scale.span))
                }
                return nil
            }
        }
        if let bias, let biasType {
            guard biasType.dtype != .bool, biasType.isScalar || perPartition(biasType) else {
                report(DiagnosticCatalogue.activationBias(found: biasType.description, partitions: operand.shape[0].description,
                                                          rank: operand.rank,
                                                          at: bias.span))
                return nil
            }
        } else if bias != nil {
            return nil
        }
        activations[expr.id] = ActivationCall(function: function, scale: scaleValue, scaleTile: scaleTile, bias: bias?.id)
        return operand.with(space: .sbuf)
    }

    /// The value of a constant number expression: literals, `-`, and `+ - * /` of constants (as f64).
    func constantNumber(_ expr: Expr) -> Double? {
        switch expr.kind {
        case .integer(let value): return Double(value)
        case .float(let value): return value
        case .unary(.negate, let operand): return constantNumber(operand).map { -$0 }
        case .binary(let op, let lhs, let rhs):
            guard let a = constantNumber(lhs), let b = constantNumber(rhs) else { return nil }
            switch op {
            case .add: return a + b
            case .subtract: return a - b
            case .multiply: return a * b
            case .divide: return b == 0 ? nil : a / b
            default: return nil
            }
        default: return nil
        }
    }

    /// `store(dst, tile)`: dst a kernel result or a slice of one; tile an sbuf tile of the same shape
    /// (its dtype may differ: it is converted on the way out). Storing from PSUM needs a `copy` first.
    private func checkStore(_ arguments: [Expr], ok: Bool, span: SourceSpan) -> ValueType? {
        guard ok else {
            context.storeFailed = true
            for (index, argument) in arguments.enumerated() where index > 0 || !namesDestination(argument) {
                checkExpr(argument)
            }
            return nil
        }
        let destination = storeDestination(arguments[0])
        guard let tile = checkExpr(arguments[1]), let destination else { return nil }
        if tile.space == .psum {
            report(DiagnosticCatalogue.storeFromPSUM(tile.description, at: arguments[1].span))
        } else if !tile.isTile {
            let hint = tile.isScalar ? "fill a 'var' tile with it first" : "load or compute it into an SBUF tile first"
            report(DiagnosticCatalogue.needsSBUFTile("the value stored", found: tile.description, hint: hint,
                                                     at: arguments[1].span))
        } else if case let shape = tileShape(ofSlice: destination, arguments[0]), tile.shape != shape {
            report(DiagnosticCatalogue.shapeMismatch("store", expected: destination.with(space: .value).with(shape: shape).description,
                                                     found: tile.description, at: arguments[1].span))
        }
        return nil
    }

    /// True for `name` or `name[...]`: a would-be store destination, not typed as a value when the
    /// call is already malformed (reading a result there would only add a second error).
    private func namesDestination(_ expr: Expr) -> Bool {
        var base = expr
        if case .index(let inner, _) = expr.kind { base = inner }
        if case .name = base.kind { return true }
        return false
    }

    /// The destination of `store`: a result name, or a slice of one. Results are typed here only,
    /// since reading them elsewhere is an error.
    private func storeDestination(_ expr: Expr) -> ValueType? {
        var base = expr
        var items: [IndexItem]?
        if case .index(let inner, let indexItems) = expr.kind {
            base = inner
            items = indexItems
        }
        guard case .name(let name) = base.kind, let symbol = scopes.lookup(name),
              case .result(let index) = symbol.kind else {
            context.storeFailed = true
            if checkExpr(expr) != nil {
                report(DiagnosticCatalogue.storeDestination(results: context.results.map(\.name), at: expr.span))
            }
            return nil
        }
        scopes.markUsed(symbol.id)
        resolutions[base.id] = symbol.resolution
        context.storedResults.insert(index)
        guard let type = symbol.type else { return nil }
        types[base.id] = type
        guard let items else { return type }
        guard let sliced = sliceType(type, items, expr) else {
            context.storeFailed = true
            return nil
        }
        types[expr.id] = sliced
        return sliced
    }
}
