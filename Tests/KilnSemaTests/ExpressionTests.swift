// ExpressionTests.swift: typing of names, operators, broadcasting, promotion, builtins and casts.

import KilnSema
import KilnSource
import Testing

@Test func softmaxTypesEveryExpression() {
    let c = expectClean("""
    kernel softmax(x: f32[N, D]) -> f32[N, D] {
      let m = max(x, axis: 1)
      let e = exp(x - m)
      return e / sum(e, axis: 1)
    }
    """)
    #expect(c.type(of: "max(x, axis: 1)")?.description == "f32[N, 1]")
    #expect(c.type(of: "x - m")?.description == "f32[N, D]")
    #expect(c.type(of: "sum(e, axis: 1)")?.description == "f32[N, 1]")
    #expect(c.type(of: "x")?.description == "hbm f32[N, D]")
}

@Test func broadcastingFollowsNumPy() {
    let c = expectClean("""
    kernel b(a: f32[N, D], row: f32[1, D], col: f32[N, 1], v: f32[D]) -> f32[N, D] {
      let x = a + row
      let y = col * row
      let z = a - v
      return x + y + z
    }
    """)
    #expect(c.type(of: "a + row")?.description == "f32[N, D]")
    #expect(c.type(of: "col * row")?.description == "f32[N, D]")
    #expect(c.type(of: "a - v")?.description == "f32[N, D]")
}

@Test func broadcastingNeverEquatesDifferentDimNames() {
    expectError("""
    kernel b(x: f32[N, D], y: f32[D, N]) -> f32[N, D] {
      return x + y
    }
    """, "K2031", at: "2:10", "do not broadcast: hbm f32[N, D] and hbm f32[D, N] (axis -2: N != D)")
}

@Test func constantDimsMustMatchToBroadcast() {
    expectError("""
    kernel b(x: f32[4, 8], y: f32[4, 3]) -> f32[4, 8] {
      return x * y
    }
    """, "K2031", at: "2:10", "(axis -1: 8 != 3)")
}

@Test func weakScalarsTakeTheTensorsDType() {
    let c = expectClean("""
    kernel s(x: bf16[N], n: i32, scale: f32 = 0.5) -> bf16[N] {
      let a = x * 2
      let b = a + scale
      return b / n + 1.0
    }
    """)
    #expect(c.type(of: "x * 2")?.dtype == .bf16)
    #expect(c.type(of: "a + scale")?.dtype == .bf16)
}

@Test func twoScalarsPromoteIntAndFloatToF32() {
    let c = expectClean("""
    kernel s(x: f32[N], n: i32) -> f32[N] {
      let k = n + 1.5
      return x * k
    }
    """)
    #expect(c.type(of: "n + 1.5")?.description == "f32")
}

@Test func floatScalarWithIntegerTensorIsAnError() {
    expectError("""
    kernel s(x: i32[N]) -> i32[N] {
      return x * 0.5
    }
    """, "K2030", at: "2:10", "convert the tensor with 'as f32'")
}

@Test func tensorDTypesMustMatch() {
    expectError("""
    kernel s(x: f32[N], y: bf16[N]) -> f32[N] {
      return x + y
    }
    """, "K2030", at: "2:10", "operands of '+' have different dtypes: hbm f32[N] and hbm bf16[N]")
}

@Test func comparisonsGiveBoolAndLogicNeedsBool() {
    let c = expectClean("""
    kernel cmp(x: f32[N], y: f32[N]) -> f32[N] {
      let mask = x > 0.0 && y <= x
      return select(mask, x, 0.0)
    }
    """)
    #expect(c.type(of: "x > 0.0")?.description == "bool[N]")
    #expect(c.type(of: "select(mask, x, 0.0)")?.description == "f32[N]")
    expectError("""
    kernel l(x: f32[N]) -> f32[N] {
      let bad = x && x
      return bad
    }
    """, "K2032", at: "2:13", "'&&' needs bool operands")
}

@Test func arithmeticOnBoolIsAnError() {
    expectError("""
    kernel a(x: f32[N]) -> f32[N] {
      let m = x > 1.0
      return m + x
    }
    """, "K2032", at: "3:10", "'+' needs numeric operands, found bool[N]")
}

@Test func unaryOperators() {
    expectClean("""
    kernel u(x: f32[N]) -> f32[N] {
      let m = !(x > 0.0)
      return select(m, -x, x)
    }
    """)
    expectError("""
    kernel u(x: f32[N]) -> f32[N] {
      return !x
    }
    """, "K2032", at: "2:10", "'!' needs bool operands")
}

@Test func undefinedNamesAreReportedOnceWithoutCascades() {
    let c = checkSource("""
    kernel u(x: f32[N]) -> f32[N] {
      let a = exp(y) + x * 2.0
      return a - x
    }
    """)
    #expect(c.errors.count == 1, "\(c.summary)")
    #expect(c.errors.first?.message == "undefined name 'y'")
    #expect(c.errors.first.map(c.position) == "2:15")
    #expect(c.warnings.isEmpty, "no unused warning for a let whose value failed")
}

@Test func everyErrorInAFileIsCollected() {
    let c = checkSource("""
    kernel u(x: f32[N]) -> f32[N] {
      let a = p + 1
      let b = q + 1
      return exp(x, x) + a + b
    }
    kernel v(x: f64[N]) -> f32[N] { return x }
    """)
    #expect(c.errors.map(\.id.code) == ["K2001", "K2001", "K2040", "K2003"], "\(c.summary)")
}

@Test func unaryMathNeedsFloatsButPromotesIntegerScalars() {
    let c = expectClean("""
    kernel m(x: f32[N], k: i32[N]) -> f32[N] {
      let r = 1.0 / sqrt(N)
      let a = abs(k)
      let b = relu(k)
      return x * r + (a + b) as f32
    }
    """)
    #expect(c.type(of: "sqrt(N)")?.description == "f32")
    #expect(c.type(of: "abs(k)")?.description == "i32[N]")
    expectError("""
    kernel m(k: i32[N]) -> f32[N] {
      return exp(k)
    }
    """, "K2057", at: "2:10", "'exp' needs a float argument, found hbm i32[N]; convert it with 'as f32'")
}

@Test func dimNamesAreI32Scalars() {
    let c = expectClean("""
    kernel d<N, D = 64>(x: f32[N, D]) -> f32[N, D] {
      return x / sqrt(D as f32)
    }
    """)
    #expect(c.type(of: "D as f32")?.description == "f32")
}

@Test func castsChangeOnlyTheDType() {
    let c = expectClean("""
    kernel c(x: f32[N, D]) -> bf16[N, D] {
      return x as bf16
    }
    """)
    #expect(c.type(of: "x as bf16")?.description == "bf16[N, D]")
    expectError("""
    kernel c(x: f32[N]) -> f32[N] {
      return x as f64
    }
    """, "K2003", at: "2:15", "unknown dtype 'f64'; expected one of f32, bf16, f16, f8e4m3, f8e4m3fn, f8e5m2, f4e2m1fn, i32, bool")
}

@Test func reductionsKeepTheReducedAxis() {
    let c = expectClean("""
    kernel r(x: f32[N, D]) -> f32[N, D] {
      let a = sum(x, axis: 0)
      let b = mean(x, axis: -1)
      let c = min(x)
      return x - a - b - c
    }
    """)
    #expect(c.type(of: "sum(x, axis: 0)")?.description == "f32[1, D]")
    #expect(c.type(of: "mean(x, axis: -1)")?.description == "f32[N, 1]")
    #expect(c.type(of: "min(x)")?.description == "f32[N, 1]")
    if let expr = c.findExpr("mean(x, axis: -1)") { #expect(c.program.reductionAxes[expr.id] == [1]) }
}

@Test func reductionAxisErrors() {
    expectError("""
    kernel r(x: f32[N, D]) -> f32[N, 1] {
      return max(x, axis: 2)
    }
    """, "K2045", at: "2:23", "axis 2 is out of range for a rank-2 value (axes are 0 and 1, or -1 and -2)")
    expectError("""
    kernel r(x: f32[N], k: i32) -> f32[1] {
      return sum(x, axis: k)
    }
    """, "K2044", at: "2:23", "must be an integer literal")
    expectError("""
    kernel r(x: f32[N]) -> f32[1] {
      return sum(x, 0)
    }
    """, "K2042", at: "2:17", "argument 2 of 'sum' must be labelled: write 'axis: ...'")
    expectError("""
    kernel r(x: f32[N]) -> f32[N] {
      return exp(x, axis: 0)
    }
    """, "K2041", at: "2:17", "'exp' has no argument labelled 'axis'")
    expectError("""
    kernel r(x: f32[N], s: f32) -> f32[1] {
      return sum(s)
    }
    """, "K2035", at: "2:10", "'sum' needs a tensor or a tile")
}

@Test func arityErrorsNameTheCounts() {
    expectError("""
    kernel a(x: f32[N]) -> f32[N] {
      return exp(x, x)
    }
    """, "K2040", at: "2:10", "'exp' takes 1 argument but 2 were given")
    expectError("""
    kernel a(x: f32[N]) -> f32[N] {
      return maximum(x)
    }
    """, "K2040", at: "2:10", "'maximum' takes 2 arguments but 1 was given")
}

@Test func matmulShapes() {
    let c = expectClean("""
    kernel matmul(a: bf16[M, K], b: bf16[K, N]) -> f32[M, N] {
      return a @ b
    }
    """)
    #expect(c.type(of: "a @ b")?.description == "f32[M, N]")
    expectError("""
    kernel mm(a: f32[M, K], b: f32[D, N]) -> f32[M, N] {
      return a @ b
    }
    """, "K2034", at: "2:10", "matmul inner dimensions differ: a is f32[M, K] but b is f32[D, N] (K != D)")
    expectError("""
    kernel mm(a: f32[M, K], b: bf16[K, N]) -> f32[M, N] {
      return matmul(a, b)
    }
    """, "K2036", at: "2:10", "same float dtype")
    expectError("""
    kernel mm(a: f32[K], b: f32[K, N]) -> f32[1, N] {
      return a @ b
    }
    """, "K2035", at: "2:10", "'@' needs operands of rank 2 or more, but a is hbm f32[K]")
}

@Test func batchedMatmulBroadcastsBatchDimsAndTransposeSwapsTheLastTwo() {
    let c = expectClean("""
    kernel mm(q: bf16[B, H, S, D], k: bf16[B, H, S, D], w: bf16[D, N], x: bf16[B, 1, S, D]) -> (o: f32[B, H, S, S], p: f32[B, 1, S, N]) {
      let z = x @ k.T
      return q @ k.T + z, x @ w
    }
    """)
    #expect(c.type(of: "k.T")?.description == "bf16[B, H, D, S]")
    #expect(c.type(of: "x @ w")?.description == "f32[B, 1, S, N]")
    #expect(c.type(of: "x @ k.T")?.description == "f32[B, H, S, S]")
    expectError("""
    kernel mm(a: f32[B, M, K], b: f32[H, K, N]) -> f32[B, M, N] {
      return a @ b
    }
    """, "K2088", at: "2:10", "matmul batch dims do not broadcast: a is f32[B, M, K] but b is f32[H, K, N] (result axis 0: B != H)")
    expectError("""
    kernel r(x: i32[B, S, D]) -> i32[1, S, D] {
      return mean(x, axis: 0)
    }
    """, "K2089", at: "2:24", "reductions take float tensors, or i32 for sum, max and min")
}

@Test func reductionsOverSeveralAxes() {
    let c = expectClean("""
    kernel r(x: f32[B, H, S, D]) -> f32[B, H, 1, 1] {
      return mean(x, axis: (2, -1))
    }
    """)
    if let expr = c.findExpr("mean(x, axis: (2, -1))") { #expect(c.program.reductionAxes[expr.id] == [2, 3]) }
    expectError("""
    kernel r(x: f32[S, D]) -> f32[1, 1] {
      return sum(x, axis: (1, -1))
    }
    """, "K2086", at: "2:27", "axis -1 of 'sum' is listed twice")
    expectError("""
    kernel r(x: f32[S, D]) -> f32[S, D] {
      let t = (x, x)
      return x
    }
    """, "K2085", at: "2:11", "only allowed as the axes of a reduction")
}

@Test func transposeAndMemberT() {
    let c = expectClean("""
    kernel t(x: f32[N, D]) -> f32[D, N] {
      let y = transpose(x)
      return y + x.T
    }
    """)
    #expect(c.type(of: "x.T")?.description == "f32[D, N]")
    expectError("""
    kernel t(x: f32[N, D]) -> f32[D, N] {
      return x.H
    }
    """, "K2037", at: "2:12", "unknown member '.H'; the only member is '.T'")
}

@Test func selectAndWhereBroadcastAllThree() {
    let c = expectClean("""
    kernel s(x: f32[N, D], c: bool[N, 1]) -> f32[N, D] {
      return where(c, x, 0)
    }
    """)
    #expect(c.type(of: "where(c, x, 0)")?.description == "f32[N, D]")
    expectError("""
    kernel s(x: f32[N]) -> f32[N] {
      return select(x, x, x)
    }
    """, "K2032", at: "2:10", "'select' needs a bool condition")
}

@Test func namesThatAreNotValues() {
    expectError("""
    kernel n(x: f32[N]) -> f32[N] {
      return x + f32
    }
    """, "K2004", at: "2:14", "'f32' is a dtype, not a value")
    expectError("""
    kernel n(x: f32[N]) -> f32[N] {
      return x + exp
    }
    """, "K2004", at: "2:14", "'exp' is a function, not a value")
    expectError("""
    kernel n(x: f32[N]) -> f32[N] {
      return f32(x)
    }
    """, "K2006", at: "2:10", "undefined function 'f32'; to convert a value write 'x as f32'")
}

@Test func kernelsCannotBeCalled() {
    let c = checkSource("""
    kernel a(x: f32[N]) -> f32[N] { return x }
    kernel b(x: f32[N]) -> f32[N] { return a(x) }
    """)
    #expect(c.errors.map(\.id.code) == ["K2007"], "\(c.summary)")
    #expect(c.errors.first?.message.contains("kernel 'a' cannot be called") == true)
    #expect(c.errors.first?.notes.first?.message == "declared here")
}
