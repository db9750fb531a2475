// FunctionTests.swift: helper functions: signatures, dim unification at calls, labels, recursion.

import KilnSema
import KilnSource
import Testing

@Test func helperDimsUnifyWithTheCallersDims() throws {
    let c = expectClean("""
    fn row_softmax<D>(x: f32[R, D]) -> f32[R, D] {
      let e = exp(x - max(x, axis: 1))
      return e / sum(e, axis: 1)
    }
    kernel k(x: f32[N, M]) -> f32[N, M] {
      return row_softmax(x)
    }
    """)
    let call = try #require(c.findExpr("row_softmax(x)"))
    #expect(c.program.type(of: call)?.description == "f32[N, M]")
    #expect(c.program.calls[call.id] == .function(name: "row_softmax", dims: ["D": .symbol("M"), "R": .symbol("N")]))
    let function = try #require(c.program.function(named: "row_softmax"))
    #expect(function.dims.map(\.name) == ["D", "R"])
    #expect(function.dims.map(\.isDeclared) == [true, false])
}

@Test func helperCallsBindConstantsAndCompoundDims() {
    let c = expectClean("""
    fn pad<K>(x: f32[K], y: f32[K + 1]) -> f32[K + 1] {
      return y - sum(x)
    }
    kernel k(a: f32[8], b: f32[9]) -> f32[9] {
      let s = pad(a, b)
      return s + 1.0
    }
    """)
    #expect(c.type(of: "pad(a, b)")?.description == "f32[9]")
    expectError("""
    fn pad<K>(x: f32[K], y: f32[K + 1]) -> f32[K + 1] {
      return y - sum(x)
    }
    kernel k(a: f32[8], b: f32[8]) -> f32[9] {
      return pad(a, b)
    }
    """, "K2091", at: "5:17", "argument 'y' of 'pad' must be f32[9], found f32[8]")
}

@Test func helperDimConflictsNameBothArguments() {
    expectError("""
    fn add<K>(a: f32[K], b: f32[K]) -> f32[K] { return a + b }
    kernel k(x: f32[N], y: f32[D]) -> f32[N] {
      return add(x, y)
    }
    """, "K2092", at: "3:17", "call to 'add' binds dim 'K' to N (from 'a') and also to D (from 'b')")
}

@Test func helperArgumentChecks() {
    expectError("""
    fn f(a: f32[K]) -> f32[K] { return a }
    kernel k(x: bf16[N]) -> bf16[N] {
      return f(x) as bf16
    }
    """, "K2091", at: "3:12", "argument 'a' of 'f' must be f32[K], found bf16[N]")
    expectError("""
    fn f(a: f32[K], s: f32) -> f32[K] { return a * s }
    kernel k(x: f32[N]) -> f32[N] {
      return f(a: x, t: 2)
    }
    """, "K2043", at: "3:18", "argument 2 of 'f' is labelled 't' but that parameter is 's'")
    expectError("""
    fn f(a: f32[K]) -> f32[K] { return a }
    kernel k(x: f32[N]) -> f32[N] {
      return f()
    }
    """, "K2040", at: "3:10", "'f' takes 1 argument but 0 were given")
    expectError("""
    fn f(a: f32[K]) -> f32[K] { return a }
    kernel k(x: f32[128]) -> f32[128] {
      store(out, f(load(x)))
    }
    """, "K2093", at: "3:16", "helper functions take whole tensors and scalars")
}

@Test func recursionIsAnError() {
    let c = checkSource("""
    fn f(a: f32[K]) -> f32[K] { return g(a) }
    fn g(a: f32[K]) -> f32[K] { return h(a) }
    fn h(a: f32[K]) -> f32[K] { return f(a) }
    fn self_(a: f32[K]) -> f32[K] { return self_(a) }
    """)
    #expect(c.errors.map(\.id.code) == ["K2090", "K2090", "K2090", "K2090"], "\(c.summary)")
    #expect(c.errors.first?.message == "function 'f' calls itself through 'g', 'h'; helper functions are inlined and cannot be recursive")
    #expect(c.errors.last?.message.hasPrefix("function 'self_' calls itself;") == true)
}

@Test func helpersMustEndWithOneReturn() {
    expectError("""
    fn f(a: f32[K]) -> f32[K] { let b = a }
    """, "K2081", at: "1:4", "function 'f' must end with 'return' of one f32[K] value")
    expectError("""
    fn f(a: f32[K]) -> f32[K] { return a, a }
    """, "K2078", at: "1:29", "function 'f' returns 1 value but 'return' gives 2")
}

@Test func helpersWorkOnWholeTensorsOnly() {
    expectError("""
    fn f(a: hbm f32[K]) -> f32[K] { return a }
    """, "K2018", at: "1:9", "parameter 'a' of a helper function takes no memory space")
    expectError("""
    fn f(a: f32[K]) -> f32[K] { return load(a) }
    """, "K2053", at: "1:36", "'load' is tile-level and can only be used in a kernel")
}

@Test func helperNamesMustNotClash() {
    let c = checkSource("""
    fn exp(a: f32) -> f32 { return a }
    fn twice(a: f32) -> f32 { return a }
    fn twice(a: f32) -> f32 { return a }
    """)
    #expect(c.errors.map(\.id.code) == ["K2008", "K2002"], "\(c.summary)")
    #expect(c.errors.last?.message == "'twice' is already defined at top level")
}

@Test func helperResultDimsMustBeIntroduced() {
    expectError("""
    fn f(a: f32[K]) -> f32[M] { return a }
    """, "K2016", at: "1:24", "result shape uses dim 'M' that no parameter shape or the function's <...> list introduces")
    expectError("""
    fn f<M>(a: f32[K]) -> f32[K] { return a }
    """, "K2026", at: "1:6", "dim 'M' of function 'f' appears in no parameter shape and has no default")
}

@Test func scalarHelperArgumentsAreWeak() {
    let c = expectClean("""
    fn scale(x: f32[K], s: f32) -> f32[K] { return x * s }
    kernel k(x: f32[N]) -> f32[N] { return scale(x, 2) }
    """)
    #expect(c.type(of: "scale(x, 2)")?.description == "f32[N]")
}

@Test func dimsUsedOnlyInCompoundShapesCannotBeInferred() {
    expectError("""
    fn f<K>(a: f32[K + 1]) -> f32[K + 1] { return a }
    kernel k(x: f32[N]) -> f32[N] { return f(x) }
    """, "K2094", at: "2:40", "cannot infer dim 'K' of 'f' from the arguments")
}
