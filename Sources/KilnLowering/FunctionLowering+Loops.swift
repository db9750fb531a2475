// FunctionLowering+Loops.swift: `for` loops with static bounds, and peeling of remainder iterations.

import KilnMachine
import KilnSema
import KilnSource
import KilnSyntax
import KilnTileIR

extension FunctionLowering {
    /// Most remainder iterations a loop may peel into straight-line code.
    static let peelLimit = 16

    /// `for i in lo ..< hi step s { body }` with bounds known once dims are bound.
    ///
    /// Remainder peeling: every HBM slice in the body whose start moves with `i` constrains `i` so the slice
    /// stays inside its tensor (taking the other loop variables at their extremes and dims at their sizes).
    /// The iterations that satisfy every constraint from the first one on stay an IR `for` loop; the rest
    /// (the last iterations of a shape that is not a multiple of the tile) are emitted one by one as
    /// straight-line code with `i` a constant, where each slice is clipped to the tensor and the tiles
    /// computed from it are smaller. At most `peelLimit` iterations are peeled.
    func lowerLoop(_ variable: Identifier, _ lower: Expr, _ upper: Expr, _ step: Expr?, _ body: KilnSyntax.Block,
                   span: SourceSpan) throws(LoweringFailed) {
        let (low, high) = (try staticBound(lower), try staticBound(upper))
        var stride = 1
        if let step, case .integer(let value) = step.kind { stride = value }
        guard stride > 0 else { throw fail(DiagnosticCatalogue.loweringLoopBounds("the step must be positive", at: span)) }
        let (distance, overflow) = high.subtractingReportingOverflow(low)
        if overflow { throw fail(DiagnosticCatalogue.loweringOverflow("the loop range", at: span)) }
        guard distance > 0 else { return }
        let count = (distance - 1) / stride + 1
        let last = low + (count - 1) * stride
        var inRange = count
        for constraint in try sliceConstraints(variable.name, body.statements) {
            inRange = Swift.min(inRange, constraint.iterationsInRange(from: low, step: stride, count: count))
        }
        if count - inRange > Self.peelLimit {
            throw fail(DiagnosticCatalogue.loweringRemainder(
                "\(count - inRange) of its \(count) iterations reach past a tensor's end (the limit is \(Self.peelLimit))", at: span))
        }
        if inRange > 0 {
            let induction = function.makeValue(.index, name: variable.name)
            valueTypes[induction.id] = .index
            let ops = lowerBody(variable, .value(induction.id, .index), first: low, last: last, body)
            let loop = ForLoop(inductionVariable: induction, lowerBound: low, upperBound: Swift.min(high, low + inRange * stride),
                               step: stride, body: IRBlock(ops))
            emit(.forLoop(loop), at: span)
        }
        for iteration in inRange..<count {
            let ops = lowerBody(variable, .constant(Double(low + iteration * stride), .i32), first: low, last: last, body)
            blocks[blocks.count - 1].append(contentsOf: ops)
        }
        for (key, state) in buffers where state.depth == loopFrames.count
            && body.statements.contains(where: { Self.accumulates(into: state.name, $0) }) {
            buffers[key]?.startPending = false
        }
    }

    /// Lowers a loop body once with the loop variable bound to `value`; returns the ops, which the caller
    /// wraps in a `for` or splices in place (a peeled iteration). Buffer allocs keep their block indices
    /// because a peeled body is built in a block of its own at the same depth.
    private func lowerBody(_ variable: Identifier, _ value: Lowered, first: Int, last: Int, _ body: KilnSyntax.Block) -> [Operation] {
        loopFrames.append(LoopFrame(name: variable.name, value: value, first: first, last: last, body: body.statements))
        locals[variable.span] = value
        blocks.append([])
        varScopes.append([:])
        lowerStatements(body.statements)
        varScopes.removeLast()
        loopFrames.removeLast()
        return blocks.removeLast()
    }

    /// A loop bound: integers, dims and peeled loop variables combined with + - *.
    func staticBound(_ expr: Expr) throws(LoweringFailed) -> Int {
        func overflow() -> LoweringFailed { fail(DiagnosticCatalogue.loweringOverflow("the loop bound", at: expr.span)) }
        switch expr.kind {
        case .integer(let value): return value
        case .unary(.negate, let operand):
            let (value, failed) = 0.subtractingReportingOverflow(try staticBound(operand))
            if failed { throw overflow() }
            return value
        case .binary(let op, let lhs, let rhs) where op == .add || op == .subtract || op == .multiply:
            let (a, b) = (try staticBound(lhs), try staticBound(rhs))
            let (value, failed) = op == .add ? a.addingReportingOverflow(b)
                : op == .subtract ? a.subtractingReportingOverflow(b) : a.multipliedReportingOverflow(by: b)
            if failed { throw overflow() }
            return value
        case .name:
            if case .constant(let value, _) = try lowerName(expr) { return Int(value) }
            throw fail(DiagnosticCatalogue.loweringLoopBounds("its bound '\(program.syntaxText(expr))' is not known at compile time",
                                                              at: expr.span))
        default:
            throw fail(DiagnosticCatalogue.loweringLoopBounds("its bounds must be integers, dims and outer loop variables "
                + "combined with + - *", at: expr.span))
        }
    }

    /// The constraints HBM slices in `statements` put on the loop variable `name` (a nested loop that
    /// reuses the name hides it).
    func sliceConstraints(_ name: String, _ statements: [Statement]) throws(LoweringFailed) -> [SliceConstraint] {
        var constraints: [SliceConstraint] = []
        var innerRanges: [String: ClosedRange<Int>] = [:]
        var failure: LoweringFailed?
        func visit(_ expr: Expr) {
            guard failure == nil else { return }
            if case .index = expr.kind {
                do {
                    constraints += try constraintsOf(expr, name, innerRanges)
                } catch {
                    failure = error
                }
            }
            expr.forEachChild(visit)
        }
        func walk(_ statements: [Statement]) {
            for statement in statements {
                if case .forLoop(let variable, let lower, let upper, let step, let body) = statement.kind {
                    guard variable.name != name else { continue }
                    var stride = 1
                    if let step, case .integer(let value) = step.kind { stride = value }
                    if let low = try? staticBound(lower), let high = try? staticBound(upper), high > low, stride > 0 {
                        innerRanges[variable.name] = low...(low + (high - low - 1) / stride * stride)
                    }
                    walk(body.statements)
                    innerRanges[variable.name] = nil
                } else {
                    statement.forEachExpr(visit)
                }
            }
        }
        walk(statements)
        if let failure { throw failure }
        return constraints
    }

    /// One constraint per slice item of `expr` whose start moves with `name`.
    private func constraintsOf(_ expr: Expr, _ name: String, _ innerRanges: [String: ClosedRange<Int>]) throws(LoweringFailed) -> [SliceConstraint] {
        guard case .index(let base, _) = expr.kind, let items = program.slices[expr.id] else { return [] }
        let id: ValueID?
        switch program.resolutions[base.id] {
        case .parameter(let index)? where index < parameters.count:
            if case .value(let value, _) = parameters[index] { id = value } else { id = nil }
        case .result(let index)? where index < results.count: id = results[index]
        default: id = nil
        }
        guard let id, case .hbm(let tensor)? = type(of: id) else { return [] }
        var constraints: [SliceConstraint] = []
        for (item, dimSize) in zip(items, tensor.shape) {
            guard let coefficient = item.lower.terms.first(where: { $0.key.kind == .loop && $0.key.name == name })?.value else { continue }
            var low = item.lower.constant, high = item.lower.constant
            var known = true
            for variable in item.lower.variables where !(variable.kind == .loop && variable.name == name) {
                let c = item.lower.terms[variable] ?? 0
                let range: ClosedRange<Int>
                if variable.kind == .dim {
                    let size = try size(.symbol(variable.name), at: expr.span)
                    range = size...size
                } else if let inner = innerRanges[variable.name] {
                    range = inner
                } else if let frame = loopFrames.last(where: { $0.name == variable.name }) {
                    if case .constant(let value, _) = frame.value { range = Int(value)...Int(value) } else { range = frame.first...frame.last }
                } else {
                    known = false
                    break
                }
                let (a, o1) = c.multipliedReportingOverflow(by: range.lowerBound)
                let (b, o2) = c.multipliedReportingOverflow(by: range.upperBound)
                if o1 || o2 { throw fail(DiagnosticCatalogue.loweringOverflow("a slice bound", at: expr.span)) }
                low += Swift.min(a, b)
                high += Swift.max(a, b)
            }
            guard known else { continue }
            constraints.append(SliceConstraint(coefficient: coefficient, low: low, high: high,
                                               size: try size(item.size, at: expr.span), dimSize: dimSize))
        }
        return constraints
    }
}

/// `0 <= coefficient * i + rest` and `coefficient * i + rest + size <= dimSize`, with `rest` in `low...high`.
struct SliceConstraint {
    var coefficient: Int
    var low: Int
    var high: Int
    var size: Int
    var dimSize: Int

    func holds(at value: Int) -> Bool {
        let (start, overflow) = coefficient.multipliedReportingOverflow(by: value)
        guard !overflow else { return false }
        return start + low >= 0 && start + high + size <= dimSize
    }

    /// How many iterations, from the first, hold: found by bisection when the constraint is monotone in
    /// the iteration (it is: the start is linear in the loop variable).
    func iterationsInRange(from first: Int, step: Int, count: Int) -> Int {
        guard holds(at: first) else { return 0 }
        var (good, bad) = (0, count)  // iteration `good` holds; every iteration >= `bad` fails (or none exist)
        if holds(at: first + (count - 1) * step) { return count }
        while bad - good > 1 {
            let middle = good + (bad - good) / 2
            if holds(at: first + middle * step) { good = middle } else { bad = middle }
        }
        return good + 1
    }
}

extension Expr {
    /// Calls `visit` on each direct subexpression.
    func forEachChild(_ visit: (Expr) -> Void) {
        switch kind {
        case .integer, .float, .bool, .name, .error: break
        case .unary(_, let operand), .member(let operand, _), .cast(let operand, _): visit(operand)
        case .binary(_, let lhs, let rhs):
            visit(lhs)
            visit(rhs)
        case .call(_, let arguments): arguments.forEach { visit($0.value) }
        case .tuple(let items): items.forEach(visit)
        case .index(let base, let items):
            visit(base)
            for item in items {
                switch item {
                case .index(let index): visit(index)
                case .slice(let lower, let upper, _):
                    if let lower { visit(lower) }
                    if let upper { visit(upper) }
                }
            }
        }
    }
}

extension Statement {
    /// Calls `visit` on each expression of the statement (not those of a loop body).
    func forEachExpr(_ visit: (Expr) -> Void) {
        switch kind {
        case .letBinding(_, _, let value), .assign(_, _, let value), .expression(let value): visit(value)
        case .varDecl(_, _, let initial): if let initial { visit(initial) }
        case .forLoop(_, let lower, let upper, _, _):
            visit(lower)
            visit(upper)
        case .returnValues(let values): values.forEach(visit)
        }
    }
}
