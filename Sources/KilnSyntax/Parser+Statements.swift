// Parser+Statements.swift: parsing of blocks and statements.

import KilnSource

extension Parser {
    /// block = "{" { statement } "}" ;
    mutating func parseBlock() -> Block {
        used(.block)
        let open = advance()
        var statements: [Statement] = []
        let parsed: Void? = nested { parser in
            while parser.currentKind != .rightBrace && !parser.atEnd {
                let before = parser.index
                if let statement = parser.parseStatement() {
                    statements.append(statement)
                }
                if parser.panicking || parser.index == before {
                    if parser.index == before, parser.currentKind != .rightBrace { parser.advance() }
                    parser.synchronizeStatement()
                }
            }
        }
        if parsed == nil {
            // Too deep: skip the rest of this block, balanced, so the outer levels stay in step.
            var nesting = 0
            while !atEnd {
                if currentKind == .leftBrace { nesting += 1 }
                if currentKind == .rightBrace {
                    if nesting == 0 { break }
                    nesting -= 1
                }
                advance()
            }
        }
        if accept(.rightBrace) == nil {
            panicking = false
            error(DiagnosticCatalogue.unclosedDelimiter("{", expectedClose: "}", found: describeCurrent(),
                                                        at: current.span, openedAt: open.span))
        }
        return Block(statements: statements, span: span(from: open.span.start))
    }

    /// statement = ( let_stmt | var_stmt | for_stmt | if_stmt | return_stmt | assign_stmt | expr_stmt ) [ ";" ] ;
    mutating func parseStatement() -> Statement? {
        used(.statement)
        let start = current.span.start
        let kind: StatementKind?
        switch currentKind {
        case .keyword(.let): kind = parseLet()
        case .keyword(.var): kind = parseVar()
        case .keyword(.for): kind = parseFor()
        case .keyword(.if): kind = parseIf()
        case .keyword(.else) where !current.followsLexicalError:
            error(DiagnosticCatalogue.expected("a statement ('else' follows the block of an 'if')", found: "'else'", at: current.span))
            return nil
        case .keyword(.return): kind = parseReturn()
        case .identifier where peekKind() == .assign || peekKind() == .plusAssign:
            kind = parseAssign()
        case .identifier where text(of: current) == "while" && !current.followsLexicalError:
            // Not in the language: one error for the whole construct (recovery skips its braces), not an
            // undefined name followed by errors about the tokens after it.
            error(DiagnosticCatalogue.unsupportedControlFlow(text(of: current), at: current.span))
            return nil
        case .semicolon:
            advance()
            return nil
        default:
            if (currentKind == .minus || currentKind == .plus) && current.startsLine {
                diagnostics.report(DiagnosticCatalogue.operatorOnNewLine(text(of: current), at: current.span))
            }
            let expr = parseExpr()
            if currentKind == .assign || currentKind == .plusAssign {
                guard case .index(let base, _) = expr.kind, case .name = base.kind else {
                    error(DiagnosticCatalogue.invalidAssignmentTarget(at: expr.span))
                    return nil
                }
                kind = parseWindowAssign(expr)
                break
            }
            used(.expr_stmt)
            kind = .expression(expr)
        }
        guard let kind else { return nil }
        let statement = Statement(kind, span: span(from: start))
        endStatement()
        return statement
    }

    /// After a statement: `;`, a token on a new line, `}` or end of file; anything else is an error.
    mutating func endStatement() {
        if panicking { return }
        if accept(.semicolon) != nil { return }
        if currentKind == .rightBrace || atEnd || current.startsLine { return }
        error(DiagnosticCatalogue.unexpectedTokenAfterStatement(found: describeCurrent(), at: current.span))
    }

    /// let_stmt = "let" IDENT [ ":" type ] "=" expr ;
    mutating func parseLet() -> StatementKind? {
        used(.let_stmt)
        advance()
        guard let name = expectIdentifier("a name after 'let'") else { return nil }
        var type: TypeSyntax?
        if accept(.colon) != nil {
            guard let parsed = parseType() else { return nil }
            type = parsed
        }
        guard expect(.assign, "'=' and a value for '\(name.name)'") != nil else { return nil }
        return .letBinding(name: name, type: type, value: parseExpr())
    }

    /// var_stmt = "var" IDENT ":" type [ "=" expr ] ;
    mutating func parseVar() -> StatementKind? {
        used(.var_stmt)
        advance()
        guard let name = expectIdentifier("a name after 'var'") else { return nil }
        guard expect(.colon, "':' and the tile type of '\(name.name)', e.g. 'sbuf f32[128, 512]'") != nil,
              let type = parseType() else { return nil }
        var initial: Expr?
        if accept(.assign) != nil { initial = parseExpr() }
        return .varDecl(name: name, type: type, initial: initial)
    }

    /// for_stmt = "for" IDENT "in" expr "..<" expr [ "step" expr ] block ;
    mutating func parseFor() -> StatementKind? {
        used(.for_stmt)
        advance()
        guard let variable = expectIdentifier("a loop variable after 'for'") else { return nil }
        guard expect(.keyword(.in), "'in' after the loop variable") != nil else { return nil }
        let lower = parseExpr()
        guard expect(.rangeUpTo, "'..<' in the loop range") != nil else { return nil }
        let upper = parseExpr()
        var step: Expr?
        if accept(.keyword(.step)) != nil { step = parseExpr() }
        guard currentKind == .leftBrace else {
            error(DiagnosticCatalogue.expected("'{' to begin the loop body", found: describeCurrent(), at: current.span))
            return nil
        }
        let body = parseBlock()
        return .forLoop(variable: variable, lower: lower, upper: upper, step: step, body: body)
    }

    /// if_stmt = "if" expr block [ "else" ( if_stmt | block ) ] ;
    mutating func parseIf() -> StatementKind? {
        used(.if_stmt)
        advance()
        let condition = parseExpr()
        guard currentKind == .leftBrace else {
            error(DiagnosticCatalogue.expected("'{' to begin the body of the 'if'", found: describeCurrent(), at: current.span))
            return nil
        }
        let then = parseBlock()
        guard accept(.keyword(.else)) != nil else { return .ifStatement(condition: condition, then: then, otherwise: nil) }
        if currentKind == .keyword(.if) {
            // An `else if` chain nests one level per link, within the parser's depth limit (K1105).
            let start = current.span.start
            guard let parsed = nested({ parser in parser.parseIf() }), let nested = parsed else { return nil }
            let statement = Statement(nested, span: span(from: start))
            return .ifStatement(condition: condition, then: then,
                                otherwise: Block(statements: [statement], span: statement.span))
        }
        guard currentKind == .leftBrace else {
            error(DiagnosticCatalogue.expected("'{' or 'if' after 'else'", found: describeCurrent(), at: current.span))
            return nil
        }
        return .ifStatement(condition: condition, then: then, otherwise: parseBlock())
    }

    /// return_stmt = "return" expr { "," expr } ;
    mutating func parseReturn() -> StatementKind? {
        used(.return_stmt)
        let keyword = advance()
        // A bare `return` (nothing after it on the line) parses; the checker reports the missing values.
        if currentKind == .rightBrace || atEnd || (current.startsLine && current.span.start > keyword.span.end)
            || currentKind == .semicolon {
            return .returnValues([])
        }
        var values = [parseExpr()]
        while accept(.comma) != nil { values.append(parseExpr()) }
        return .returnValues(values)
    }

    /// assign_stmt = IDENT [ index_suffix ] assign_op expr ;   (the form with `index_suffix`, after it was parsed
    /// as an expression: a window of a tile buffer)
    mutating func parseWindowAssign(_ target: Expr) -> StatementKind? {
        used(.assign_stmt)
        used(.assign_op)
        let op: AssignOp = advance().kind == .plusAssign ? .accumulate : .assign
        return .assignWindow(target: target, op: op, value: parseExpr())
    }

    /// assign_stmt = IDENT [ index_suffix ] assign_op expr ;   assign_op = "=" | "+=" ;
    mutating func parseAssign() -> StatementKind? {
        used(.assign_stmt)
        used(.assign_op)
        let target = advance()
        let op: AssignOp = advance().kind == .plusAssign ? .accumulate : .assign
        return .assign(target: Identifier(text(of: target), span: target.span), op: op, value: parseExpr())
    }
}
