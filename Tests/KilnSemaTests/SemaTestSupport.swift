// SemaTestSupport.swift: helpers that parse and check Kiln source text for the semantic-check tests.

import KilnSema
import KilnSource
import KilnSyntax
import Testing

/// A checked snippet: the program, its source, its syntax and semantic diagnostics.
struct Checked {
    let program: CheckedProgram
    let source: SourceFile
    let parseDiagnostics: [Diagnostic]
    let diagnostics: [Diagnostic]

    var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }

    /// `line:col` of a diagnostic.
    func position(_ diagnostic: Diagnostic) -> String { source.lineColumn(of: diagnostic.span.start).description }

    /// "K2001 3:5 undefined name 'y'" lines, for readable failures.
    var summary: String {
        diagnostics.map { "\($0.id.code) \(position($0)) \($0.severity): \($0.message)" }.joined(separator: "\n")
    }

    func kernel(_ name: String) -> CheckedKernel? { program.kernel(named: name) }

    /// The type of the first expression whose source text is `text`.
    func type(of text: String) -> ValueType? {
        guard let expr = findExpr(text) else { return nil }
        return program.type(of: expr)
    }

    func findExpr(_ text: String) -> Expr? {
        var found: Expr?
        for item in program.syntax.items {
            let body: Block
            switch item {
            case .kernel(let k): body = k.body
            case .function(let f): body = f.body
            }
            visit(body) { expr in
                if found == nil && source.text(of: expr.span) == text { found = expr }
            }
        }
        return found
    }

    private func visit(_ block: Block, _ f: (Expr) -> Void) {
        for statement in block.statements {
            switch statement.kind {
            case .letBinding(_, _, let e): visit(e, f)
            case .varDecl(_, _, let e): if let e { visit(e, f) }
            case .assign(_, _, let e): visit(e, f)
            case .assignWindow(let target, _, let e): visit(target, f); visit(e, f)
            case .forLoop(_, let lo, let hi, let step, let body):
                visit(lo, f); visit(hi, f); if let step { visit(step, f) }
                visit(body, f)
            case .ifStatement(let condition, let then, let otherwise):
                visit(condition, f)
                visit(then, f)
                if let otherwise { visit(otherwise, f) }
            case .returnValues(let es): es.forEach { visit($0, f) }
            case .expression(let e): visit(e, f)
            }
        }
    }

    private func visit(_ expr: Expr, _ f: (Expr) -> Void) {
        f(expr)
        switch expr.kind {
        case .unary(_, let e), .member(let e, _), .cast(let e, _): visit(e, f)
        case .binary(_, let a, let b): visit(a, f); visit(b, f)
        case .call(_, let args): args.forEach { visit($0.value, f) }
        case .index(let base, let items):
            visit(base, f)
            for item in items { item.forEachBound { visit($0, f) } }
        default: break
        }
    }
}

/// Parses and checks `text` (as file `test.kiln`).
func checkSource(_ text: String) -> Checked {
    let source = SourceFile(path: "test.kiln", text: text)
    let (syntax, parseBag) = Parser.parse(source: source)
    let (program, bag) = Sema.check(syntax, source: source)
    return Checked(program: program, source: source, parseDiagnostics: parseBag.sorted(), diagnostics: bag.sorted())
}

/// Checks `text`, expecting it to parse cleanly and produce no semantic errors or warnings.
@discardableResult
func expectClean(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Checked {
    let checked = checkSource(text)
    #expect(checked.parseDiagnostics.isEmpty, "parse: \(checked.parseDiagnostics.map(\.message))",
            sourceLocation: sourceLocation)
    #expect(checked.diagnostics.isEmpty, "\(checked.summary)", sourceLocation: sourceLocation)
    return checked
}

/// Checks `text`, expecting exactly one error (and no parse errors) with this code, position and message part.
@discardableResult
func expectError(_ text: String, _ code: String, at position: String, _ message: String,
                 sourceLocation: SourceLocation = #_sourceLocation) -> Checked {
    let checked = checkSource(text)
    #expect(checked.parseDiagnostics.isEmpty, "parse: \(checked.parseDiagnostics.map(\.message))",
            sourceLocation: sourceLocation)
    #expect(checked.errors.count == 1, "expected one error, got:\n\(checked.summary)", sourceLocation: sourceLocation)
    if let error = checked.errors.first {
        #expect(error.id.code == code, "\(checked.summary)", sourceLocation: sourceLocation)
        #expect(checked.position(error) == position, "\(checked.summary)", sourceLocation: sourceLocation)
        #expect(error.message.contains(message), "message was: \(error.message)", sourceLocation: sourceLocation)
    }
    return checked
}
