// Checker+Statements.swift: let, var, assignment, for loops, returns and expression statements.

import KilnSource
import KilnSyntax

extension Checker {
    /// Checks a nested block (a loop body) in its own scope.
    func checkBlock(_ block: Block) {
        scopes.push()
        for statement in block.statements { checkStatement(statement) }
        warnUnused(scopes.pop())
    }

    func checkStatement(_ statement: Statement) {
        switch statement.kind {
        case .letBinding(let name, let annotation, let value):
            checkLet(name, annotation, value)
        case .varDecl(let name, let type, let initial):
            checkVar(name, type, initial)
        case .assign(let target, let op, let value):
            checkAssign(target, op, value, span: statement.span)
        case .assignWindow(let target, let op, let value):
            checkAssignWindow(target, op, value)
        case .forLoop(let variable, let lower, let upper, let step, let body):
            checkFor(variable, lower, upper, step, body)
        case .ifStatement(let condition, let then, let otherwise):
            checkIf(condition, then, otherwise)
        case .returnValues(let values):
            report(DiagnosticCatalogue.returnNotLast(context.kindNoun, at: statement.span))
            for value in values { _ = checkExpr(value) }
        case .expression(let expr):
            checkExpressionStatement(expr)
        }
    }

    /// `let x [: type] = e`: no redefinition in the same block; the annotation must match.
    private func checkLet(_ name: Identifier, _ annotation: TypeSyntax?, _ value: Expr) {
        var type = checkExpr(value)
        if let annotation {
            let declared = resolveType(annotation, mode: .known)
            if let declared {
                checkPartition(declared, span: annotation.span)
                if let found = type, !annotationMatches(declared, found) {
                    report(DiagnosticCatalogue.annotationMismatch(
                        name.name, declared: declared.description, found: found.description,
                        hint: dtypeHint(expected: declared, found: found), at: value.span))
                }
            }
            // An annotation without a space (`let t: f32[128, D] = load(...)`) keeps the value's tile space.
            if let declared, let found = type, declared.space == .value, !declared.isScalar,
               annotationMatches(declared, found) {
                type = found
            } else {
                type = declared ?? type
            }
        }
        if let previous = scopes.declaredInInnermost(name.name) {
            report(DiagnosticCatalogue.duplicateName(name.name, "in this block", at: name.span, previous: previous.span))
            return
        }
        if let type { declarations[name.span] = type }
        scopes.declare(name.name, .letBinding, type: type, span: name.span)
    }

    /// Dtype and shape must match; the space only if the annotation names one. Scalars are weak.
    private func annotationMatches(_ declared: ValueType, _ found: ValueType) -> Bool {
        if declared.isScalar && found.isScalar { return weakScalarFits(found.dtype, into: declared.dtype) }
        if declared.space != .value && declared.space != found.space { return false }
        return declared.dtype == found.dtype && declared.shape == found.shape
    }

    /// "; convert it with 'as bf16'" when only the dtype differs.
    func dtypeHint(expected: ValueType, found: ValueType) -> String {
        expected.shape == found.shape && expected.dtype != found.dtype ? "; convert it with 'as \(expected.dtype)'" : ""
    }

    /// `var t: sbuf|psum dt[P, F] [= scalar]`: a tile buffer in a kernel.
    private func checkVar(_ name: Identifier, _ syntax: TypeSyntax, _ initial: Expr?) {
        if context.kind == .function { report(DiagnosticCatalogue.tileVarInFunction(name.name, at: name.span)) }
        var type = resolveType(syntax, mode: .known)
        if let resolved = type, !resolved.space.isTile {
            report(DiagnosticCatalogue.varNeedsTileSpace(name.name, found: text(syntax.span), at: syntax.span))
            type = nil
        }
        if let resolved = type { checkPartition(resolved, span: syntax.span) }
        if let initial, let fill = checkExpr(initial), let resolved = type {
            if !fill.isScalar || !weakScalarFits(fill.dtype, into: resolved.dtype) {
                report(DiagnosticCatalogue.invalidFill(name.name, found: fill.description, at: initial.span))
            }
        }
        if let previous = scopes.declaredInInnermost(name.name) {
            report(DiagnosticCatalogue.duplicateName(name.name, "in this block", at: name.span, previous: previous.span))
            return
        }
        if let type { declarations[name.span] = type }
        varLoopDepths[name.span] = context.loopDepth
        scopes.declare(name.name, .varBuffer, type: type, span: name.span)
    }

    /// `t = e` / `t += e`: only a `var` tile; the value is a tile of the same dtype and shape, or a scalar.
    private func checkAssign(_ target: Identifier, _ op: AssignOp, _ value: Expr, span: SourceSpan) {
        let valueType = checkExpr(value)
        guard let symbol = scopes.lookup(target.name) else {
            report(DiagnosticCatalogue.undefinedName(target.name, at: target.span))
            return
        }
        guard symbol.kind == .varBuffer else {
            report(DiagnosticCatalogue.assignToImmutable(symbol.kind.noun, target.name, at: target.span,
                                                         declared: symbol.span))
            return
        }
        guard let targetType = symbol.type, let valueType else { return }
        let opText = "\(op.rawValue) ..."
        checkAccumulationLoops(target, op, value, targetType: targetType, declared: symbol.span, span: span)
        if valueType.isScalar {
            if !weakScalarFits(valueType.dtype, into: targetType.dtype) {
                report(DiagnosticCatalogue.assignMismatch(target.name, opText, targetType: targetType.description,
                                                          valueType: valueType.description, hint: "", at: value.span))
            }
            return
        }
        guard valueType.isTile else {
            report(DiagnosticCatalogue.assignNeedsTile(target.name, found: valueType.description, at: value.span))
            return
        }
        if valueType.dtype != targetType.dtype || valueType.shape != targetType.shape {
            report(DiagnosticCatalogue.assignMismatch(
                target.name, opText, targetType: targetType.description, valueType: valueType.description,
                hint: dtypeHint(expected: targetType, found: valueType), at: value.span))
        }
    }

    /// `acc += nc_matmul(...)` (or `nc_matmul_mx`) into a psum `var` is one accumulation group, whose start and stop
    /// flags the lowering sets on the first and last iteration of at most one loop between the var and the `+=`
    /// (K2186 for more).
    private func checkAccumulationLoops(_ target: Identifier, _ op: AssignOp, _ value: Expr, targetType: ValueType,
                                        declared: SourceSpan, span: SourceSpan) {
        guard op == .accumulate, targetType.space == .psum, let depth = varLoopDepths[declared],
              context.loopDepth - depth > 1, case .builtin(let builtin)? = calls[value.id],
              builtin == .nc_matmul || builtin == .nc_matmul_mx else { return }
        report(DiagnosticCatalogue.psumAccumulationAcrossLoops(target.name, loops: context.loopDepth - depth, at: span))
    }

    /// `t[items] = e` / `t[items] += e`: `t` is an sbuf `var` (K2072, K2170), the window follows the rules of a
    /// tile's slice (leading partitions, one contiguous run: K2161, K2162), and the value is a scalar or a tile of
    /// the window's dtype and shape, size-1 free dims aside (`t[:, k, :]` of a `[P, K, F]` buffer, `[P, 1, F]`, takes a
    /// `[P, F]` tile) (K2073, K2074).
    private func checkAssignWindow(_ target: Expr, _ op: AssignOp, _ value: Expr) {
        let valueType = checkExpr(value)
        guard case .index(let base, _) = target.kind, case .name(let name) = base.kind else { return }
        guard let symbol = scopes.lookup(name) else {
            report(DiagnosticCatalogue.undefinedName(name, at: base.span))
            return
        }
        guard symbol.kind == .varBuffer else {
            report(DiagnosticCatalogue.assignToImmutable(symbol.kind.noun, name, at: base.span, declared: symbol.span))
            return
        }
        let targetText = text(target.span)
        if let buffer = symbol.type, buffer.space != .sbuf {
            report(DiagnosticCatalogue.windowAssignOutsideSBUF(targetText, found: buffer.description, at: base.span))
            return
        }
        guard let window = checkExpr(target), let valueType else { return }
        if let infos = slices[target.id], let stepped = infos.indices.first(where: { !infos[$0].step.isOne }),
           case .index(_, let items) = target.kind, stepped < items.count {
            // A strided write is not a window: the buffer is written through one contiguous run per partition.
            report(DiagnosticCatalogue.stridedSliceNotWhole(targetText, at: items[stepped].span))
            return
        }
        let opText = "\(op.rawValue) ..."
        if valueType.isScalar {
            if !weakScalarFits(valueType.dtype, into: window.dtype) {
                report(DiagnosticCatalogue.assignMismatch(targetText, opText, targetType: window.description,
                                                          valueType: valueType.description, hint: "", at: value.span))
            }
            return
        }
        guard valueType.isTile else {
            report(DiagnosticCatalogue.assignNeedsTile(targetText, found: valueType.description, at: value.span))
            return
        }
        let squeezed = { (shape: [Dim]) in [shape[0]] + shape.dropFirst().filter { !$0.isOne } }
        if valueType.dtype != window.dtype || squeezed(valueType.shape) != squeezed(window.shape) {
            report(DiagnosticCatalogue.assignMismatch(
                targetText, opText, targetType: window.description, valueType: valueType.description,
                hint: dtypeHint(expected: window, found: valueType), at: value.span))
        }
    }

    /// `for i in lo ..< hi [step s]`: affine integer bounds, a positive literal step, `i` scoped to the body.
    private func checkFor(_ variable: Identifier, _ lower: Expr, _ upper: Expr, _ step: Expr?, _ body: Block) {
        var bounds: [AffineExpr] = []
        for bound in [lower, upper] {
            guard let type = checkBound(bound) else { continue }
            guard type.isScalar && type.dtype == .i32 else {
                report(DiagnosticCatalogue.indexNotInteger("a loop bound", found: type.description, at: bound.span))
                continue
            }
            if let affine = affineIndex(bound, what: "a loop bound") { bounds.append(affine) }
        }
        // Bounds may move with outer loop variables (`i ..< i + 256`); a trip count that changes with one
        // (`0 ..< i + 128`, a triangular loop) is decided at compile time: those outer loops are unrolled.
        if bounds.count == 2, let count = bounds[1].subtracting(bounds[0]) {
            unrolledLoops.formUnion(declarations(of: count.loopVariables))
        }
        let starts = declarations(of: bounds.first?.loopVariables ?? [])
        if let step {
            if case .integer(let value) = step.kind, value > 0 {
                types[step.id] = .scalar(.i32)
            } else {
                _ = checkExpr(step)
                report(DiagnosticCatalogue.invalidLoopStep(found: "'\(text(step.span))'", at: step.span))
            }
        }
        scopes.push()
        scopes.declare(variable.name, .loopVariable, type: .scalar(.i32), span: variable.span)
        loopStarts[variable.span] = starts
        declarations[variable.span] = .scalar(.i32)
        context.loopDepth += 1
        checkBlock(body)
        context.loopDepth -= 1
        scopes.pop()
    }

    /// Only calls may stand alone; a call whose value is dropped (anything but `store`) gets a warning.
    private func checkExpressionStatement(_ expr: Expr) {
        if case .call(let callee, _) = expr.kind {
            let type = checkExpr(expr, asStatement: true)
            if type != nil { report(DiagnosticCatalogue.unusedResult(callee.name, at: expr.span)) }
            return
        }
        // An expression that already failed (or a parser recovery node) has said enough.
        guard checkExpr(expr) != nil else { return }
        report(DiagnosticCatalogue.unusedExpression(at: expr.span))
    }

    // MARK: returns

    /// The `return` ending a kernel's or function's top-level block: one value per result, types equal.
    func checkFinalReturn(_ values: [Expr], span: SourceSpan) {
        let found = values.map { checkExpr($0) }
        switch context.kind {
        case .kernel:
            if context.usesStore {
                report(DiagnosticCatalogue.storeAndReturn(kernel: context.name, at: span))
                return
            }
            guard values.count == context.results.count else {
                report(DiagnosticCatalogue.returnCount("kernel '\(context.name)'", expected: context.results.count,
                                                       given: values.count, at: span))
                return
            }
            for (index, result) in context.results.enumerated() {
                guard let type = found[index], let declared = context.resultTypes[index] else { continue }
                checkReturned(type, against: declared.with(space: .value),
                              what: "result '\(result.name)' of kernel '\(context.name)'", at: values[index].span)
            }
        case .function:
            guard values.count == 1 else {
                report(DiagnosticCatalogue.returnCount("function '\(context.name)'", expected: 1,
                                                       given: values.count, at: span))
                return
            }
            if let type = found[0], let expected = signatures[context.name]?.result {
                checkReturned(type, against: expected, what: "the result of function '\(context.name)'",
                              at: values[0].span)
            }
        }
    }

    private func checkReturned(_ type: ValueType, against expected: ValueType, what: String, at span: SourceSpan) {
        if type.isTile {
            report(DiagnosticCatalogue.returnTile(type.description, at: span))
            return
        }
        let matches = expected.isScalar && type.isScalar
            ? weakScalarFits(type.dtype, into: expected.dtype)
            : type.dtype == expected.dtype && type.shape == expected.shape
        if !matches {
            report(DiagnosticCatalogue.returnTypeMismatch(what, declared: expected.description,
                                                          found: type.with(space: .value).description,
                                                          hint: dtypeHint(expected: expected, found: type), at: span))
        }
    }

    /// A kernel without a final `return` must write each result with `store`.
    func finishKernel(_ kernel: KernelDecl) {
        if let last = kernel.body.statements.last, case .returnValues = last.kind { return }
        if context.storeFailed { return }
        for (index, result) in context.results.enumerated() where !context.storedResults.contains(index) {
            report(DiagnosticCatalogue.missingReturn(kernel: kernel.name.name, result: result.name, at: kernel.name.span))
        }
    }

    func finishFunction(_ function: FunctionDecl, result: ValueType?) {
        if let last = function.body.statements.last, case .returnValues = last.kind { return }
        report(DiagnosticCatalogue.functionMissingReturn(function.name.name, type: result?.description ?? "value",
                                                         at: function.name.span))
    }

    /// Reports each helper that reaches itself through calls. Breadth-first search from each function
    /// (iterative, so long call chains cannot overflow the stack); the path names the functions in between.
    func reportRecursion(_ graph: [String: [(name: String, span: SourceSpan)]]) {
        for name in graph.keys.sorted() {
            guard let edges = graph[name] else { continue }
            if let direct = edges.first(where: { $0.name == name }) {
                report(DiagnosticCatalogue.recursiveFunction(name, path: [], at: direct.span))
                continue
            }
            var parent: [String: String] = [:]
            var queue: [String] = []
            for edge in edges where parent[edge.name] == nil {
                parent[edge.name] = name
                queue.append(edge.name)
            }
            var head = 0
            var cycleEnd: String?
            search: while head < queue.count {
                let node = queue[head]
                head += 1
                for edge in graph[node] ?? [] {
                    if edge.name == name { cycleEnd = node; break search }
                    if parent[edge.name] == nil {
                        parent[edge.name] = node
                        queue.append(edge.name)
                    }
                }
            }
            guard var node = cycleEnd else { continue }
            var path = [node]
            while let up = parent[node], up != name {
                path.append(up)
                node = up
            }
            path.reverse()
            guard let span = edges.first(where: { $0.name == path.first })?.span else { continue }
            report(DiagnosticCatalogue.recursiveFunction(name, path: path, at: span))
        }
    }
}
