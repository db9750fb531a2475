// Parser.swift: recursive-descent parser for tile IR text: module, functions, types, numbers, locations.

import KilnMachine
import KilnSource

/// The result of parsing a `.tir` file: the module if the text was well-formed, and every error found,
/// each located in the IR text.
public struct TileIRParseResult: Sendable {
    public var module: Module?
    public var diagnostics: [Diagnostic]
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// Parses tile IR text. Every malformed input gives a located diagnostic (`file.tir:line:col`), never a
/// trap; after an error in an op the parser skips to the next line and goes on, so one run reports
/// every broken op. Names are resolved as they are read: a use must follow its definition.
public struct TileIRParser {
    var tokens: [IRToken]
    var index = 0
    var diagnostics = DiagnosticBag()
    /// The function being parsed and the names visible in it.
    var function = Function(name: "")
    var names: [String: (def: ValueDef, span: SourceSpan)] = [:]
    var loopDepth = 0
    /// `loc(... at LINE:COL)` positions read so far, by span start.
    var sourcePositions: [Int: SourcePosition] = [:]
    static let maxLoopDepth = 64
    /// The kernel source the module's `source "path"` names: the file of every `loc(...)` span.
    var kernelSourcePath = ""

    /// Thrown after an error has been reported, to unwind to the nearest recovery point.
    struct Recover: Error {}

    init(_ file: SourceFile) {
        var lexer = IRLexer(file)
        tokens = lexer.tokenize()
        diagnostics.append(contentsOf: lexer.diagnostics)
    }

    public static func parse(_ file: SourceFile) -> TileIRParseResult {
        var parser = TileIRParser(file)
        let module = try? parser.parseModule()
        let diagnostics = parser.diagnostics.sorted()
        let failed = diagnostics.contains { $0.severity == .error }
        return TileIRParseResult(module: failed ? nil : module, diagnostics: diagnostics)
    }

    // MARK: Tokens

    var current: IRToken { tokens[min(index, tokens.count - 1)] }

    mutating func advance() {
        if index < tokens.count - 1 { index += 1 }
    }

    mutating func fail(_ diagnostic: Diagnostic) -> Recover {
        diagnostics.report(diagnostic)
        return Recover()
    }

    /// "expected X, found Y" at the current token; when that token starts a new line, the op was cut
    /// short, so the error goes at the end of the previous line, as "found end of line".
    mutating func failExpected(_ what: String) -> Recover {
        if current.kind != .end, current.startsLine, index > 0 {
            let end = tokens[index - 1].span.end
            return fail(DiagnosticCatalogue.tileIRExpected(what, found: "end of line", at: current.span.with(start: end, end: end)))
        }
        return fail(DiagnosticCatalogue.tileIRExpected(what, found: current.display, at: current.span))
    }

    func isPunct(_ text: String) -> Bool { current.kind == .punct(text) }
    func isWord(_ text: String) -> Bool { current.kind == .word(text) }

    mutating func expectPunct(_ text: String) throws(Recover) {
        guard isPunct(text) else { throw failExpected("'\(text)'") }
        advance()
    }

    mutating func expectWord(_ text: String) throws(Recover) {
        guard isWord(text) else { throw failExpected("'\(text)'") }
        advance()
    }

    mutating func acceptPunct(_ text: String) -> Bool {
        guard isPunct(text) else { return false }
        advance()
        return true
    }

    mutating func acceptWord(_ text: String) -> Bool {
        guard isWord(text) else { return false }
        advance()
        return true
    }

    mutating func expectAnyWord(_ what: String) throws(Recover) -> (String, SourceSpan) {
        guard case .word(let text) = current.kind else { throw failExpected(what) }
        let span = current.span
        advance()
        return (text, span)
    }

    /// STRING
    mutating func expectString(_ what: String) throws(Recover) -> (String, SourceSpan) {
        guard case .string(let text) = current.kind else { throw failExpected(what) }
        let span = current.span
        advance()
        return (text, span)
    }

    // MARK: Module and functions

    /// module := 'kiln.module' 'target' STRING ('source' STRING)? '{' function* '}' EOF
    mutating func parseModule() throws(Recover) -> Module {
        try expectWord("kiln.module")
        try expectWord("target")
        let (target, targetSpan) = try expectString("a target name string")
        if MachineTarget.named(target) == nil {
            diagnostics.report(DiagnosticCatalogue.tileIRUnknownTarget(target, known: MachineTarget.allNames, at: targetSpan))
        }
        var module = Module(target: target)
        if acceptWord("source") {
            module.sourcePath = try expectString("a source path string").0
            kernelSourcePath = module.sourcePath ?? ""
        }
        try expectPunct("{")
        while !isPunct("}") {
            guard isWord("func") else { throw failExpected("'func' or '}'") }
            let start = current.span
            do {
                let function = try parseFunction()
                if module.function(named: function.name) != nil {
                    diagnostics.report(DiagnosticCatalogue.tileIRDuplicateFunction(function.name, at: start))
                }
                module.functions.append(function)
            } catch {
                skipToNextFunction()
            }
        }
        advance()
        guard current.kind == .end else { throw failExpected("end of file after the module") }
        module.sourcePositions = sourcePositions
        return module
    }

    /// After an error in a function header: skip to the next `func` at the start of a line, or the module's `}`.
    mutating func skipToNextFunction() {
        while current.kind != .end {
            if current.startsLine && (isWord("func") || isPunct("}")) && !(isPunct("}") && nextIsMore()) { return }
            advance()
        }
    }

    /// True if a `}` at a line start is followed by more than the end of input (so it closes a function).
    private func nextIsMore() -> Bool {
        index + 1 < tokens.count && tokens[index + 1].kind != .end
    }

    /// function := 'func' SYMBOL '(' params ')' '->' '(' params ')' schedule? loc? block
    mutating func parseFunction() throws(Recover) -> Function {
        let start = current.span
        try expectWord("func")
        guard case .symbol(let name) = current.kind else { throw failExpected("a function name '@name'") }
        advance()
        function = Function(name: name, textSpan: start)
        names = [:]
        try expectPunct("(")
        for (value, defaultValue) in try parseParameterList() {
            function.parameters.append(Parameter(value, defaultValue: defaultValue))
        }
        try expectPunct("->")
        try expectPunct("(")
        for (value, defaultValue) in try parseParameterList() {
            if defaultValue != nil { throw failExpected("',' or ')' (outputs have no default)") }
            function.outputs.append(value)
        }
        if acceptWord("schedule") { function.schedule = try parseSchedule() }
        function.span = try parseLocation()
        function.body = try parseBlock()
        return function
    }

    /// schedule := 'schedule' '(' WORD '=' INT (',' WORD '=' INT)* ')'   (after 'schedule'; values positive)
    mutating func parseSchedule() throws(Recover) -> [String: Int] {
        try expectPunct("(")
        var hints: [String: Int] = [:]
        repeat {
            let (key, keySpan) = try expectAnyWord("a schedule hint name such as 'tile_n'")
            if hints[key] != nil {
                throw fail(DiagnosticCatalogue.tileIRExpected("a schedule hint not given before", found: "'\(key)' again",
                                                              at: keySpan))
            }
            try expectPunct("=")
            hints[key] = try parseDimension()
        } while acceptPunct(",")
        try expectPunct(")")
        return hints
    }

    /// params := (param (',' param)*)? ')'        param := VALUE ':' type ('=' number)?
    mutating func parseParameterList() throws(Recover) -> [(ValueDef, Double?)] {
        var parameters: [(ValueDef, Double?)] = []
        if acceptPunct(")") { return parameters }
        repeat {
            guard case .value(let name) = current.kind else { throw failExpected("a parameter '%name'") }
            let span = current.span
            advance()
            try expectPunct(":")
            let type = try parseType()
            let value = try define(name, type: type, at: span)
            let defaultValue = acceptPunct("=") ? try parseNumber() : nil
            parameters.append((value, defaultValue))
        } while acceptPunct(",")
        try expectPunct(")")
        return parameters
    }

    /// block := '{' op* '}'
    mutating func parseBlock() throws(Recover) -> Block {
        try expectPunct("{")
        var block = Block()
        while !isPunct("}") {
            if current.kind == .end { throw failExpected("'}'") }
            let before = index
            do {
                block.ops.append(try parseOperation())
                if !current.startsLine && !isPunct("}") {
                    throw failExpected("a new line after the operation")
                }
            } catch {
                recoverToNextOperation(opStart: before)
            }
        }
        advance()
        return block
    }

    /// Skips the rest of a broken op: to the next token after the op's first that starts a line outside
    /// any braces the skip opened, or to the `}` closing the current block.
    mutating func recoverToNextOperation(opStart: Int) {
        var depth = 0
        while current.kind != .end {
            if index > opStart && current.startsLine && depth == 0 { return }
            if isPunct("{") { depth += 1 }
            if isPunct("}") {
                if depth == 0 { return }
                depth -= 1
            }
            advance()
        }
    }

    // MARK: Values

    /// Defines a value name in the current function; a name made of digits only gives no hint.
    mutating func define(_ name: String, type: IRType, at span: SourceSpan) throws(Recover) -> ValueDef {
        if let previous = names[name] {
            throw fail(DiagnosticCatalogue.tileIRRedefinedValue(name, at: span, previous: previous.span))
        }
        let isNumeric = name.unicodeScalars.allSatisfy { ("0"..."9").contains($0) }
        let def = function.makeValue(type, name: isNumeric ? nil : name)
        names[name] = (def, span)
        return def
    }

    /// VALUE, resolved to a defined value.
    mutating func parseValue(_ what: String = "a value '%name'") throws(Recover) -> ValueID {
        guard case .value(let name) = current.kind else { throw failExpected(what) }
        guard let entry = names[name] else {
            throw fail(DiagnosticCatalogue.tileIRUndefinedValue(name, at: current.span))
        }
        advance()
        return entry.def.id
    }

    // MARK: Types

    /// type := 'index' | ('hbm' | 'sbuf' | 'psum')? ELEMENT ('[' dims ']')?
    ///         dims := INT (',' INT)* for tensors, INT '|' INT (',' INT)* for tiles
    mutating func parseType() throws(Recover) -> IRType {
        if acceptWord("index") { return .index }
        var space: MemorySpace?
        if case .word(let word) = current.kind, let named = MemorySpace(rawValue: word) {
            space = named
            advance()
        }
        let (elementName, elementSpan) = try expectAnyWord("a type")
        guard let element = ElementType(rawValue: elementName) else {
            throw fail(DiagnosticCatalogue.tileIRUnknownName("element type", elementName,
                                                             allowed: ElementType.allNames + ", index", at: elementSpan))
        }
        guard isPunct("[") else {
            if let space { throw failExpected("'[' after '\(space) \(element)'") }
            return .scalar(element)
        }
        advance()
        if space == .sbuf || space == .psum, let space {
            let partitions = try parseDimension()
            try expectPunct("|")
            let free = try parseDimensions()
            return .tile(TileType(space, element, partitions: partitions, free: free))
        }
        let shape = try parseDimensions()
        return space == .hbm ? .hbm(TensorType(element, shape)) : .tensor(TensorType(element, shape))
    }

    /// INT (',' INT)* ']'
    mutating func parseDimensions() throws(Recover) -> [Int] {
        var dims = [try parseDimension()]
        while acceptPunct(",") { dims.append(try parseDimension()) }
        try expectPunct("]")
        return dims
    }

    /// A dimension: a positive INT.
    mutating func parseDimension() throws(Recover) -> Int {
        let span = current.span
        let value = try parseInteger("a dimension")
        guard value > 0 else { throw fail(DiagnosticCatalogue.tileIRBadNumber(String(value), "dimensions must be positive", at: span)) }
        return value
    }

    // MARK: Numbers and locations

    /// integer := '-'? INT
    mutating func parseInteger(_ what: String = "an integer") throws(Recover) -> Int {
        let negative = acceptPunct("-")
        guard case .integer(let text) = current.kind else { throw failExpected(what) }
        guard let magnitude = Int(text) else {
            throw fail(DiagnosticCatalogue.tileIRBadNumber(text, "does not fit in 64 bits", at: current.span))
        }
        advance()
        return negative ? -magnitude : magnitude
    }

    /// number := '-'? (INT | FLOAT | 'inf' | 'nan')
    mutating func parseNumber() throws(Recover) -> Double {
        let negative = acceptPunct("-")
        let value: Double
        switch current.kind {
        case .integer(let text), .float(let text):
            guard let parsed = Double(text), parsed.isFinite else {
                throw fail(DiagnosticCatalogue.tileIRBadNumber(text, "out of range for a double", at: current.span))
            }
            value = parsed
        case .word("inf"): value = .infinity
        case .word("nan"): value = .nan
        default: throw failExpected("a number")
        }
        advance()
        return negative ? -value : value
    }

    /// loc := ('loc' '(' INT ':' INT ('at' INT ':' INT)? ')')?   (the line:col part is informational)
    mutating func parseLocation() throws(Recover) -> SourceSpan {
        guard acceptWord("loc") else { return .unknown }
        try expectPunct("(")
        let start = try parseInteger("a start byte offset")
        try expectPunct(":")
        let endSpan = current.span
        let end = try parseInteger("an end byte offset")
        guard start >= 0, end >= start else {
            throw fail(DiagnosticCatalogue.tileIRBadNumber("\(start):\(end)", "a location is 'start:end' with 0 <= start <= end",
                                                          at: endSpan))
        }
        if acceptWord("at") {
            let line = try parseInteger("a line")
            try expectPunct(":")
            let column = try parseInteger("a column")
            sourcePositions[start] = SourcePosition(line: line, column: column)
        }
        try expectPunct(")")
        return SourceSpan(file: kernelSourcePath, start: start, end: end)
    }
}
