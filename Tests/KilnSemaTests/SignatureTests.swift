// SignatureTests.swift: kernel dims, parameters, results, defaults and the @schedule attribute.

import KilnSema
import KilnSyntax
import KilnSource
import Testing

@Test func declaredAndImplicitDims() throws {
    let c = expectClean("""
    kernel k<N = 256, D>(x: f32[N, D], y: f32[M]) -> f32[N, D] { return x + sum(y) }
    """)
    let kernel = try #require(c.kernel("k"))
    #expect(kernel.dims.map(\.name) == ["N", "D", "M"])
    #expect(kernel.dims.map(\.defaultSize) == [256, nil, nil])
    #expect(kernel.dims.map(\.isDeclared) == [true, true, false])
    #expect(kernel.params.map(\.type.description) == ["hbm f32[N, D]", "hbm f32[M]"])
}

@Test func resultDimsMustBeIntroduced() {
    expectError("""
    kernel k(x: f32[N]) -> f32[M] { return x }
    """, "K2016", at: "1:28", "result shape uses dim 'M' that no parameter shape or the kernel's <...> list introduces")
}

@Test func scalarParamsAndDefaults() throws {
    let c = expectClean("""
    kernel k(x: f32[N], eps: f32 = 1e-5, n: i32 = -3, flag: bool = true, half: f32 = 1) -> f32[N] {
      return select(flag, x + eps * half, x * n)
    }
    """)
    let kernel = try #require(c.kernel("k"))
    #expect(kernel.params.map(\.defaultValue) == [nil, .float(1e-5), .int(-3), .bool(true), .float(1)])
    #expect(kernel.params[1].type.description == "f32")
    expectError("""
    kernel k(x: f32[N] = 0.0) -> f32[N] { return x }
    """, "K2021", at: "1:22", "only scalar parameters take a default value; 'x' is a tensor")
    expectError("""
    kernel k(x: f32[N], n: i32 = 1.5) -> f32[N] { return x }
    """, "K2022", at: "1:30", "default value of 'n' is 1.5, which is not a valid i32 value")
    expectError("""
    kernel k(x: f32[N], n: i32 = N) -> f32[N] { return x }
    """, "K2022", at: "1:30", "must be a literal")
}

@Test func kernelTensorsLiveInHBM() {
    expectClean("kernel k(x: hbm f32[N]) -> hbm f32[N] { return x }")
    expectError("""
    kernel k(x: sbuf f32[N]) -> f32[N] { return x }
    """, "K2017", at: "1:13", "kernel parameter 'x' cannot be in sbuf; kernel tensors live in hbm")
    expectError("""
    kernel k(x: f32[N]) -> f32 { return sum(x) }
    """, "K2023", at: "1:24", "kernel results are tensors")
    expectError("""
    kernel k(x: f32[N], s: sbuf f32) -> f32[N] { return x }
    """, "K2020", at: "1:24", "only tensors and tiles have a memory space")
}

@Test func rankAboveFourIsAnError() {
    expectError("""
    kernel k(x: f32[A, B, C, D, E]) -> f32[A, B] { return sum(x) }
    """, "K2010", at: "1:13", "'f32[A, B, C, D, E]' has rank 5; tensors have rank 1 to 4")
}

@Test func shapeDimsAreAffineIntegerExpressions() throws {
    let c = expectClean("""
    kernel k<N>(x: f32[N + 1, 2 * N]) -> f32[N + 1, 2 * N] { return x }
    """)
    #expect(try #require(c.kernel("k")).params[0].type.description == "hbm f32[N + 1, 2*N]")
    expectError("kernel k(x: f32[N * D]) -> f32[1] { return sum(x) }", "K2012", at: "1:17",
                "'N * D' multiplies two non-constant values")
    expectError("kernel k(x: f32[0]) -> f32[1] { return sum(x) }", "K2014", at: "1:17",
                "dim '0' is 0; a dim size must be positive")
    expectError("kernel k(x: f32[1.5]) -> f32[1] { return sum(x) }", "K2011", at: "1:17",
                "a shape dim must be an integer, a dim name, or + - * of them; found '1.5'")
    expectError("kernel k<N = 0>(x: f32[N]) -> f32[N] { return x }", "K2025", at: "1:10",
                "default size of dim 'N' is 0")
}

@Test func duplicateNamesInASignature() {
    expectError("kernel k<N>(N: i32, x: f32[N]) -> f32[N] { return x }", "K2002", at: "1:13",
                "'N' is already defined in kernel 'k'")
    expectError("kernel k(x: f32[N], x: f32[N]) -> f32[N] { return x }", "K2002", at: "1:21",
                "'x' is already defined in kernel 'k'")
}

@Test func scheduleAttributeChecks() {
    expectError("""
    @schedule(tile_x: 4)
    kernel k(x: f32[N]) -> f32[N] { return x }
    """, "K2101", at: "1:11", "'@schedule' has no argument 'tile_x'; expected tile_m, tile_n, tile_k, bufs")
    expectError("""
    @schedule(tile_m: 0)
    kernel k(x: f32[N]) -> f32[N] { return x }
    """, "K2102", at: "1:19", "'tile_m' must be a positive integer literal")
    expectError("""
    @inline
    kernel k(x: f32[N]) -> f32[N] { return x }
    """, "K2100", at: "1:2", "unknown attribute '@inline'")
    expectError("""
    @schedule(bufs: 2)
    fn f(x: f32[N]) -> f32[N] { return x }
    """, "K2103", at: "1:2", "'@schedule' applies to kernels only")
    expectError("""
    @schedule(bufs: 2, bufs: 3)
    kernel k(x: f32[N]) -> f32[N] { return x }
    """, "K2104", at: "1:20", "argument 'bufs' of '@schedule' is given twice")
}

/// The parser requires labels on attribute arguments; the checker still guards against unlabelled ones
/// in a hand-built tree.
@Test func unlabelledAttributeArgumentsInAHandBuiltTree() {
    let source = SourceFile(path: "hand.kiln", text: "@schedule(128)\nkernel k() -> f32[1] { }\n")
    func span(_ start: Int, _ end: Int) -> SourceSpan { SourceSpan(file: "hand.kiln", start: start, end: end) }
    let value = Expr(id: 0, kind: .integer(128), span: span(10, 13))
    let attribute = Attribute(name: Identifier("schedule", span: span(1, 9)),
                              arguments: [Argument(label: nil, value: value)], span: span(0, 14))
    let resultType = TypeSyntax(space: nil, dtype: Identifier("f32", span: span(29, 32)),
                                shape: [Expr(id: 1, kind: .integer(1), span: span(33, 34))], span: span(29, 35))
    let kernel = KernelDecl(attributes: [attribute], name: Identifier("k", span: span(22, 23)), dims: [], params: [],
                            results: [ResultDecl(name: nil, type: resultType, span: span(29, 35))],
                            body: Block(statements: [], span: span(36, 39)), span: span(0, 39))
    let (_, bag) = Sema.check(SourceFileSyntax(items: [.kernel(kernel)], expressionCount: 2), source: source)
    let codes = bag.sorted().map(\.id.code)
    #expect(codes == ["K2105", "K2080"])
    #expect(bag.sorted().first?.message == "arguments of '@schedule' are labelled, e.g. '@schedule(tile_m: 128)'")
}

@Test func tileRankAboveTheTensorLimitIsAnError() {
    expectError("""
    kernel k(x: f32[128, 4]) -> f32[128, 4] { var t: sbuf f32[128, 2, 2, 1, 1] = load(x); return x }
    """, "K2010", at: "1:50", "tiles have rank 1 to 4")
}
