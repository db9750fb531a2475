// AST+Walk.swift: visiting the expressions and statements of the syntax tree.

extension Expr {
    /// Calls `visit` on each direct subexpression.
    public func forEachChild(_ visit: (Expr) -> Void) {
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
            for item in items { item.forEachBound(visit) }
        }
    }
}

extension IndexItem {
    /// Calls `visit` on the item's index, or on the bounds its slice writes.
    public func forEachBound(_ visit: (Expr) -> Void) {
        switch self {
        case .index(let index): visit(index)
        case .slice(let lower, let upper, let step, _):
            if let lower { visit(lower) }
            if let upper { visit(upper) }
            if let step { visit(step) }
        }
    }
}

extension Statement {
    /// Calls `visit` on each expression of the statement (not those of a loop body).
    public func forEachExpr(_ visit: (Expr) -> Void) {
        switch kind {
        case .letBinding(_, _, let value), .assign(_, _, let value), .expression(let value): visit(value)
        case .varDecl(_, _, let initial): if let initial { visit(initial) }
        case .assignWindow(let target, _, let value):
            visit(target)
            visit(value)
        case .forLoop(_, let lower, let upper, _, _):
            visit(lower)
            visit(upper)
        case .ifStatement(let condition, _, _): visit(condition)
        case .returnValues(let values): values.forEach(visit)
        }
    }
}

extension Block {
    /// True if an expression anywhere in the block (loop bodies and branches included) satisfies `test`.
    public func containsExpr(where test: (Expr) -> Bool) -> Bool {
        // An explicit work list, not recursion: a long operator chain is a deep tree (the parser limits nesting, but
        // a left-associative chain of thousands of `+` is as deep as it is long).
        var expressions: [Expr] = []
        var blocks: [[Statement]] = [statements]
        while let block = blocks.popLast() {
            for statement in block {
                statement.forEachExpr { expressions.append($0) }
                switch statement.kind {
                case .forLoop(_, _, _, _, let body): blocks.append(body.statements)
                case .ifStatement(_, let then, let otherwise): blocks.append(then.statements + (otherwise?.statements ?? []))
                default: break
                }
            }
            while let expr = expressions.popLast() {
                if test(expr) { return true }
                expr.forEachChild { expressions.append($0) }
            }
        }
        return false
    }
}
