// Parser+Ops.swift: the tile IR parser's operation rules, one per opcode.

import KilnMachine
import KilnSource

extension TileIRParser {
    /// Every opcode, for "did you mean" suggestions.
    static let opcodes: [String] = ["constant", "broadcast", "reduce", "matmul", "transpose", "permute", "reshape", "select", "cast", "call",
        "for", "alloc", "view", "hbm.alloc", "sync.signal", "sync.wait", "return"] + EngineOp.allCases.map(\.mnemonic) + UnaryFunction.allCases.map(\.rawValue) + BinaryOperator.allCases.map(\.rawValue)

    /// op := (VALUE '=')? opcode operands-and-attributes (':' type)? ('group' INT)? loc?
    mutating func parseOperation() throws(Recover) -> Operation {
        let start = current.span
        var resultName: (name: String, span: SourceSpan)?
        if case .value(let name) = current.kind, index + 1 < tokens.count, tokens[index + 1].kind == .punct("=") {
            resultName = (name, current.span)
            advance()
            advance()
        }
        let (opcode, opcodeSpan) = try expectAnyWord("an operation")
        let (kind, resultType) = try parseOperationBody(opcode, at: opcodeSpan)
        var result: ValueDef?
        switch (resultType, resultName) {
        case (let type?, let name?): result = try define(name.name, type: type, at: name.span)
        case (.some, nil):
            throw fail(DiagnosticCatalogue.tileIRExpected("a result name '%name =' before '\(opcode)'", found: "'\(opcode)'",
                                                          at: opcodeSpan))
        case (nil, let name?):
            throw fail(DiagnosticCatalogue.tileIRExpected("'\(opcode)' without a result ('\(opcode)' defines no value)",
                                                          found: "'%\(name.name) ='", at: name.span))
        case (nil, nil): break
        }
        var fusionGroup: Int?
        if !current.startsLine, acceptWord("group") {
            // fusion-group := 'group' INT   (a non-negative group number, written by `fuse`)
            let groupSpan = current.span
            let group = try parseInteger("a fusion group number")
            guard group >= 0 else {
                throw fail(DiagnosticCatalogue.tileIRBadNumber(String(group), "fusion groups are non-negative", at: groupSpan))
            }
            fusionGroup = group
        }
        var finalKind = kind
        if case .forLoop(var loop) = kind {
            loop.body = try parseLoopBody()
            finalKind = .forLoop(loop)
        }
        let end = tokens[max(0, index - 1)].span.end
        let span = try parseLocation()
        return Operation(finalKind, result: result, span: span, textSpan: start.with(start: start.start, end: end),
                         fusionGroup: fusionGroup)
    }

    /// The loop body, with a limit on nesting so hostile input cannot exhaust the stack.
    mutating func parseLoopBody() throws(Recover) -> Block {
        guard loopDepth < TileIRParser.maxLoopDepth else {
            throw fail(DiagnosticCatalogue.tileIRNestingTooDeep(limit: TileIRParser.maxLoopDepth, at: current.span))
        }
        loopDepth += 1
        defer { loopDepth -= 1 }
        return try parseBlock()
    }

    /// The op after its opcode; returns the kind and the result type for ops that define a value.
    mutating func parseOperationBody(_ opcode: String, at span: SourceSpan) throws(Recover) -> (OpKind, IRType?) {
        if let function = UnaryFunction(rawValue: opcode) {
            // unary := FUNCTION VALUE ':' type
            let a = try parseValue()
            return (.unary(function, a), try parseResultType())
        }
        if let op = BinaryOperator(rawValue: opcode) {
            // binary := OPERATOR VALUE ',' VALUE ':' type
            let a = try parseValue()
            try expectPunct(",")
            let b = try parseValue()
            return (.binary(op, a, b), try parseResultType())
        }
        switch opcode {
        case "constant":
            // constant := 'constant' number ':' type
            let value = try parseNumber()
            return (.constant(value), try parseResultType())
        case "scan":
            // scan := 'scan' VALUE ',' VALUE 'axis' INT ':' type
            let a = try parseValue()
            try expectPunct(",")
            let b = try parseValue()
            try expectWord("axis")
            let axis = try parseInteger("an axis")
            return (.scan(a, b, axis: axis), try parseResultType())
        case "slice":
            // slice := 'slice' VALUE '[' integer (',' integer)* ']' [ 'step' '[' integer (',' integer)* ']' ] ':' type
            let a = try parseValue()
            let offsets = try parseIntegerList("an offset")
            let strides = acceptWord("step") ? try parseIntegerList("a step") : Array(repeating: 1, count: offsets.count)
            return (.slice(a, offsets: offsets, strides: strides), try parseResultType())
        case "permute":
            // permute := 'permute' VALUE 'perm' '[' integer (',' integer)* ']' ':' type
            let a = try parseValue()
            try expectWord("perm")
            return (.permute(a, perm: try parseIntegerList("an axis")), try parseResultType())
        case "reshape":
            // reshape := 'reshape' VALUE ':' type
            let a = try parseValue()
            return (.reshape(a), try parseResultType())
        case "concat":
            // concat := 'concat' VALUE (',' VALUE)* 'axis' INT ':' type
            var operands = [try parseValue()]
            while acceptPunct(",") { operands.append(try parseValue()) }
            try expectWord("axis")
            let axis = try parseInteger("an axis")
            return (.concat(operands, axis: axis), try parseResultType())
        case "iota":
            // iota := 'iota' 'axis' INT ':' type
            try expectWord("axis")
            let axis = try parseInteger("an axis")
            return (.iota(axis: axis), try parseResultType())
        case "broadcast", "transpose", "cast":
            // broadcast := 'broadcast' VALUE ':' type   (also transpose, cast)
            let a = try parseValue()
            let kind: OpKind = opcode == "broadcast" ? .broadcast(a) : opcode == "transpose" ? .transpose(a) : .cast(a)
            return (kind, try parseResultType())
        case "reduce":
            // reduce := 'reduce' KIND VALUE 'axis' INT ':' type
            let kind = try parseName(ReduceKind.self, "reduction")
            let a = try parseValue()
            try expectWord("axis")
            let axis = try parseInteger("an axis")
            return (.reduce(kind, a, axis: axis), try parseResultType())
        case "scatter_add":
            // scatter_add := 'scatter_add' VALUE ',' VALUE ',' VALUE ':' type
            let table = try parseValue()
            try expectPunct(",")
            let ids = try parseValue()
            try expectPunct(",")
            let values = try parseValue()
            return (.scatterAdd(table, ids, values), try parseResultType())
        case "topk", "argtopk":
            // topk := ('topk' | 'argtopk') VALUE 'k' integer ':' type
            let a = try parseValue()
            try expectWord("k")
            return (.topk(a, k: try parseInteger("k"), indices: opcode == "argtopk"), try parseResultType())
        case "gather":
            // gather := 'gather' VALUE ',' VALUE ':' type
            let table = try parseValue()
            try expectPunct(",")
            let indices = try parseValue()
            return (.gather(table, indices), try parseResultType())
        case "matmul":
            // matmul := 'matmul' VALUE ',' VALUE ':' type
            let a = try parseValue()
            try expectPunct(",")
            let b = try parseValue()
            return (.matmul(a, b), try parseResultType())
        case "select":
            // select := 'select' VALUE ',' VALUE ',' VALUE ':' type
            let (c, a, b) = try parseThreeValues()
            return (.select(c, a, b), try parseResultType())
        case "call":
            // call := 'call' SYMBOL '(' (VALUE (',' VALUE)*)? ')' ':' type
            guard case .symbol(let callee) = current.kind else { throw failExpected("a function name '@name'") }
            advance()
            try expectPunct("(")
            var arguments: [ValueID] = []
            if !acceptPunct(")") {
                repeat { arguments.append(try parseValue()) } while acceptPunct(",")
                try expectPunct(")")
            }
            return (.call(callee, arguments), try parseResultType())
        case "for":
            // for := 'for' VALUE '=' integer 'to' integer ('step' integer)? block
            guard case .value(let name) = current.kind else { throw failExpected("an induction variable '%name'") }
            let nameSpan = current.span
            advance()
            try expectPunct("=")
            let lower = try parseInteger("a lower bound")
            try expectWord("to")
            let upper = try parseInteger("an upper bound")
            let step = acceptWord("step") ? try parseInteger("a step") : 1
            let variable = try define(name, type: .index, at: nameSpan)
            return (.forLoop(ForLoop(inductionVariable: variable, lowerBound: lower, upperBound: upper, step: step)), nil)
        case "alloc":
            // alloc := 'alloc' tile-type ('at' 'partition' integer 'offset' integer)?
            let typeSpan = current.span
            guard case .tile(let tile) = try parseType() else {
                throw fail(DiagnosticCatalogue.tileIRExpected("a tile type 'sbuf T[P | F]' or 'psum T[P | F]'",
                                                              found: "another type", at: typeSpan))
            }
            var placement: TilePlacement?
            if acceptWord("at") {
                try expectWord("partition")
                let partition = try parseInteger("a partition")
                try expectWord("offset")
                placement = TilePlacement(partition: partition, offset: try parseInteger("a byte offset"))
            }
            return (.alloc(tile, placement), .tile(tile))
        case "view":
            // view := 'view' VALUE 'offset' INT ':' tile-type
            let base = try parseValue()
            try expectWord("offset")
            let offset = try parseInteger("an element offset")
            return (.view(base, offset: offset), try parseResultType())
        case "hbm.alloc":
            // hbm-alloc := 'hbm.alloc' 'hbm'? ELEMENT '[' INT (',' INT)* ']'
            let typeSpan = current.span
            switch try parseType() {
            case .tensor(let tensor), .hbm(let tensor): return (.hbmAlloc(tensor), .hbm(tensor))
            default:
                throw fail(DiagnosticCatalogue.tileIRExpected("a tensor type 'T[D0, D1]'", found: "another type", at: typeSpan))
            }
        case "sync.signal":
            // sync.signal := 'sync.signal' 'sem' INT 'on' ENGINE ('queue' INT)?
            try expectWord("sem")
            let semaphore = try parseInteger("a semaphore number")
            try expectWord("on")
            let engine = try parseName(Engine.self, "engine")
            let queue = acceptWord("queue") ? try parseInteger("a queue number") : nil
            return (.syncSignal(semaphore: semaphore, engine: engine, queue: queue), nil)
        case "sync.wait":
            // sync.wait := 'sync.wait' 'sem' INT '>=' INT 'on' ENGINE ('queue' INT)?
            try expectWord("sem")
            let semaphore = try parseInteger("a semaphore number")
            try expectPunct(">=")
            let count = try parseInteger("a semaphore count")
            try expectWord("on")
            let engine = try parseName(Engine.self, "engine")
            let queue = acceptWord("queue") ? try parseInteger("a queue number") : nil
            return (.syncWait(semaphore: semaphore, atLeast: count, engine: engine, queue: queue), nil)
        case "return":
            // return := 'return' (VALUE (',' VALUE)*)?   (operands on the same line)
            var values: [ValueID] = []
            if case .value = current.kind, !current.startsLine {
                repeat { values.append(try parseValue()) } while acceptPunct(",")
            }
            return (.ret(values), nil)
        default:
            if let op = EngineOp(mnemonic: opcode) { return (try parseEngineInstruction(op), nil) }
            let suggestions = NameSuggestions.closeMatches(to: opcode, in: TileIRParser.opcodes)
            throw fail(DiagnosticCatalogue.tileIRUnknownOpcode(opcode, suggestions: suggestions, at: span))
        }
    }

    /// ':' type
    mutating func parseResultType() throws(Recover) -> IRType {
        try expectPunct(":")
        return try parseType()
    }

    /// VALUE ',' VALUE ',' VALUE
    mutating func parseThreeValues() throws(Recover) -> (ValueID, ValueID, ValueID) {
        let a = try parseValue()
        try expectPunct(",")
        let b = try parseValue()
        try expectPunct(",")
        return (a, b, try parseValue())
    }

    /// scalar := number | VALUE
    mutating func parseScalarOperand() throws(Recover) -> ScalarOperand {
        if case .value = current.kind { return .value(try parseValue()) }
        return .constant(try parseNumber())
    }

    /// flag(WORD) := WORD ('(' VALUE '==' integer ')')?  -- absent means never
    mutating func parseFlag(_ word: String) throws(Recover) -> IterationCondition {
        guard acceptWord(word) else { return .never }
        guard acceptPunct("(") else { return .always }
        let variable = try parseValue("a loop variable")
        try expectPunct("==")
        let value = try parseInteger()
        try expectPunct(")")
        return .when(variable, equals: value)
    }

    /// integers := '[' integer (',' integer)* ']'
    mutating func parseIntegerList(_ what: String) throws(Recover) -> [Int] {
        try expectPunct("[")
        var values = [try parseInteger(what)]
        while acceptPunct(",") { values.append(try parseInteger(what)) }
        try expectPunct("]")
        return values
    }

    /// slice := VALUE '[' affine (',' affine)* ']'
    mutating func parseSlice() throws(Recover) -> (ValueID, [AffineExpr]) {
        let hbm = try parseValue("an HBM tensor '%name'")
        try expectPunct("[")
        var offsets = [try parseAffine()]
        while acceptPunct(",") { offsets.append(try parseAffine()) }
        try expectPunct("]")
        return (hbm, offsets)
    }

    /// affine := '-'? term (('+' | '-') term)*
    /// term := INT ('*' (INT | VALUE))? | VALUE ('*' integer)?
    mutating func parseAffine() throws(Recover) -> AffineExpr {
        var expr = AffineExpr()
        var sign = acceptPunct("-") ? -1 : 1
        while true {
            if case .integer = current.kind {
                let factor = try parseInteger()
                if acceptPunct("*") {
                    if case .value = current.kind {
                        expr.terms.append(.init(try parseValue("a loop variable"), sign * factor))
                    } else {
                        expr.constant += sign * factor * (try parseInteger("an integer or a loop variable"))
                    }
                } else {
                    expr.constant += sign * factor
                }
            } else if case .value = current.kind {
                let variable = try parseValue("a loop variable")
                let coefficient = acceptPunct("*") ? try parseInteger("a coefficient") : 1
                expr.terms.append(.init(variable, sign * coefficient))
            } else {
                throw failExpected("an offset (integer or '%var * integer')")
            }
            if acceptPunct("+") { sign = 1 } else if acceptPunct("-") { sign = -1 } else { return expr }
        }
    }

    /// A name from a closed set (reduction kinds, engines, activation functions).
    mutating func parseName<Name: RawRepresentable & CaseIterable>(_ type: Name.Type, _ what: String) throws(Recover) -> Name
    where Name.RawValue == String {
        let (word, span) = try expectAnyWord("a \(what)")
        guard let name = Name(rawValue: word) else {
            let allowed = Name.allCases.map(\.rawValue).joined(separator: ", ")
            throw fail(DiagnosticCatalogue.tileIRUnknownName(what, word, allowed: allowed, at: span))
        }
        return name
    }
}
