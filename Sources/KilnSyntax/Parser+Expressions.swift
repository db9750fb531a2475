// Parser+Expressions.swift: parsing of expressions by precedence climbing, one function per grammar level.

import KilnSource

extension Parser {
    /// expr = or_expr ;
    mutating func parseExpr() -> Expr {
        used(.expr)
        let start = current.span.start
        return nested { $0.parseOr() } ?? makeExpr(.error, current.span.with(start: start, end: current.span.end))
    }

    /// True when the current token may continue an expression as an infix or postfix operator:
    /// not when it starts a new line outside brackets (then it begins the next statement).
    var continuesExpression: Bool {
        groupingDepth > 0 || !current.startsLine
    }

    mutating func binary(_ op: BinaryOp, _ lhs: Expr, _ rhs: Expr) -> Expr {
        makeExpr(.binary(op, lhs, rhs), lhs.span.merged(with: rhs.span))
    }

    /// or_expr = and_expr { "||" and_expr } ;
    mutating func parseOr() -> Expr {
        var lhs = parseAnd()
        while currentKind == .orOr && continuesExpression {
            advance()
            used(.or_expr)
            lhs = binary(.or, lhs, parseAnd())
        }
        return lhs
    }

    /// and_expr = compare_expr { "&&" compare_expr } ;
    mutating func parseAnd() -> Expr {
        var lhs = parseCompare()
        while currentKind == .andAnd && continuesExpression {
            advance()
            used(.and_expr)
            lhs = binary(.and, lhs, parseCompare())
        }
        return lhs
    }

    static func comparisonOp(_ kind: TokenKind) -> BinaryOp? {
        switch kind {
        case .equal: .equal
        case .notEqual: .notEqual
        case .less: .less
        case .lessEqual: .lessEqual
        case .greater: .greater
        case .greaterEqual: .greaterEqual
        default: nil
        }
    }

    /// compare_expr = additive_expr [ compare_op additive_expr ] ;   (non-associative)
    /// compare_op = "==" | "!=" | "<" | "<=" | ">" | ">=" ;
    mutating func parseCompare() -> Expr {
        let lhs = parseAdditive()
        guard let op = Parser.comparisonOp(currentKind), continuesExpression else { return lhs }
        used(.compare_expr)
        used(.compare_op)
        advance()
        let result = binary(op, lhs, parseAdditive())
        if Parser.comparisonOp(currentKind) != nil && continuesExpression {
            error(DiagnosticCatalogue.chainedComparison(at: current.span))
        }
        return result
    }

    /// additive_expr = multiplicative_expr { ( "+" | "-" ) multiplicative_expr } ;
    mutating func parseAdditive() -> Expr {
        var lhs = parseMultiplicative()
        while continuesExpression {
            let op: BinaryOp
            switch currentKind {
            case .plus: op = .add
            case .minus: op = .subtract
            default: return lhs
            }
            advance()
            used(.additive_expr)
            lhs = binary(op, lhs, parseMultiplicative())
        }
        return lhs
    }

    /// multiplicative_expr = cast_expr { ( "*" | "/" | "%" | "@" ) cast_expr } ;
    mutating func parseMultiplicative() -> Expr {
        var lhs = parseCast()
        while continuesExpression {
            let op: BinaryOp
            switch currentKind {
            case .star: op = .multiply
            case .slash: op = .divide
            case .percent: op = .remainder
            case .at: op = .matmul
            default: return lhs
            }
            advance()
            used(.multiplicative_expr)
            lhs = binary(op, lhs, parseCast())
        }
        return lhs
    }

    /// cast_expr = unary_expr { "as" IDENT } ;
    mutating func parseCast() -> Expr {
        var value = parseUnary()
        while currentKind == .keyword(.as) && continuesExpression {
            used(.cast_expr)
            advance()
            guard let dtype = expectIdentifier("a dtype after 'as'") else { return makeExpr(.error, value.span) }
            value = makeExpr(.cast(value, dtype: dtype), value.span.merged(with: dtype.span))
        }
        return value
    }

    /// unary_expr = ( "-" | "!" ) unary_expr | postfix_expr ;
    mutating func parseUnary() -> Expr {
        let start = current.span.start
        let op: UnaryOp
        switch currentKind {
        case .minus: op = .negate
        case .bang: op = .not
        default: return parsePostfix()
        }
        used(.unary_expr)
        advance()
        guard let operand = nested({ $0.parseUnary() }) else {
            return makeExpr(.error, span(from: start))
        }
        return makeExpr(.unary(op, operand), span(from: start))
    }

    /// postfix_expr = primary { call_suffix | index_suffix | member_suffix } ;
    mutating func parsePostfix() -> Expr {
        var base = parsePrimary()
        while continuesExpression {
            switch currentKind {
            case .leftParen:
                guard case .name(let name) = base.kind else {
                    error(DiagnosticCatalogue.expected("a function name before '('", found: "an expression", at: current.span))
                    return makeExpr(.error, base.span)
                }
                used(.postfix_expr)
                used(.call_suffix)
                let arguments = parseArgumentList(requireLabels: false)
                let callee = Identifier(name, span: base.span)
                base = makeExpr(.call(callee: callee, arguments: arguments), span(from: base.span.start))
            case .leftBracket:
                used(.postfix_expr)
                used(.index_suffix)
                let items = parseIndexSuffix()
                base = makeExpr(.index(base: base, items: items), span(from: base.span.start))
            case .dot:
                used(.postfix_expr)
                used(.member_suffix)
                advance()
                guard let member = expectIdentifier("a member name after '.', such as 'T'") else {
                    return makeExpr(.error, base.span)
                }
                base = makeExpr(.member(base: base, member: member), span(from: base.span.start))
            default:
                return base
            }
        }
        return base
    }

    /// call_suffix = "(" [ argument { "," argument } [ "," ] ] ")" ;
    /// argument = [ IDENT ":" ] expr ;
    mutating func parseArgumentList(requireLabels: Bool) -> [Argument] {
        let open = advance()
        groupingDepth += 1
        defer { groupingDepth -= 1 }
        var arguments: [Argument] = []
        while currentKind != .rightParen && !atEnd {
            var label: Identifier?
            if currentKind == .identifier && peekKind() == .colon {
                let token = advance()
                label = Identifier(text(of: token), span: token.span)
                advance()
            } else if requireLabels {
                error(DiagnosticCatalogue.expected("a labelled argument such as 'tile_n: 512'", found: describeCurrent(),
                                                   at: current.span))
                break
            }
            used(label != nil && requireLabels ? .attribute_arg : .argument)
            arguments.append(Argument(label: label, value: parseExpr()))
            if accept(.comma) == nil { break }
        }
        if panicking { skipToClose(.rightParen); return arguments }
        closeGroup(.rightParen, "(", ")", openedAt: open.span)
        return arguments
    }

    /// index_suffix = "[" index_item { "," index_item } "]" ;
    /// index_item = slice | expr ;   slice = [ expr ] ":" [ expr ] [ slice_step ] ;   slice_step = ":" expr ;
    mutating func parseIndexSuffix() -> [IndexItem] {
        let open = advance()
        groupingDepth += 1
        defer { groupingDepth -= 1 }
        var items: [IndexItem] = []
        repeat {
            used(.index_item)
            let start = current.span.start
            var lower: Expr?
            if currentKind != .colon { lower = parseExpr() }
            if accept(.colon) != nil {
                used(.slice)
                var upper: Expr?
                if currentKind != .comma && currentKind != .rightBracket && currentKind != .colon { upper = parseExpr() }
                var step: Expr?
                if accept(.colon) != nil {
                    used(.slice_step)
                    step = parseExpr()
                }
                items.append(.slice(lower: lower, upper: upper, step: step, span: span(from: start)))
            } else if let lower {
                items.append(.index(lower))
            }
        } while accept(.comma) != nil && !panicking
        if panicking { skipToClose(.rightBracket); return items }
        closeGroup(.rightBracket, "[", "]", openedAt: open.span)
        return items
    }

    /// primary = INT | FLOAT | "true" | "false" | IDENT | "(" expr { "," expr } [ "," ] ")" ;
    mutating func parsePrimary() -> Expr {
        used(.primary)
        let token = current
        switch token.kind {
        case .integer:
            advance()
            return makeExpr(.integer(token.integerValue), token.span)
        case .float:
            advance()
            return makeExpr(.float(token.floatValue), token.span)
        case .invalid:
            advance()
            return makeExpr(.error, token.span)
        case .keyword(.true), .keyword(.false):
            advance()
            return makeExpr(.bool(token.kind == .keyword(.true)), token.span)
        case .identifier:
            advance()
            return makeExpr(.name(text(of: token)), token.span)
        case .leftParen:
            advance()
            groupingDepth += 1
            let inner = parseExpr()
            // A comma makes a tuple: `(2, 3)`, `(2,)`.
            var items: [Expr]? = nil
            while !panicking, accept(.comma) != nil {
                items = (items ?? [inner])
                if currentKind == .rightParen { break }
                items?.append(parseExpr())
            }
            groupingDepth -= 1
            if panicking { skipToClose(.rightParen) } else {
                closeGroup(.rightParen, "(", ")", openedAt: token.span)
            }
            if let items { return makeExpr(.tuple(items), span(from: token.span.start)) }
            var grouped = inner
            grouped.span = span(from: token.span.start)
            return grouped
        default:
            error(DiagnosticCatalogue.expectedExpression(found: describeCurrent(), at: token.span))
            return makeExpr(.error, token.span)
        }
    }
}
