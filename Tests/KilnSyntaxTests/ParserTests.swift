// ParserTests.swift: the parser's trees, precedence, newline rule and error recovery.

import KilnSource
import Testing
@testable import KilnSyntax

private func parse(_ text: String) -> (SourceFileSyntax, [Diagnostic]) {
    let (file, bag) = Parser.parse(source: SourceFile(path: "t.kiln", text: text))
    return (file, bag.sorted())
}

/// Renders an expression fully parenthesised, to check precedence.
private func show(_ e: Expr) -> String {
    switch e.kind {
    case .integer(let v): "\(v)"
    case .float(let v): "\(v)"
    case .bool(let v): "\(v)"
    case .name(let n): n
    case .unary(let op, let x): "(\(op.rawValue)\(show(x)))"
    case .binary(let op, let a, let b): "(\(show(a)) \(op.rawValue) \(show(b)))"
    case .call(let callee, let args):
        "\(callee.name)(" + args.map { ($0.label.map { "\($0.name): " } ?? "") + show($0.value) }.joined(separator: ", ") + ")"
    case .index(let base, let items):
        show(base) + "[" + items.map { item in
            switch item {
            case .index(let x): show(x)
            case .slice(let lo, let hi, let step, _): (lo.map(show) ?? "") + ":" + (hi.map(show) ?? "") + (step.map { ":" + show($0) } ?? "")
            }
        }.joined(separator: ", ") + "]"
    case .member(let base, let m): "\(show(base)).\(m.name)"
    case .tuple(let items): "(" + items.map(show).joined(separator: ", ") + ",)"
    case .cast(let x, let dt): "(\(show(x)) as \(dt.name))"
    case .error: "<error>"
    }
}

private func firstReturn(_ file: SourceFileSyntax) -> [Expr] {
    for statement in file.kernels.first?.body.statements ?? [] {
        if case .returnValues(let values) = statement.kind { return values }
    }
    return []
}

private func expression(_ text: String) -> String {
    let (file, diagnostics) = parse("kernel k(x: f32[N]) -> f32[N] {\n  return \(text)\n}")
    #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
    return firstReturn(file).map(show).joined(separator: "; ")
}

@Test func precedenceAndAssociativity() {
    #expect(expression("a + b * c - d") == "((a + (b * c)) - d)")
    #expect(expression("a @ b + c") == "((a @ b) + c)")
    #expect(expression("-a * b as bf16") == "((-a) * (b as bf16))")
    #expect(expression("a < b && c >= d || !e") == "(((a < b) && (c >= d)) || (!e))")
    #expect(expression("x - max(x, axis: 1)") == "(x - max(x, axis: 1))")
    #expect(expression("a[m : m + 128, :].T") == "a[m:(m + 128), :].T")
    // A comma in parentheses makes a tuple (a trailing comma too); without one they only group.
    #expect(expression("sum(x, axis: (2, -1))") == "sum(x, axis: (2, (-1),))")
    #expect(expression("(a, b,)") == "(a, b,)")
    #expect(expression("(2,)") == "(2,)")
    #expect(expression("(a + b)") == "(a + b)")
    #expect(expression("(a + b) * c, d") == "((a + b) * c); d")
}

@Test func kernelHeaderWithDimsParamsDefaultsAndNamedResults() {
    let (file, diagnostics) = parse("""
        @schedule(tile_n: 512)
        kernel k<N = 256, D>(x: f32[N, D], eps: f32 = 1e-5) -> (total: f32[N, 1], peak: f32[N, 1]) {
          return sum(x, axis: 1), max(x, axis: 1)
        }
        """)
    #expect(diagnostics.isEmpty)
    let kernel = file.kernels[0]
    #expect(kernel.attributes.map(\.name.name) == ["schedule"])
    #expect(kernel.dims.map(\.name.name) == ["N", "D"])
    #expect(kernel.dims.map(\.defaultSize) == [256, nil])
    #expect(kernel.params.map(\.name.name) == ["x", "eps"])
    #expect(kernel.params[1].defaultValue != nil)
    #expect(kernel.results.map(\.effectiveName) == ["total", "peak"])
}

@Test func tileLevelStatements() {
    let (file, diagnostics) = parse("""
        kernel mm(a_t: bf16[K, M], b: bf16[K, N]) -> f32[M, N] {
          for m in 0 ..< M step 128 {
            var acc: psum f32[128, 512] = 0.0
            for k in 0 ..< K step 128 {
              acc += nc_matmul(load(a_t[k : k + 128, m : m + 128]), load(b[k : k + 128, 0 : 512]))
            }
            store(out[m : m + 128, 0 : 512], copy(acc)); acc = 0.0
          }
        }
        """)
    #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
    guard case .forLoop(let variable, _, _, let step, let body) = file.kernels[0].body.statements[0].kind else {
        Issue.record("expected a for loop")
        return
    }
    #expect(variable.name == "m")
    #expect(step != nil)
    #expect(body.statements.count == 4)
}

@Test func aLineStartingWithAnOperatorBeginsANewStatement() {
    let (file, diagnostics) = parse("kernel k(x: f32[N]) -> f32[N] {\n  let y = x\n  -x\n  return y\n}")
    #expect(file.kernels[0].body.statements.count == 3)
    #expect(diagnostics.map(\.id.code) == ["K1107"])
    #expect(diagnostics[0].severity == .warning)
}

@Test func newlinesInsideParenthesesContinue() {
    let (file, diagnostics) = parse("kernel k(x: f32[N]) -> f32[N] {\n  return (x\n    + x)\n}")
    #expect(diagnostics.isEmpty)
    #expect(firstReturn(file).map(show) == ["(x + x)"])
}

@Test func everySyntaxErrorOfAFileIsReportedOnce() {
    let text = """
        kernel k(x: f32[N]) -> f32[N] {
          let a = (x + ) * 2
          let b = x +* 3
          let c x
          return a
        }
        kernel j(x f32) -> f32 {
          return x )
        }
        """
    let (_, diagnostics) = parse(text)
    let file = SourceFile(path: "t.kiln", text: text)
    let positions = diagnostics.map { file.lineColumn(of: $0.span.start).description }
    #expect(positions == ["2:16", "3:14", "4:9", "7:12", "8:12"], "\(diagnostics.map(\.message))")
}

@Test func unclosedBraceNotesTheOpener() {
    let (_, diagnostics) = parse("kernel k(x: f32[N]) -> f32[N] {\n  return x\n")
    #expect(diagnostics.map(\.id.code) == ["K1104"])
    #expect(diagnostics[0].notes.first?.span == SourceSpan(file: "t.kiln", start: 30, end: 31))
}

@Test func chainedComparisonIsAnError() {
    let (_, diagnostics) = parse("kernel k(x: f32[N]) -> bool[N] {\n  return 0 < x < 1\n}")
    #expect(diagnostics.map(\.id.code) == ["K1106"])
}

@Test func assignmentToAnExpressionIsAnError() {
    let (_, diagnostics) = parse("kernel k(x: f32[N]) -> f32[N] {\n  x.T = 1.0\n  exp(x)[0:1] = 1.0\n  return x\n}")
    #expect(diagnostics.map(\.id.code) == ["K1108", "K1108"])
    // A window of a name is an assignment target; whether the name is a var is the checker's (K2072).
    let (program, windowDiagnostics) = parse("kernel k(x: f32[N]) -> f32[N] {\n  x[0:1] = 1.0\n  return x\n}")
    #expect(windowDiagnostics.isEmpty)
    if case .assignWindow(let target, .assign, _)? = program.items.first.flatMap({ item -> StatementKind? in
        if case .kernel(let kernel) = item { return kernel.body.statements.first?.kind }
        return nil
    }) {
        if case .index = target.kind {} else { Issue.record("the target is not an index expression") }
    } else {
        Issue.record("x[0:1] = 1.0 is not a window assignment")
    }
}

@Test func deepNestingIsADiagnosticNotACrash() {
    let deep = String(repeating: "(", count: 100_000) + "x" + String(repeating: ")", count: 100_000)
    let (_, diagnostics) = parse("kernel k(x: f32[N]) -> f32[N] {\n  return \(deep)\n}\nkernel k2(x: f32) -> f32 { return y + }")
    #expect(diagnostics.map(\.id.code) == ["K1105", "K1103"])
    let blocks = String(repeating: "for i in 0 ..< 2 {", count: 5000) + String(repeating: "}", count: 5000)
    let (_, more) = parse("kernel k(x: f32[N]) -> f32[N] {\n\(blocks)\n return x }")
    #expect(more.map(\.id.code) == ["K1105"])
}

@Test func topLevelGarbageRecoversAtTheNextItem() {
    let (file, diagnostics) = parse("let x = 1\nkernel k(x: f32) -> f32 { return x }")
    #expect(diagnostics.map(\.id.code) == ["K1102"])
    #expect(file.kernels.count == 1)
}

@Test func expressionIDsAreDenseAndUnique() {
    let (file, _) = parse("kernel k(x: f32[N]) -> f32[N] {\n  let y = (x + 1.0) * x\n  return exp(y)\n}")
    var ids: [Int] = []
    func collect(_ e: Expr) {
        ids.append(e.id)
        switch e.kind {
        case .unary(_, let x), .cast(let x, _), .member(let x, _): collect(x)
        case .binary(_, let a, let b): collect(a); collect(b)
        case .call(_, let args): args.forEach { collect($0.value) }
        case .index(let base, _): collect(base)
        default: break
        }
    }
    for statement in file.kernels[0].body.statements {
        switch statement.kind {
        case .letBinding(_, _, let v): collect(v)
        case .returnValues(let vs): vs.forEach(collect)
        default: break
        }
    }
    #expect(Set(ids).count == ids.count)
    #expect(ids.allSatisfy { $0 < file.expressionCount })
}

@Test func ifElseIfElseParsesAsNestedBlocks() {
    let (file, diagnostics) = parse("""
        kernel k(x: f32[N, 64]) -> f32[N, 64] {
          for i in 0 ..< N step 128 {
            if i == 0 && !(N < 128) { store(out[i : i + 128, :], load(x[i : i + 128, :])) }
            else if i + 128 > N || false {
              store(out[i : i + 128, :], load(x[i : i + 128, :]) * 2.0)
            } else {
              store(out[i : i + 128, :], load(x[i : i + 128, :]) * 3.0)
            }
          }
        }
        """)
    #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
    guard case .forLoop(_, _, _, _, let body) = file.kernels[0].body.statements[0].kind,
          case .ifStatement(let condition, let then, let otherwise?) = body.statements[0].kind,
          case .ifStatement(let second, _, let last?) = otherwise.statements.first?.kind else {
        Issue.record("expected an if with an else-if chain")
        return
    }
    #expect(show(condition) == "((i == 0) && (!(N < 128)))")
    #expect(show(second) == "(((i + 128) > N) || false)")
    #expect(then.statements.count == 1 && otherwise.statements.count == 1 && last.statements.count == 1)
}

@Test func elseWithoutIfAndIfWithoutBlockAreOneErrorEach() {
    let (_, diagnostics) = parse("""
        kernel k(x: f32[4]) -> f32[4] {
          else { return x }
          if true return x
          return x
        }
        """)
    let errors = diagnostics.filter { $0.severity == .error }.map(\.message)
    #expect(errors.count == 2, "\(errors)")
    #expect(errors.first?.contains("'else' follows the block of an 'if'") == true)
    #expect(errors.last?.contains("'{' to begin the body of the 'if'") == true)
}
