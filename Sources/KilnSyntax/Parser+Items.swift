// Parser+Items.swift: parsing of top-level items: kernels, helper functions, attributes, params, types.

import KilnSource

extension Parser {
    /// file = { item } ;
    mutating func parseFile() -> SourceFileSyntax {
        used(.file)
        var items: [Item] = []
        while !atEnd {
            let before = index
            if let item = parseItem() {
                items.append(item)
            }
            if panicking || index == before {
                if index == before { advance() }
                synchronizeItem()
            }
        }
        return SourceFileSyntax(items: items, expressionCount: nextExpressionID)
    }

    /// item = { attribute } ( kernel_decl | function_decl ) ;
    mutating func parseItem() -> Item? {
        used(.item)
        var attributes: [Attribute] = []
        while currentKind == .at {
            attributes.append(parseAttribute())
            if panicking { return nil }
        }
        switch currentKind {
        case .keyword(.kernel): return parseKernel(attributes: attributes).map(Item.kernel)
        case .keyword(.fn): return parseFunction(attributes: attributes).map(Item.function)
        default:
            error(DiagnosticCatalogue.expectedItem(found: describeCurrent(), at: current.span))
            return nil
        }
    }

    /// attribute = "@" IDENT [ "(" [ attribute_arg { "," attribute_arg } ] ")" ] ;
    /// attribute_arg = IDENT ":" expr ;
    mutating func parseAttribute() -> Attribute {
        used(.attribute)
        let start = advance().span.start
        let name = expectIdentifier("an attribute name after '@'") ?? Identifier("", span: current.span)
        var arguments: [Argument] = []
        if currentKind == .leftParen {
            arguments = parseArgumentList(requireLabels: true)
        }
        return Attribute(name: name, arguments: arguments, span: span(from: start))
    }

    /// kernel_decl = "kernel" IDENT [ dim_list ] "(" [ param_list ] ")" "->" result_spec block ;
    mutating func parseKernel(attributes: [Attribute]) -> KernelDecl? {
        used(.kernel_decl)
        let start = attributes.first?.span.start ?? current.span.start
        advance()
        guard let name = expectIdentifier("a kernel name after 'kernel'") else { return nil }
        let (dims, dtypeParams) = currentKind == .less ? parseDimList() : ([], [])
        let params = parseParamList()
        var results: [ResultDecl] = []
        if expect(.arrow, "'->' and the kernel's result type") != nil || resultSpecFollows {
            // With the arrow missing but a result type present, parse it anyway (silently), so the
            // checker sees the real results instead of reporting a wrong count.
            results = parseResultSpec()
        }
        if currentKind != .leftBrace {
            error(DiagnosticCatalogue.expected("'{' to begin the kernel body", found: describeCurrent(), at: current.span))
        }
        guard skipToBody() else { return nil }
        let body = parseBlock()
        return KernelDecl(attributes: attributes, name: name, dims: dims, params: params, results: results,
                          body: body, span: span(from: start), dtypeParams: dtypeParams)
    }

    /// function_decl = "fn" IDENT [ dim_list ] "(" [ param_list ] ")" "->" type block ;
    mutating func parseFunction(attributes: [Attribute]) -> FunctionDecl? {
        used(.function_decl)
        let start = attributes.first?.span.start ?? current.span.start
        advance()
        guard let name = expectIdentifier("a function name after 'fn'") else { return nil }
        let (dims, dtypeParams) = currentKind == .less ? parseDimList() : ([], [])
        let params = parseParamList()
        var result: TypeSyntax?
        if expect(.arrow, "'->' and the function's result type") != nil || resultSpecFollows {
            result = parseType()
        }
        if currentKind != .leftBrace {
            error(DiagnosticCatalogue.expected("'{' to begin the function body", found: describeCurrent(), at: current.span))
        }
        guard skipToBody() else { return nil }
        let body = parseBlock()
        guard let result else { return nil }
        return FunctionDecl(attributes: attributes, name: name, dims: dims, params: params, result: result,
                            body: body, span: span(from: start), dtypeParams: dtypeParams)
    }

    /// dim_list = "<" ( dim_decl | dtype_decl ) { "," ( dim_decl | dtype_decl ) } ">" ;
    /// dim_decl = IDENT [ "=" INT ] ;
    /// dtype_decl = IDENT ":" IDENT [ "=" IDENT ] ;
    mutating func parseDimList() -> ([DimDecl], [DTypeParamDecl]) {
        used(.dim_list)
        advance()
        var dims: [DimDecl] = []
        var dtypeParams: [DTypeParamDecl] = []
        repeat {
            let start = current.span.start
            guard let name = expectIdentifier("a dim name") else { break }
            if accept(.colon) != nil {
                let bound = expectIdentifier("a dtype bound such as 'float' after ':'")
                var defaultDType: Identifier?
                var complete = bound != nil
                if complete, accept(.assign) != nil {
                    defaultDType = expectIdentifier("a default dtype such as bf16")
                    complete = defaultDType != nil
                }
                // A malformed one is still declared (bound `float` if none was read), so its uses are not
                // reported again as unknown dtypes.
                dtypeParams.append(DTypeParamDecl(name: name, bound: bound ?? Identifier("float", span: name.span),
                                                  defaultDType: defaultDType, span: span(from: start)))
                guard complete else { break }
                used(.dtype_decl)
                continue
            }
            var size: Int?
            if accept(.assign) != nil {
                if currentKind == .integer {
                    size = advance().integerValue
                } else if currentKind == .invalid {
                    advance()
                } else {
                    error(DiagnosticCatalogue.expected("an integer default size", found: describeCurrent(), at: current.span))
                }
            }
            used(.dim_decl)
            dims.append(DimDecl(name: name, defaultSize: size, span: span(from: start)))
        } while accept(.comma) != nil
        expect(.greater, "',' or '>' to close the dim list")
        return (dims, dtypeParams)
    }

    /// param_list = param { "," param } [ "," ] ;   (between parentheses)
    /// param = IDENT ":" type [ "=" expr ] ;
    mutating func parseParamList() -> [Param] {
        guard let open = expect(.leftParen, "'(' to begin the parameter list") else { return [] }
        groupingDepth += 1
        defer { groupingDepth -= 1 }
        if currentKind != .rightParen { used(.param_list) }
        var params: [Param] = []
        while currentKind != .rightParen && !atEnd {
            let start = current.span.start
            guard let name = expectIdentifier("a parameter name") else { break }
            guard expect(.colon, "':' and the type of parameter '\(name.name)'") != nil else { break }
            guard let type = parseType() else { break }
            var defaultValue: Expr?
            if accept(.assign) != nil { defaultValue = parseExpr() }
            used(.param)
            params.append(Param(name: name, type: type, defaultValue: defaultValue, span: span(from: start)))
            if accept(.comma) == nil { break }
        }
        if panicking { skipToClose(.rightParen); return params }
        closeGroup(.rightParen, "(", ")", openedAt: open.span)
        return params
    }

    /// result_spec = type | "(" named_result { "," named_result } [ "," ] ")" ;
    /// named_result = IDENT ":" type ;
    mutating func parseResultSpec() -> [ResultDecl] {
        used(.result_spec)
        guard let open = accept(.leftParen) else {
            guard let type = parseType() else { return [] }
            return [ResultDecl(name: nil, type: type, span: type.span)]
        }
        groupingDepth += 1
        defer { groupingDepth -= 1 }
        var results: [ResultDecl] = []
        while currentKind != .rightParen && !atEnd {
            let start = current.span.start
            guard let name = expectIdentifier("a result name") else { break }
            guard expect(.colon, "':' and the type of result '\(name.name)'") != nil else { break }
            guard let type = parseType() else { break }
            used(.named_result)
            results.append(ResultDecl(name: name, type: type, span: span(from: start)))
            if accept(.comma) == nil { break }
        }
        if results.isEmpty && !panicking {
            error(DiagnosticCatalogue.expected("at least one named result", found: describeCurrent(), at: current.span))
        }
        closeGroup(.rightParen, "(", ")", openedAt: open.span)
        return results
    }

    /// type = [ memory_space ] IDENT [ shape ] ;
    /// memory_space = "hbm" | "sbuf" | "psum" ;
    /// shape = "[" [ dim_expr { "," dim_expr } ] "]" ;   dim_expr = expr ;
    mutating func parseType() -> TypeSyntax? {
        used(.type)
        let start = current.span.start
        var space: MemorySpaceSyntax?
        switch currentKind {
        case .keyword(.hbm): space = .hbm; advance()
        case .keyword(.sbuf): space = .sbuf; advance()
        case .keyword(.psum): space = .psum; advance()
        default: break
        }
        if space != nil { used(.memory_space) }
        guard let dtype = expectIdentifier("a dtype such as f32 or bf16") else { return nil }
        var shape: [Expr]?
        if let open = accept(.leftBracket) {
            used(.shape)
            groupingDepth += 1
            defer { groupingDepth -= 1 }
            var dims: [Expr] = []
            while currentKind != .rightBracket && !atEnd {
                used(.dim_expr)
                dims.append(parseExpr())
                if accept(.comma) == nil { break }
            }
            closeGroup(.rightBracket, "[", "]", openedAt: open.span)
            shape = dims
        }
        return TypeSyntax(space: space, dtype: dtype, shape: shape, span: span(from: start))
    }

    /// True when the current token can begin a result type (after a missing `->`).
    var resultSpecFollows: Bool {
        switch currentKind {
        case .identifier, .keyword(.hbm), .keyword(.sbuf), .keyword(.psum), .leftParen: true
        default: false
        }
    }

    /// After an error in an item's header, skips to the `{` that opens its body (stopping at the next item),
    /// leaving panic mode so the body's own errors are reported too. Returns false if no body follows.
    mutating func skipToBody() -> Bool {
        while !atEnd && currentKind != .leftBrace {
            if current.startsLine, currentKind == .keyword(.kernel) || currentKind == .keyword(.fn) || currentKind == .at {
                return false
            }
            advance()
        }
        guard currentKind == .leftBrace else { return false }
        panicking = false
        return true
    }

    /// After an error inside a bracketed list, skips to its closing delimiter (balanced), stopping at a `{`
    /// or at a token that starts an item.
    mutating func skipToClose(_ close: TokenKind) {
        guard panicking else { return }
        var nesting = 0
        while !atEnd {
            switch currentKind {
            case .leftParen, .leftBracket: nesting += 1
            case .rightParen, .rightBracket:
                if nesting == 0 {
                    if currentKind == close { advance(); panicking = false }
                    return
                }
                nesting -= 1
            case .leftBrace, .rightBrace, .arrow: return
            case .keyword(.kernel), .keyword(.fn): if current.startsLine { return }
            default: break
            }
            advance()
        }
    }

    /// Consumes the closing delimiter of a group or reports it missing, pointing at the opener.
    mutating func closeGroup(_ close: TokenKind, _ open: String, _ closeText: String, openedAt: SourceSpan) {
        if accept(close) != nil { return }
        error(DiagnosticCatalogue.unclosedDelimiter(open, expectedClose: closeText, found: describeCurrent(),
                                                    at: current.span, openedAt: openedAt))
    }
}
