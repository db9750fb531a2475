// Checker+Expressions.swift: typing of literals, names, operators, casts, members and slices.

import KilnSource
import KilnSyntax

extension Checker {
    /// Infers and records the type of `expr`; nil means an error was reported here or below
    /// (callers stay silent about nil operands, so one mistake gives one diagnostic).
    /// `asStatement` allows calls with no value (`store`).
    @discardableResult
    func checkExpr(_ expr: Expr, asStatement: Bool = false) -> ValueType? {
        let type: ValueType? = nested(at: expr.span) { inferType(expr, asStatement: asStatement) } ?? nil
        if expr.id >= 0 && expr.id < types.count { types[expr.id] = type }
        return type
    }

    private func inferType(_ expr: Expr, asStatement: Bool) -> ValueType? {
        switch expr.kind {
        case .integer: return .scalar(.i32)
        case .float: return .scalar(.f32)
        case .bool: return .scalar(.bool)
        case .name(let name): return checkName(name, expr)
        case .unary(let op, let operand): return checkUnary(op, operand, expr)
        case .binary(let op, let lhs, let rhs): return checkBinary(op, lhs, rhs, expr)
        case .call(let callee, let arguments): return checkCall(callee, arguments, expr, asStatement: asStatement)
        case .index(let base, let items): return checkIndex(base, items, expr)
        case .member(let base, let member):
            guard let type = checkExpr(base) else { return nil }
            guard member.name == "T" else {
                report(DiagnosticCatalogue.unknownMember(member.name, at: member.span))
                return nil
            }
            return checkTranspose(".T", type, base, span: expr.span)
        case .tuple(let items):
            report(DiagnosticCatalogue.tupleNotAllowed(at: expr.span))
            for item in items { checkExpr(item) }
            return nil
        case .cast(let operand, let dtypeName):
            let type = checkExpr(operand)
            guard let dtype = DType(name: dtypeName.name) else {
                report(DiagnosticCatalogue.unknownDType(dtypeName.name, at: dtypeName.span))
                return nil
            }
            return type.map { computed($0).with(dtype: dtype) }
        case .error:
            return nil
        }
    }

    /// A name: a local, parameter or dim in scope. Results cannot be read; functions, kernels and
    /// dtypes are not values.
    /// A slice or loop bound, where loop variables may be read.
    @discardableResult
    func checkBound(_ expr: Expr) -> ValueType? {
        boundDepth += 1
        defer { boundDepth -= 1 }
        return checkExpr(expr)
    }

    private func checkName(_ name: String, _ expr: Expr) -> ValueType? {
        if let symbol = scopes.lookup(name) {
            scopes.markUsed(symbol.id)
            resolutions[expr.id] = symbol.resolution
            if case .result = symbol.kind {
                report(DiagnosticCatalogue.resultNotReadable(name, at: expr.span, declared: symbol.span))
                return nil
            }
            if case .loopVariable = symbol.kind, boundDepth == 0 {
                // A value per iteration: the loop is unrolled, and the variable is a constant in each copy.
                unrolledLoops.insert(symbol.span)
            }
            return symbol.type
        }
        if name == "inf" {
            resolutions[expr.id] = .infinity
            return .scalar(.f32)
        }
        if BuiltinTable.lookup(name) != nil || signatures[name] != nil || genericHelpers[name] != nil {
            report(DiagnosticCatalogue.notAValue(name, "a function", hint: "call it: \(name)(...)", at: expr.span))
        } else if let item = items[name], case .kernel = item {
            report(DiagnosticCatalogue.notAValue(name, "a kernel", hint: "kernels cannot be used in expressions",
                                                 at: expr.span))
        } else if DType(name: name) != nil {
            report(DiagnosticCatalogue.notAValue(name, "a dtype", hint: "to convert a value write 'x as \(name)'",
                                                 at: expr.span))
        } else {
            report(DiagnosticCatalogue.undefinedName(name, at: expr.span))
        }
        return nil
    }

    private func checkUnary(_ op: UnaryOp, _ operand: Expr, _ expr: Expr) -> ValueType? {
        guard let type = checkExpr(operand) else { return nil }
        switch op {
        case .negate:
            guard type.dtype.isNumeric else {
                report(DiagnosticCatalogue.operandDType("-", "numeric", found: type.description, at: expr.span))
                return nil
            }
        case .not:
            guard type.dtype == .bool else {
                report(DiagnosticCatalogue.operandDType("!", "bool", found: type.description, at: expr.span))
                return nil
            }
        }
        return computed(type)
    }

    /// Arithmetic (numeric), comparisons (giving bool) and logic (bool), broadcasting; `@` is matmul.
    private func checkBinary(_ op: BinaryOp, _ lhs: Expr, _ rhs: Expr, _ expr: Expr) -> ValueType? {
        let left = checkExpr(lhs)
        let right = checkExpr(rhs)
        guard let left, let right else { return nil }
        let symbol = op.rawValue
        if op == .matmul { return checkMatmul(symbol, left, lhs, right, rhs, span: expr.span) }
        let bad: ValueType?
        let requirement: String
        if op.isLogical {
            requirement = "bool"
            bad = [left, right].first { $0.dtype != .bool }
        } else if op.isComparison && (op == .equal || op == .notEqual) {
            requirement = "numeric or bool"
            bad = nil
        } else {
            requirement = "numeric"
            bad = [left, right].first { $0.dtype == .bool }
        }
        if let bad {
            report(DiagnosticCatalogue.operandDType(symbol, requirement, found: bad.description, at: expr.span))
            return nil
        }
        guard let result = elementwise(symbol, left, right, span: expr.span) else { return nil }
        return op.isComparison ? result.with(dtype: .bool) : result
    }

    /// The result of computing on a value: tiles give sbuf tiles, everything else an unplaced value.
    func computed(_ type: ValueType) -> ValueType {
        type.with(space: type.isTile ? .sbuf : .value)
    }

    /// "a" for a name operand, else "the left operand"/"the right operand", for messages.
    func operandName(_ expr: Expr, _ fallback: String) -> String {
        if case .name(let name) = expr.kind { return name }
        return fallback
    }

    // MARK: slices

    private func checkIndex(_ base: Expr, _ items: [IndexItem], _ expr: Expr) -> ValueType? {
        guard let baseType = checkExpr(base) else {
            checkIndexItems(items)
            return nil
        }
        return sliceType(baseType, items, expr, asValue: !loadSources.contains(expr.id))
    }

    /// Types the bound expressions of items whose base already failed, for their own errors.
    private func checkIndexItems(_ items: [IndexItem]) {
        for item in items { item.forEachBound { checkBound($0) } }
    }

    /// `x[lo : hi, ...]` on an hbm tensor or a tile: one item per dim; each size `hi - lo` must simplify
    /// to a constant or a dim (no loop variable); a plain index is a size-1 slice. The result keeps the base's space.
    /// The type of `base[items]`. A slice read `asValue` (anywhere but `load`'s argument and `store`'s
    /// destination) is a whole-tensor slice: its base may be a computed value, its bounds are constants and
    /// dims, and it must end inside every dim (checked once dims are bound when they are symbolic). A tile's
    /// slice is a new SBUF tile (`tileSliceType`).
    func sliceType(_ base: ValueType, _ items: [IndexItem], _ expr: Expr, asValue: Bool = false) -> ValueType? {
        let reason: String? = base.isScalar ? "a scalar has no dims"
            : base.space == .value && !asValue ? "only hbm tensors and tiles can be sliced, and this is a computed value" : nil
        if let reason {
            report(DiagnosticCatalogue.notSliceable(base.description, reason: reason, at: expr.span))
            checkIndexItems(items)
            return nil
        }
        guard items.count == base.rank else {
            report(DiagnosticCatalogue.indexCount(base.description, rank: base.rank, given: items.count, at: expr.span))
            checkIndexItems(items)
            return nil
        }
        var infos: [SliceInfo] = []
        for (item, dim) in zip(items, base.shape) {
            if let info = sliceItem(item, dim: dim) { infos.append(info) }
        }
        guard infos.count == items.count else { return nil }
        if let strided = zip(infos, items).first(where: { !$0.0.step.isOne })?.1, !asValue || base.isTile {
            report(DiagnosticCatalogue.stridedSliceNotWhole(text(expr.span), at: strided.span))
            return nil
        }
        if asValue {
            if base.isTile { return tileSliceType(base, infos, items, expr) }
            guard wholeSliceBounds(infos, base.shape, items, expr) else { return nil }
        }
        slices[expr.id] = infos
        return base.with(shape: infos.map(\.size))
    }

    /// `t[...]` of a tile used as a value: an SBUF tile holding the window, which one vector-engine copy reads
    /// (`dve.copy_columns`). The partition item keeps the leading partitions (it starts at 0, K2161), and the free
    /// items select one contiguous run of each partition (the dims after the last one not taken whole are whole,
    /// those before it have size 1; K2162), as an access pattern with an offset does. Loop variables in the bounds are decided at compile
    /// time: their loops are unrolled. A window past a remainder tile's end is clipped, as loads are.
    private func tileSliceType(_ base: ValueType, _ infos: [SliceInfo], _ items: [IndexItem], _ expr: Expr) -> ValueType? {
        guard infos.first?.lower.constantValue == 0 else {
            report(DiagnosticCatalogue.tileSliceNotLeadingPartitions(text(expr.span), at: items.first?.span ?? expr.span))
            return nil
        }
        // One run: the free dims after the last one not taken whole are whole, and those before it have size 1.
        let free = Array(zip(infos, base.shape).enumerated().dropFirst())
        let last = free.last { !($0.element.0.lower.constantValue == 0 && $0.element.0.size == $0.element.1) }?.offset
        for (index, (info, _)) in free {
            if let last, index < last, info.size.constantValue != 1 {
                report(DiagnosticCatalogue.tileSliceNotContiguous(text(expr.span), at: items[last].span))
                return nil
            }
            unrolledLoops.formUnion(declarations(of: info.lower.loopVariables))
        }
        slices[expr.id] = infos
        let type = ValueType(base.dtype, infos.map(\.size), space: .sbuf)
        checkPartition(type, span: expr.span)
        return type
    }

    /// A whole-tensor slice's items: no loop variables, and each item ends inside its dim.
    private func wholeSliceBounds(_ infos: [SliceInfo], _ dims: [Dim], _ items: [IndexItem], _ expr: Expr) -> Bool {
        var ok = true
        for (info, (dim, item)) in zip(infos, zip(dims, items)) {
            let span = item.span
            if let loop = info.lower.loopVariables.first {
                report(DiagnosticCatalogue.wholeSliceBound(text(expr.span), loopVariable: loop.name, at: span))
                ok = false
                continue
            }
            guard let end = info.end, let room = dim.affine.subtracting(end) else {
                report(DiagnosticCatalogue.integerOverflow(text(span), at: span))
                ok = false
                continue
            }
            if let value = room.constantValue {
                if value < 0 {
                    report(DiagnosticCatalogue.sliceEndOutOfBounds(end: end.description, dim: dim.description, at: span))
                    ok = false
                }
            } else {
                context.limits.append(StaticLimit(kind: .sliceEnd(end: end.description, extent: dim.description),
                                                  dim: Dim(room), span: span))
            }
        }
        return ok
    }

    private func sliceItem(_ item: IndexItem, dim: Dim) -> SliceInfo? {
        switch item {
        case .index(let expr):
            guard let lower = boundAffine(expr, what: "an index") else { return nil }
            guard checkStart(lower, dim: dim, span: expr.span) else { return nil }
            return SliceInfo(lower: lower, size: .constant(1))
        case .slice(let lowerExpr, let upperExpr, let stepExpr, let span):
            let lower = lowerExpr.map { boundAffine($0, what: "a slice bound") } ?? AffineExpr(constant: 0)
            let upper = upperExpr.map { boundAffine($0, what: "a slice bound") } ?? dim.affine
            let step = stepExpr.map(sliceStep) ?? AffineExpr(constant: 1)
            guard let lower, let upper, let step else { return nil }
            guard let extent = upper.subtracting(lower) else {
                report(DiagnosticCatalogue.integerOverflow(text(span), at: span))
                return nil
            }
            if let value = extent.constantValue, value <= 0 {
                report(DiagnosticCatalogue.emptySlice(size: String(value), at: span))
                return nil
            }
            guard let size = stridedSize(extent, step: step, span: span) else { return nil }
            if let loop = size.loopVariables.first {
                report(DiagnosticCatalogue.sliceSizeNotStatic(size.description, loopVariable: loop.name, at: span))
                return nil
            }
            if let value = size.constantValue, value <= 0 {
                report(DiagnosticCatalogue.emptySlice(size: String(value), at: span))
                return nil
            }
            guard checkStart(lower, dim: dim, span: lowerExpr?.span ?? span) else { return nil }
            if size.constantValue == nil && size.singleVariable == nil {
                context.limits.append(StaticLimit(kind: .positive, dim: Dim(size), span: span))
            }
            return SliceInfo(lower: lower, size: Dim(size), step: Dim(step))
        }
    }

    /// A slice's step: a positive constant, or a dim expression (positive once dims are bound).
    private func sliceStep(_ expr: Expr) -> AffineExpr? {
        guard let step = boundAffine(expr, what: "a slice step") else { return nil }
        if let loop = step.loopVariables.first {
            report(DiagnosticCatalogue.sliceStep(text(expr.span), reason: "uses the loop variable '\(loop.name)'", at: expr.span))
            return nil
        }
        if let value = step.constantValue, value <= 0 {
            report(DiagnosticCatalogue.sliceStep(text(expr.span), reason: value == 0 ? "is zero" : "is negative", at: expr.span))
            return nil
        }
        if step.constantValue == nil && step.singleVariable == nil {
            context.limits.append(StaticLimit(kind: .positive, dim: Dim(step), span: expr.span))
        }
        return step
    }

    /// ceil(extent / step) as a dim expression: exact when the step is 1, when the extent is a constant and the step
    /// one too, when a constant step divides every dim's coefficient in the extent (ceil only rounds the constant:
    /// `2 * Ho - 1` by 2 is `Ho`), or when the extent is a constant multiple of a symbolic step. Otherwise K2164.
    private func stridedSize(_ extent: AffineExpr, step: AffineExpr, span: SourceSpan) -> AffineExpr? {
        func ceilDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b + (a % b == 0 ? 0 : 1) : -((-a) / b) }
        func strideError() -> AffineExpr? {
            func grouped(_ e: AffineExpr) -> String { e.constantValue != nil || e.singleVariable != nil ? e.description : "(\(e))" }
            report(DiagnosticCatalogue.stridedSliceSize(text(span), extent: grouped(extent), step: grouped(step), at: span))
            return nil
        }
        if step.constantValue == 1 { return extent }
        if let s = step.constantValue {
            var size = AffineExpr(constant: ceilDiv(extent.constant, s))
            for variable in extent.variables {
                let coefficient = extent.terms[variable] ?? 0
                guard coefficient % s == 0, let term = AffineExpr(variable).scaled(by: coefficient / s),
                      let sum = size.adding(term) else { return strideError() }
                size = sum
            }
            return size
        }
        if let first = step.variables.first, let ratio = extent.terms[first], let coefficient = step.terms[first],
           ratio % coefficient == 0, ratio / coefficient > 0, let multiple = step.scaled(by: ratio / coefficient),
           multiple == extent {
            return AffineExpr(constant: ratio / coefficient)
        }
        return strideError()
    }

    /// A constant start must lie inside the dim (when the dim is constant) and not be negative.
    private func checkStart(_ lower: AffineExpr, dim: Dim, span: SourceSpan) -> Bool {
        guard let start = lower.constantValue else { return true }
        if start < 0 || (dim.constantValue.map { start >= $0 } ?? false) {
            report(DiagnosticCatalogue.sliceOutOfBounds(start: start, dim: dim.description, at: span))
            return false
        }
        return true
    }

    /// A slice or loop bound: an i32 scalar expression that is affine in loop variables, dims and integers.
    func boundAffine(_ expr: Expr, what: String) -> AffineExpr? {
        guard let type = checkBound(expr) else { return nil }
        guard type.isScalar && type.dtype == .i32 else {
            report(DiagnosticCatalogue.indexNotInteger(what, found: type.description, at: expr.span))
            return nil
        }
        return affineIndex(expr, what: what)
    }

    /// Converts an already-typed integer expression to affine form; reports what makes it non-affine.
    func affineIndex(_ expr: Expr, what: String) -> AffineExpr? {
        nested(at: expr.span) { () -> AffineExpr? in
            switch expr.kind {
            case .integer(let value):
                return AffineExpr(constant: value)
            case .name(let name):
                guard let symbol = scopes.lookup(name) else { return nil }
                switch symbol.kind {
                case .dim: return AffineExpr(.dim(name))
                case .loopVariable: return AffineExpr(.loop(name, id: symbol.id))
                default:
                    report(DiagnosticCatalogue.nonAffineIndex(what, reason: "'\(name)' is a \(symbol.kind.noun)",
                                                              at: expr.span))
                    return nil
                }
            case .unary(.negate, let operand):
                guard let inner = affineIndex(operand, what: what) else { return nil }
                guard let result = inner.scaled(by: -1) else {
                    report(DiagnosticCatalogue.integerOverflow(text(expr.span), at: expr.span))
                    return nil
                }
                return result
            case .binary(let op, let lhs, let rhs) where op == .add || op == .subtract || op == .multiply:
                let left = affineIndex(lhs, what: what)
                let right = affineIndex(rhs, what: what)
                guard let left, let right else { return nil }
                return combineAffine(op, left, right, span: expr.span)
            default:
                report(DiagnosticCatalogue.nonAffineIndex(
                    what, reason: "'\(text(expr.span))' is not + - * of integers, dims and loop variables", at: expr.span))
                return nil
            }
        } ?? nil
    }
}
