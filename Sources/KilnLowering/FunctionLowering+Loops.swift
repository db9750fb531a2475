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
    ///
    /// A loop the checker marked for unrolling (`CheckedProgram.unrolledLoops`: its variable decides an inner
    /// trip count or an `if`, or is a value) peels every iteration, so the variable is a constant in each copy;
    /// its bounds must then be constants (the checker also unrolls the loops they move with), and the copies are
    /// limited (`unrolledCopies(times:span:)`).
    func lowerLoop(_ variable: Identifier, _ lower: Expr, _ upper: Expr, _ step: Expr?, _ body: KilnSyntax.Block,
                   span: SourceSpan) throws(LoweringFailed) {
        let unrolled = program.unrolledLoops.contains(variable.span)
        let (lowBound, highBound) = (try loopBound(lower), try loopBound(upper))
        if !lowBound.terms.isEmpty || !highBound.terms.isEmpty {
            guard !unrolled else {
                throw fail(DiagnosticCatalogue.loweringLoopBounds(
                    "it is unrolled (its variable decides control flow or is a value), so its bounds must be constants in "
                        + "each copy of the loops around it", at: span))
            }
            return try lowerMovingLoop(variable, lowBound, highBound, step, body, span: span)
        }
        let (low, high) = (lowBound.constant, highBound.constant)
        var stride = 1
        if let step, case .integer(let value) = step.kind { stride = value }
        guard stride > 0 else { throw fail(DiagnosticCatalogue.loweringLoopBounds("the step must be positive", at: span)) }
        let (distance, overflow) = high.subtractingReportingOverflow(low)
        if overflow { throw fail(DiagnosticCatalogue.loweringOverflow("the loop range", at: span)) }
        guard distance > 0 else { return }
        let count = (distance - 1) / stride + 1
        let last = low + (count - 1) * stride
        var inRange = unrolled ? 0 : count
        if !unrolled {
            for constraint in try sliceConstraints(variable.name, body.statements) {
                inRange = Swift.min(inRange, constraint.iterationsInRange(from: low, step: stride, count: count))
            }
        }
        let outerCopies = unrolledCopies
        if unrolled { unrolledCopies = try unrolledCopies(times: count, span: span) }
        defer { unrolledCopies = outerCopies }
        if !unrolled && count - inRange > Self.peelLimit {
            throw fail(DiagnosticCatalogue.loweringRemainder(
                "\(count - inRange) of its \(count) iterations reach past a tensor's end (the limit is \(Self.peelLimit))", at: span))
        }
        if inRange > 0 {
            let induction = function.makeValue(.index, name: variable.name)
            valueTypes[induction.id] = .index
            let ops = lowerBody(variable, .value(induction.id, .index), first: low, last: last, body,
                                inductionLast: low + (inRange - 1) * stride)
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

    /// A loop whose bounds move with outer loop variables (`for j in i ..< i + 256 step 128`): the trip count
    /// must be the same for every outer iteration, and the loop runs an IR induction variable `t` from 0 with
    /// `j = lo + t` (each slice's offset gets `lo`'s terms). Its slices must stay inside their tensors for every
    /// outer iteration (no remainder iteration is peeled out of such a loop: that is a located error).
    private func lowerMovingLoop(_ variable: Identifier, _ low: IRAffine, _ high: IRAffine, _ step: Expr?, _ body: KilnSyntax.Block,
                                 span: SourceSpan) throws(LoweringFailed) {
        var stride = 1
        if let step, case .integer(let value) = step.kind { stride = value }
        guard stride > 0 else { throw fail(DiagnosticCatalogue.loweringLoopBounds("the step must be positive", at: span)) }
        let difference = Dictionary(grouping: high.terms + low.terms.map { .init($0.variable, -$0.coefficient) }, by: \.variable)
            .mapValues { $0.reduce(0) { $0 + $1.coefficient } }
        guard difference.values.allSatisfy({ $0 == 0 }) else {
            throw fail(DiagnosticCatalogue.loweringLoopBounds(
                "its trip count changes with an outer loop variable; write the bounds as 'lo ..< lo + count'", at: span))
        }
        let distance = high.constant - low.constant
        guard distance > 0 else { return }
        let count = (distance - 1) / stride + 1
        var offsetLow = low.constant, offsetHigh = low.constant
        for term in low.terms {
            guard let frame = loopFrames.last(where: { if case .value(term.variable, _) = $0.value { true } else { false } }) else { continue }
            let (a, b) = (term.coefficient * frame.range.lowerBound, term.coefficient * frame.range.upperBound)
            offsetLow += Swift.min(a, b)
            offsetHigh += Swift.max(a, b)
        }
        let last = (count - 1) * stride
        for constraint in try sliceConstraints(variable.name, body.statements) {
            for start in [offsetLow, offsetHigh] where constraint.iterationsInRange(from: start, step: stride, count: count) < count {
                throw fail(DiagnosticCatalogue.loweringRemainder(
                    "a slice in this loop, whose bounds move with an outer loop variable, would reach past its tensor's end; "
                        + "remainder iterations are peeled only from loops with constant bounds", at: span))
            }
        }
        let induction = function.makeValue(.index, name: variable.name)
        valueTypes[induction.id] = .index
        let ops = lowerBody(variable, .value(induction.id, .index), first: 0, last: last, body,
                            offset: low, offsetRange: offsetLow...offsetHigh)
        emit(.forLoop(ForLoop(inductionVariable: induction, lowerBound: 0, upperBound: distance, step: stride, body: IRBlock(ops))),
             at: span)
    }

    /// Lowers a loop body once with the loop variable bound to `value`; returns the ops, which the caller
    /// wraps in a `for` or splices in place (a peeled iteration). Buffer allocs keep their block indices
    /// because a peeled body is built in a block of its own at the same depth.
    private func lowerBody(_ variable: Identifier, _ value: Lowered, first: Int, last: Int, _ body: KilnSyntax.Block,
                           inductionLast: Int? = nil, offset: IRAffine = IRAffine(constant: 0),
                           offsetRange: ClosedRange<Int> = 0...0) -> [Operation] {
        loopFrames.append(LoopFrame(name: variable.name, value: value, first: first, last: last, body: body.statements,
                                    offset: offset, offsetRange: offsetRange, inductionLast: inductionLast))
        locals[variable.span] = value
        blocks.append([])
        varScopes.append([:])
        lowerStatements(body.statements)
        varScopes.removeLast()
        loopFrames.removeLast()
        return blocks.removeLast()
    }

    /// A loop bound as an affine expression in the IR induction variables of enclosing loops: integers, dims and
    /// loop variables combined with + - and * by integers.
    func loopBound(_ expr: Expr) throws(LoweringFailed) -> IRAffine {
        func overflow() -> LoweringFailed { fail(DiagnosticCatalogue.loweringOverflow("the loop bound", at: expr.span)) }
        func combine(_ a: IRAffine, _ b: IRAffine, _ sign: Int) throws(LoweringFailed) -> IRAffine {
            let (value, failed) = a.constant.addingReportingOverflow(sign * b.constant)
            if failed { throw overflow() }
            return IRAffine(terms: a.terms + b.terms.map { .init($0.variable, sign * $0.coefficient) }, constant: value)
        }
        switch expr.kind {
        case .name(let name):
            // A loop variable (the innermost loop of that name); a peeled one is a constant.
            if let frame = loopFrames.last(where: { $0.name == name }),
               program.resolutions[expr.id].map({ if case .loopVariable = $0 { true } else { false } }) ?? true {
                switch frame.value {
                case .value(let id, _): return try combine(IRAffine(terms: [.init(id, 1)]), frame.offset, 1)
                case .constant(let value, _): return IRAffine(constant: Int(value))
                }
            }
            return IRAffine(constant: try staticBound(expr))
        case .unary(.negate, let operand):
            return try combine(IRAffine(constant: 0), try loopBound(operand), -1)
        case .binary(let op, let lhs, let rhs) where op == .add || op == .subtract:
            return try combine(try loopBound(lhs), try loopBound(rhs), op == .add ? 1 : -1)
        case .binary(.multiply, let lhs, let rhs):
            let (a, b) = (try loopBound(lhs), try loopBound(rhs))
            guard a.terms.isEmpty || b.terms.isEmpty else {
                throw fail(DiagnosticCatalogue.loweringLoopBounds("its bound multiplies two loop variables", at: expr.span))
            }
            let (factor, scaled) = a.terms.isEmpty ? (a.constant, b) : (b.constant, a)
            let (value, failed) = scaled.constant.multipliedReportingOverflow(by: factor)
            if failed { throw overflow() }
            return IRAffine(terms: scaled.terms.map { .init($0.variable, $0.coefficient * factor) }, constant: value)
        default:
            return IRAffine(constant: try staticBound(expr))
        }
    }

    /// A loop bound's value when it is known now (integers, dims, peeled loop variables), without diagnostics.
    func knownBound(_ expr: Expr) -> Int? {
        switch expr.kind {
        case .integer(let value): return value
        case .unary(.negate, let operand):
            guard let value = knownBound(operand) else { return nil }
            let (negated, failed) = 0.subtractingReportingOverflow(value)
            return failed ? nil : negated
        case .binary(let op, let lhs, let rhs) where op == .add || op == .subtract || op == .multiply:
            guard let a = knownBound(lhs), let b = knownBound(rhs) else { return nil }
            let (value, failed) = op == .add ? a.addingReportingOverflow(b)
                : op == .subtract ? a.subtractingReportingOverflow(b) : a.multipliedReportingOverflow(by: b)
            return failed ? nil : value
        case .name(let name):
            switch program.resolutions[expr.id] {
            case .dim(let dim)?: return dimSizes[dim]
            case .loopVariable(let span)?:
                if case .constant(let value, _)? = locals[span] { return Int(value) }
                return nil
            default:
                if let frame = loopFrames.last(where: { $0.name == name }), case .constant(let value, _) = frame.value { return Int(value) }
                return nil
            }
        default: return nil
        }
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
        var moving: [String: (coefficient: Int, range: ClosedRange<Int>)] = [:]
        var failure: LoweringFailed?
        func visit(_ expr: Expr) {
            guard failure == nil else { return }
            if case .index = expr.kind {
                do {
                    constraints += try constraintsOf(expr, name, innerRanges, moving)
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
                    // Evaluated without reporting (a bound that moves with the loop being analysed has no range yet).
                    if let low = knownBound(lower), let high = knownBound(upper), high > low, stride > 0 {
                        innerRanges[variable.name] = low...(low + (high - low - 1) / stride * stride)
                    } else if let low = boundIn(lower, name), let high = boundIn(upper, name), low.coefficient == high.coefficient,
                              high.constant > low.constant, stride > 0 {
                        // `for j in i ..< i + 256`: j is coefficient * i plus a value in the range.
                        let last = low.constant + (high.constant - low.constant - 1) / stride * stride
                        moving[variable.name] = (low.coefficient, low.constant...last)
                    }
                    walk(body.statements)
                    innerRanges[variable.name] = nil
                    moving[variable.name] = nil
                } else if case .ifStatement(_, let then, let otherwise) = statement.kind {
                    // Either branch may be taken in some iteration: both constrain the loop.
                    walk(then.statements + (otherwise?.statements ?? []))
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
    /// A loop bound as `coefficient * name + constant` (`name` the loop variable being analysed), when it is one.
    private func boundIn(_ expr: Expr, _ name: String) -> (coefficient: Int, constant: Int)? {
        if let value = knownBound(expr) { return (0, value) }
        switch expr.kind {
        case .name(let written) where written == name: return (1, 0)
        case .binary(let op, let lhs, let rhs) where op == .add || op == .subtract:
            guard let a = boundIn(lhs, name), let b = boundIn(rhs, name) else { return nil }
            let sign = op == .add ? 1 : -1
            return (a.coefficient + sign * b.coefficient, a.constant + sign * b.constant)
        case .binary(.multiply, let lhs, let rhs):
            if let factor = knownBound(lhs), let b = boundIn(rhs, name) { return (factor * b.coefficient, factor * b.constant) }
            if let factor = knownBound(rhs), let a = boundIn(lhs, name) { return (factor * a.coefficient, factor * a.constant) }
            return nil
        default: return nil
        }
    }

    private func constraintsOf(_ expr: Expr, _ name: String, _ innerRanges: [String: ClosedRange<Int>],
                               _ moving: [String: (coefficient: Int, range: ClosedRange<Int>)]) throws(LoweringFailed) -> [SliceConstraint] {
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
            // The slice start's coefficient of `name`, directly and through inner loops that move with it.
            var coefficient = item.lower.terms.first(where: { $0.key.kind == .loop && $0.key.name == name })?.value ?? 0
            for (variable, factor) in item.lower.terms where variable.kind == .loop {
                if let inner = moving[variable.name] { coefficient += factor * inner.coefficient }
            }
            guard coefficient != 0 else { continue }
            var low = item.lower.constant, high = item.lower.constant
            var known = true
            for variable in item.lower.variables where !(variable.kind == .loop && variable.name == name) {
                let c = item.lower.terms[variable] ?? 0
                let range: ClosedRange<Int>
                if variable.kind == .loop, let inner = moving[variable.name] {
                    range = inner.range
                } else if variable.kind == .dim {
                    let size = try size(.symbol(variable.name), at: expr.span)
                    range = size...size
                } else if let inner = innerRanges[variable.name] {
                    range = inner
                } else if let frame = loopFrames.last(where: { $0.name == variable.name }) {
                    range = frame.range
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
