// Specialize.swift: monomorphisation of generic items: a copy with dtype parameters replaced by concrete dtypes.

import KilnSource

/// Rewrites every dtype name written in an item (parameter, result, `let`/`var` and tile types, `as` casts) by
/// a substitution, keeping every span so diagnostics in the copy point into the generic source. With
/// `renumber`, every expression gets a fresh id from the counter (a second copy of a helper's body must not
/// share ids, which key the checker's type table).
struct DTypeSubstitution {
    let dtypes: [String: String]
    var nextID: Int?

    func name(_ identifier: Identifier) -> Identifier {
        guard let replacement = dtypes[identifier.name] else { return identifier }
        return Identifier(replacement, span: identifier.span)
    }

    mutating func type(_ syntax: TypeSyntax) -> TypeSyntax {
        TypeSyntax(space: syntax.space, dtype: name(syntax.dtype), shape: syntax.shape.map { $0.map { expr($0) } },
                   span: syntax.span)
    }

    mutating func block(_ block: Block) -> Block {
        Block(statements: block.statements.map { statement($0) }, span: block.span)
    }

    mutating func statement(_ statement: Statement) -> Statement {
        let kind: StatementKind
        switch statement.kind {
        case .letBinding(let name, let type, let value):
            kind = .letBinding(name: name, type: type.map { self.type($0) }, value: expr(value))
        case .varDecl(let name, let type, let initial):
            kind = .varDecl(name: name, type: self.type(type), initial: initial.map { expr($0) })
        case .assign(let target, let op, let value):
            kind = .assign(target: target, op: op, value: expr(value))
        case .assignWindow(let target, let op, let value):
            kind = .assignWindow(target: expr(target), op: op, value: expr(value))
        case .forLoop(let variable, let lower, let upper, let step, let body):
            kind = .forLoop(variable: variable, lower: expr(lower), upper: expr(upper), step: step.map { expr($0) },
                            body: block(body))
        case .ifStatement(let condition, let then, let otherwise):
            kind = .ifStatement(condition: expr(condition), then: block(then), otherwise: otherwise.map { block($0) })
        case .returnValues(let values):
            kind = .returnValues(values.map { expr($0) })
        case .expression(let value):
            kind = .expression(expr(value))
        }
        return Statement(kind, span: statement.span)
    }

    mutating func argument(_ argument: Argument) -> Argument {
        Argument(label: argument.label, value: expr(argument.value))
    }

    mutating func expr(_ expr: Expr) -> Expr {
        var id = expr.id
        if let next = nextID {
            id = next
            nextID = next + 1
        }
        let kind: ExprKind
        switch expr.kind {
        case .integer, .float, .bool, .name, .error:
            kind = expr.kind
        case .unary(let op, let operand):
            kind = .unary(op, self.expr(operand))
        case .binary(let op, let lhs, let rhs):
            kind = .binary(op, self.expr(lhs), self.expr(rhs))
        case .call(let callee, let arguments):
            kind = .call(callee: callee, arguments: arguments.map { argument($0) })
        case .index(let base, let items):
            let newBase = self.expr(base)
            kind = .index(base: newBase, items: items.map { item in
                switch item {
                case .index(let e): return .index(self.expr(e))
                case .slice(let lower, let upper, let step, let span):
                    return .slice(lower: lower.map { self.expr($0) }, upper: upper.map { self.expr($0) },
                                  step: step.map { self.expr($0) }, span: span)
                }
            })
        case .member(let base, let member):
            kind = .member(base: self.expr(base), member: member)
        case .cast(let operand, let dtype):
            kind = .cast(self.expr(operand), dtype: name(dtype))
        case .tuple(let elements):
            kind = .tuple(elements.map { self.expr($0) })
        }
        return Expr(id: id, kind: kind, span: expr.span)
    }

    mutating func params(_ params: [Param]) -> [Param] {
        params.map { Param(name: $0.name, type: type($0.type), defaultValue: $0.defaultValue.map { expr($0) }, span: $0.span) }
    }
}

extension KernelDecl {
    /// The kernel with its dtype parameters replaced by `dtypes` (parameter name -> dtype name) and removed
    /// from the `<...>` list (and recorded in `dtypeBindings`); expression ids are kept.
    public func specialized(_ dtypes: [String: String]) -> KernelDecl {
        var substitution = DTypeSubstitution(dtypes: dtypes, nextID: nil)
        let params = substitution.params(params)
        let results = results.map { ResultDecl(name: $0.name, type: substitution.type($0.type), span: $0.span) }
        var kernel = KernelDecl(attributes: attributes, name: name, dims: dims, params: params, results: results,
                                body: substitution.block(body), span: span)
        kernel.dtypeBindings = dtypeParams.compactMap { param in dtypes[param.name.name].map { (param.name.name, $0) } }
        return kernel
    }
}

extension FunctionDecl {
    /// The helper with its dtype parameters replaced by `dtypes` and removed; every expression gets a fresh
    /// id from `nextID` (which advances), so several specialisations of one helper coexist in a program.
    public func specialized(_ dtypes: [String: String], nextID: inout Int) -> FunctionDecl {
        var substitution = DTypeSubstitution(dtypes: dtypes, nextID: nextID)
        let params = substitution.params(params)
        let result = substitution.type(result)
        let body = substitution.block(body)
        let attributes = attributes.map { attribute in
            Attribute(name: attribute.name, arguments: attribute.arguments.map { substitution.argument($0) },
                      span: attribute.span)
        }
        nextID = substitution.nextID ?? nextID
        return FunctionDecl(attributes: attributes, name: name, dims: dims, params: params, result: result,
                            body: body, span: span)
    }
}
