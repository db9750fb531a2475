// Checker+Signatures.swift: dims, parameter and result types, attributes, and resolving written types.

import KilnSource
import KilnSyntax

extension Checker {
    /// How names in a written shape are treated.
    enum DimMode {
        /// Parameter shapes: an unknown name introduces an implicit dim.
        case introduce
        /// Types in bodies (`var`, `let` annotations): only known dims.
        case known
        /// Result shapes: only dims a parameter or the `<...>` list introduced; `kind` is "kernel"/"function".
        case result(kind: String)
    }

    /// Declares the `<...>` dims of the current item.
    func declareDims(_ decls: [DimDecl]) {
        for decl in decls {
            if scopes.declaredInInnermost(decl.name.name) != nil {
                declareInSignature(decl.name, .dim, type: .scalar(.i32))
                continue
            }
            var size = decl.defaultSize
            if let value = size, value <= 0 {
                report(DiagnosticCatalogue.dimDefaultNotPositive(decl.name.name, value: value, at: decl.span))
                size = nil
            }
            dims.append(DimInfo(name: decl.name.name, defaultSize: size, isDeclared: true, span: decl.name.span))
            declareInSignature(decl.name, .dim, type: .scalar(.i32))
        }
    }

    /// Resolves `[space] dtype [shape]`; nil (after reporting) if any part is wrong.
    func resolveType(_ syntax: TypeSyntax, mode: DimMode) -> ValueType? {
        let dtype = DType(name: syntax.dtype.name)
        if dtype == nil { report(DiagnosticCatalogue.unknownDType(syntax.dtype.name, at: syntax.dtype.span)) }
        var ok = dtype != nil
        var shape: [Dim] = []
        for expr in syntax.shape ?? [] {
            if let dim = resolveDim(expr, mode: mode) { shape.append(dim) } else { ok = false }
        }
        let rank = syntax.shape?.count ?? 0
        let space = syntax.space.map(MemorySpace.init) ?? .value
        let limit = space.isTile ? RankLimit.tile : RankLimit.tensor
        if rank > limit {
            report(DiagnosticCatalogue.rankTooHigh(text(syntax.span), rank: rank, limit: limit, tile: space.isTile,
                                                   at: syntax.span))
            ok = false
        }
        if space != .value && rank == 0 {
            report(DiagnosticCatalogue.spaceNeedsShape(text(syntax.span), at: syntax.span))
            ok = false
        }
        guard ok, let dtype else { return nil }
        return ValueType(dtype, shape, space: space)
    }

    /// One written dim: must be a positive constant or an affine expression of dims.
    /// Non-constant compound dims (`N - 1`) are recorded to be re-checked once dims are bound.
    func resolveDim(_ expr: Expr, mode: DimMode) -> Dim? {
        guard let affine = dimAffine(expr, mode: mode) else { return nil }
        if let value = affine.constantValue {
            guard value > 0 else {
                report(DiagnosticCatalogue.nonPositiveDim(text(expr.span), value: value, at: expr.span))
                return nil
            }
        } else if affine.singleVariable == nil {
            context.limits.append(StaticLimit(kind: .positive, dim: Dim(affine), span: expr.span))
        }
        return Dim(affine)
    }

    /// An integer, a dim name, or `+ - *` of them, as an affine expression over dims.
    private func dimAffine(_ expr: Expr, mode: DimMode) -> AffineExpr? {
        nested(at: expr.span) { () -> AffineExpr? in
            switch expr.kind {
            case .integer(let value):
                return AffineExpr(constant: value)
            case .name(let name):
                if dims.contains(where: { $0.name == name }) { return AffineExpr(.dim(name)) }
                switch mode {
                case .introduce:
                    dims.append(DimInfo(name: name, defaultSize: nil, isDeclared: false, span: expr.span))
                    declareInSignature(Identifier(name, span: expr.span), .dim, type: .scalar(.i32))
                    return AffineExpr(.dim(name))
                case .known:
                    report(DiagnosticCatalogue.unknownDim(name, at: expr.span))
                case .result(let kind):
                    report(DiagnosticCatalogue.resultDimNotIntroduced(name, kind: kind, at: expr.span))
                }
                return nil
            case .unary(.negate, let operand):
                guard let inner = dimAffine(operand, mode: mode) else { return nil }
                guard let result = inner.scaled(by: -1) else {
                    report(DiagnosticCatalogue.integerOverflow(text(expr.span), at: expr.span))
                    return nil
                }
                return result
            case .binary(let op, let lhs, let rhs) where op == .add || op == .subtract || op == .multiply:
                let left = dimAffine(lhs, mode: mode)
                let right = dimAffine(rhs, mode: mode)
                guard let left, let right else { return nil }
                return combineAffine(op, left, right, span: expr.span)
            case .error:
                return nil
            default:
                report(DiagnosticCatalogue.invalidDimExpression(found: "'\(text(expr.span))'", at: expr.span))
                return nil
            }
        } ?? nil
    }

    /// `left op right` for `+ - *`, reporting a product of two non-constants or an overflow.
    func combineAffine(_ op: BinaryOp, _ left: AffineExpr, _ right: AffineExpr, span: SourceSpan) -> AffineExpr? {
        let result: AffineExpr?
        switch op {
        case .add: result = left.adding(right)
        case .subtract: result = left.subtracting(right)
        default:
            if left.constantValue == nil && right.constantValue == nil {
                report(DiagnosticCatalogue.nonAffineDim(text(span), at: span))
                return nil
            }
            result = left.multiplied(by: right)
        }
        if result == nil { report(DiagnosticCatalogue.integerOverflow(text(span), at: span)) }
        return result
    }

    // MARK: kernel and function signatures

    /// A kernel parameter: tensors live in hbm; only scalars take a (literal) default.
    func kernelParam(_ param: Param) -> (param: ParamInfo, type: ValueType?) {
        var type = resolveType(param.type, mode: .introduce)
        if let resolved = type, !resolved.isScalar {
            if resolved.space.isTile {
                report(DiagnosticCatalogue.kernelTensorSpace("parameter '\(param.name.name)'",
                                                             space: resolved.space.rawValue, at: param.type.span))
            }
            type = resolved.with(space: .hbm)
        }
        var value: ScalarValue?
        if let defaultExpr = param.defaultValue {
            if let resolved = type, !resolved.isScalar {
                report(DiagnosticCatalogue.defaultOnTensor(param.name.name, at: defaultExpr.span))
            } else if let resolved = type {
                value = defaultValue(defaultExpr, dtype: resolved.dtype, param: param.name.name)
            }
        }
        let info = ParamInfo(name: param.name.name, type: type ?? .scalar(.f32), defaultValue: value, span: param.span)
        return (info, type)
    }

    /// A scalar parameter's default: a literal (optionally negated) that fits the dtype.
    private func defaultValue(_ expr: Expr, dtype: DType, param: String) -> ScalarValue? {
        var value: ScalarValue?
        switch expr.kind {
        case .integer(let n): value = .int(n)
        case .float(let x): value = .float(x)
        case .bool(let b): value = .bool(b)
        case .unary(.negate, let inner):
            if case .integer(let n) = inner.kind { value = .int(0 &- n); types[inner.id] = .scalar(.i32) }
            if case .float(let x) = inner.kind { value = .float(-x); types[inner.id] = .scalar(.f32) }
        default: break
        }
        guard let literal = value else {
            report(DiagnosticCatalogue.invalidDefault(param, "must be a literal: a number, true or false", at: expr.span))
            return nil
        }
        switch (literal, dtype) {
        case (.int(let n), let d) where d.isFloat:
            types[expr.id] = .scalar(.i32)
            return .float(Double(n))
        case (.int, .i32):
            types[expr.id] = .scalar(.i32)
            return literal
        case (.float, let d) where d.isFloat:
            types[expr.id] = .scalar(.f32)
            return literal
        case (.bool, .bool):
            types[expr.id] = .scalar(.bool)
            return literal
        default:
            report(DiagnosticCatalogue.invalidDefault(
                param, "is \(literal), which is not a valid \(dtype.name) value", at: expr.span))
            return nil
        }
    }

    /// A kernel result: an hbm tensor whose dims a parameter or the `<...>` list introduced.
    func kernelResultType(_ result: ResultDecl, kernel: KernelDecl) -> ValueType? {
        guard let type = resolveType(result.type, mode: .result(kind: "kernel")) else { return nil }
        if type.isScalar {
            report(DiagnosticCatalogue.scalarKernelResult(result.effectiveName, type.description, at: result.type.span))
            return nil
        }
        if type.space.isTile {
            report(DiagnosticCatalogue.kernelTensorSpace("result '\(result.effectiveName)'",
                                                         space: type.space.rawValue, at: result.type.span))
        }
        return type.with(space: .hbm)
    }

    /// A helper's signature: dims (declared and implicit), whole-tensor parameters, result.
    func functionSignature(_ function: FunctionDecl) -> FunctionSignature {
        let saved = (scopes, context, dims)
        defer { (scopes, context, dims) = saved }
        scopes = ScopeStack()
        context = BodyContext(kind: .function, name: function.name.name)
        dims = []
        declareDims(function.dims)
        var params: [(name: String, type: ValueType?, span: SourceSpan)] = []
        var usedDims: Set<String> = []
        for (index, param) in function.params.enumerated() {
            var type = resolveType(param.type, mode: .introduce)
            if let resolved = type, resolved.space != .value {
                report(DiagnosticCatalogue.functionTypeSpace("parameter '\(param.name.name)'",
                                                             space: resolved.space.rawValue, at: param.type.span))
                type = resolved.with(space: .value)
            }
            if let defaultExpr = param.defaultValue {
                report(DiagnosticCatalogue.invalidDefault(
                    param.name.name, "is not allowed: helper function parameters take no defaults", at: defaultExpr.span))
            }
            for dim in type?.shape ?? [] { usedDims.formUnion(dim.dimNames) }
            params.append((param.name.name, type, param.span))
            declareInSignature(param.name, .parameter(index: index), type: type)
        }
        var result = resolveType(function.result, mode: .result(kind: "function"))
        if let resolved = result, resolved.space != .value {
            report(DiagnosticCatalogue.functionTypeSpace("the result", space: resolved.space.rawValue,
                                                         at: function.result.span))
            result = resolved.with(space: .value)
        }
        for dim in dims where dim.isDeclared && dim.defaultSize == nil && !usedDims.contains(dim.name) {
            report(DiagnosticCatalogue.unbindableFunctionDim(dim.name, function: function.name.name, at: dim.span))
        }
        return FunctionSignature(decl: function, dims: dims, params: params, result: result)
    }

    // MARK: attributes

    /// Checks `@schedule(...)` (kernels only) and returns its values.
    func checkAttributes(_ attributes: [Attribute], onKernel: Bool) -> ScheduleAttribute? {
        var schedule: ScheduleAttribute?
        for attribute in attributes {
            let name = attribute.name.name
            guard name == "schedule" else {
                report(DiagnosticCatalogue.unknownAttribute(name, at: attribute.name.span))
                continue
            }
            guard onKernel else {
                report(DiagnosticCatalogue.attributeOnFunction(name, at: attribute.name.span))
                continue
            }
            guard schedule == nil else {
                report(DiagnosticCatalogue.duplicateAttribute("'@schedule'", at: attribute.span))
                continue
            }
            var values = ScheduleAttribute(span: attribute.span)
            var seen: Set<String> = []
            for argument in attribute.arguments {
                if case .integer = argument.value.kind { types[argument.value.id] = .scalar(.i32) }
                guard let label = argument.label else {
                    report(DiagnosticCatalogue.unlabelledAttributeArgument(name, at: argument.span))
                    continue
                }
                guard ScheduleAttribute.argumentNames.contains(label.name) else {
                    report(DiagnosticCatalogue.unknownAttributeArgument(
                        name, label.name, expected: ScheduleAttribute.argumentNames, at: label.span))
                    continue
                }
                guard seen.insert(label.name).inserted else {
                    report(DiagnosticCatalogue.duplicateAttribute("argument '\(label.name)' of '@schedule'",
                                                                  at: argument.span))
                    continue
                }
                guard case .integer(let value) = argument.value.kind, value > 0 else {
                    report(DiagnosticCatalogue.attributeValue(label.name, at: argument.value.span))
                    continue
                }
                switch label.name {
                case "tile_m": values.tileM = value
                case "tile_n": values.tileN = value
                case "tile_k": values.tileK = value
                default: values.bufs = value
                }
            }
            schedule = values
        }
        return schedule
    }
}
