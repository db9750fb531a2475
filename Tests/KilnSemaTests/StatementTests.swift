// StatementTests.swift: let, var, assignment, for loops, returns and expression statements.

import KilnSema
import KilnSource
import Testing

@Test func letRedefinitionInOneBlockIsAnErrorWithANote() {
    let c = expectError("""
    kernel l(x: f32[N]) -> f32[N] {
      let a = x
      let a = x + 1.0
      return a
    }
    """, "K2002", at: "3:7", "'a' is already defined in this block")
    #expect(c.errors.first?.notes.first.map { c.source.lineColumn(of: $0.span?.start ?? 0).description } == "2:7")
}

@Test func shadowingAnOuterBlockIsAllowed() {
    expectClean("""
    kernel l(x: f32[128, 4]) -> f32[128, 4] {
      let t = load(x)
      for i in 0 ..< 1 {
        let t = exp(load(x))
        store(out, t)
      }
      store(out, t)
    }
    """)
}

@Test func letAnnotationsMustMatch() {
    expectClean("""
    kernel a(x: f32[N, D]) -> f32[N, 1] {
      let m: f32[N, 1] = max(x, axis: 1)
      let k: f32 = 2
      return m * k
    }
    """)
    expectError("""
    kernel a(x: f32[N, D]) -> f32[N, 1] {
      let m: bf16[N, 1] = max(x, axis: 1)
      return m as f32
    }
    """, "K2070", at: "2:23", "'m' is annotated bf16[N, 1] but its value is f32[N, 1]; convert it with 'as bf16'")
    expectError("""
    kernel a(x: f32[N, D]) -> f32[N, 1] {
      let m: f32[N, 1] = x
      return m
    }
    """, "K2070", at: "2:22", "'m' is annotated f32[N, 1] but its value is hbm f32[N, D]")
}

@Test func unusedLetWarns() {
    let c = checkSource("""
    kernel u(x: f32[N]) -> f32[N] {
      let unused = x + 1.0
      let _ignored = x
      return x
    }
    """)
    #expect(c.errors.isEmpty, "\(c.summary)")
    #expect(c.warnings.count == 1)
    #expect(c.warnings.first?.id.code == "K2071")
    #expect(c.warnings.first?.message == "'unused' is never used; remove it or name it '_unused'")
    #expect(c.warnings.first.map(c.position) == "2:7")
}

@Test func onlyVarsCanBeAssigned() {
    let c = expectError("""
    kernel a(x: f32[128, 4]) -> f32[128, 4] {
      let t = load(x)
      t = exp(t)
      store(out, t)
    }
    """, "K2072", at: "3:3", "cannot assign to let 't'; only a 'var' tile buffer can be assigned")
    #expect(c.errors.first?.notes.first?.message == "'t' declared here")
    expectError("""
    kernel a(x: f32[128, 4]) -> f32[128, 4] {
      for i in 0 ..< 4 { i = 2 }
      store(out, load(x))
    }
    """, "K2072", at: "2:22", "cannot assign to loop variable 'i'")
}

@Test func varBuffersNeedATileSpaceAndMatchingAssignments() {
    expectError("""
    kernel v(x: f32[128, 4]) -> f32[128, 4] {
      var t: f32[128, 4]
      store(out, load(x))
    }
    """, "K2019", at: "2:10", "'var t' is a tile buffer and needs an sbuf or psum type")
    expectError("""
    kernel v(x: f32[128, 4]) -> f32[128, 4] {
      var t: sbuf bf16[128, 4] = 0.0
      t = load(x)
      store(out, t)
    }
    """, "K2073", at: "3:7", "needs a value of type sbuf bf16[128, 4], found sbuf f32[128, 4]; convert it with 'as bf16'")
    expectError("""
    kernel v(x: f32[128, 4]) -> f32[128, 4] {
      var t: sbuf f32[128, 4] = 0.0
      t += x
      store(out, t)
    }
    """, "K2074", at: "3:8", "load it first")
    expectError("""
    kernel v(x: f32[128, 4]) -> f32[128, 4] {
      var t: sbuf i32[128, 4] = 0.5
      store(out, load(x))
    }
    """, "K2075", at: "2:29", "fill value of 'var t'")
}

@Test func loopBoundsAndSteps() {
    expectError("""
    kernel f(x: f32[128, 4]) -> f32[128, 4] {
      for i in 0 ..< 4 step 0 { }
      store(out, load(x))
    }
    """, "K2076", at: "2:25", "a loop step must be a positive integer literal, found '0'")
    expectError("""
    kernel f(x: f32[128, 4], n: f32) -> f32[128, 4] {
      for i in 0 ..< n { }
      store(out, load(x))
    }
    """, "K2066", at: "2:18", "a loop bound must be an i32 scalar, found f32")
    expectError("""
    kernel f(x: f32[128, 4], n: i32) -> f32[128, 4] {
      for i in 0 ..< n { }
      store(out, load(x))
    }
    """, "K2062", at: "2:18", "a loop bound must be affine in loop variables, dims and integers; 'n' is a parameter")
}

@Test func loopVariablesAreScopedToTheBody() {
    expectError("""
    kernel f(x: f32[128, 4]) -> f32[128, 4] {
      for i in 0 ..< 4 { }
      store(out[i, :], load(x[0, :]))
    }
    """, "K2001", at: "3:13", "undefined name 'i'")
}

@Test func returnMustBeLastAndMatchTheResults() {
    expectError("""
    kernel r(x: f32[N]) -> f32[N] {
      return x
      let y = x
      return y
    }
    """, "K2077", at: "2:3", "'return' must be the last statement of the kernel's body")
    expectError("""
    kernel r(x: f32[N]) -> (a: f32[N], b: f32[N]) {
      return x
    }
    """, "K2078", at: "2:3", "kernel 'r' returns 2 values but 'return' gives 1")
    expectError("""
    kernel r(x: f32[N]) -> bf16[N] {
      return x
    }
    """, "K2079", at: "2:10", "result 'out' of kernel 'r' is bf16[N] but the returned value is f32[N]; convert it with 'as bf16'")
    expectError("""
    kernel r(x: f32[N, D]) -> f32[N, 1] {
      return x
    }
    """, "K2079", at: "2:10", "is f32[N, 1] but the returned value is f32[N, D]")
}

@Test func namedResultsAreReturnedInOrder() throws {
    let c = expectClean("""
    kernel two(x: f32[N, D]) -> (m: f32[N, 1], s: f32[N, 1]) {
      return max(x, axis: 1), sum(x, axis: 1)
    }
    """)
    let kernel = try #require(c.kernel("two"))
    #expect(kernel.results.map(\.name) == ["m", "s"])
    #expect(kernel.results.map(\.type.description) == ["hbm f32[N, 1]", "hbm f32[N, 1]"])
}

@Test func missingReturnNamesTheResultAndTheFix() {
    expectError("""
    kernel k(x: f32[N]) -> f32[N] {
      let y = x
    }
    """, "K2080", at: "1:8", "kernel 'k' never returns its result 'out'; end it with 'return' or write it with 'store'")
}

@Test func tileFormKernelsMustStoreEveryResult() {
    expectError("""
    kernel k(x: f32[128, 4]) -> (a: f32[128, 4], b: f32[128, 4]) {
      store(a, load(x))
    }
    """, "K2080", at: "1:8", "never returns its result 'b'")
    expectError("""
    kernel k(x: f32[128, 4]) -> f32[128, 4] {
      store(out, load(x))
      return x
    }
    """, "K2082", at: "3:3", "writes results with 'store' and also returns")
}

@Test func expressionStatementsMustBeCalls() {
    let c = checkSource("""
    kernel e(x: f32[128, 4]) -> f32[128, 4] {
      exp(x)
      x + 1.0
      store(out, load(x))
    }
    """)
    #expect(c.diagnostics.map(\.id.code) == ["K2055", "K2056"], "\(c.summary)")
    #expect(c.warnings.first?.message == "the result of 'exp' is unused")
}

@Test func storeHasNoValue() {
    expectError("""
    kernel s(x: f32[128, 4]) -> f32[128, 4] {
      let v = store(out, load(x))
    }
    """, "K2054", at: "2:11", "'store' produces no value")
}

@Test func typesInBodiesUseOnlyKnownDims() {
    expectError("""
    kernel v(x: f32[128, 4]) -> f32[128, 4] {
      var t: sbuf f32[128, F] = 0.0
      store(out, load(x))
    }
    """, "K2015", at: "2:24", "unknown dim 'F'; declare it in the <...> list or use it in a parameter shape")
}

@Test func tilesAreStoredNotReturned() {
    expectError("""
    kernel r(x: f32[128, 4]) -> f32[128, 4] {
      return load(x)
    }
    """, "K2083", at: "2:10", "cannot return the tile sbuf f32[128, 4]; write it to a result with store(out[...], tile)")
}

@Test func helpersCannotDeclareTileBuffers() {
    expectError("""
    fn f(a: f32[K]) -> f32[K] {
      var t: sbuf f32[128, 4] = 0.0
      return a
    }
    """, "K2084", at: "2:7", "'var t' declares a tile buffer, which only kernels can")
}

@Test func aFailedExpressionStatementGivesOneError() {
    let c = checkSource("""
    kernel k(x: f32[N]) -> f32[N] {
      returnx
      return x
    }
    """)
    #expect(c.errors.map(\.id.code) == ["K2001"], "\(c.summary)")
}
