// DumperAndRobustnessTests.swift: the AST dump's format, and pathological input that must not crash.

import KilnSema
import KilnSource
import Testing

@Test func dumpShowsKindsPositionsAndTypes() {
    let c = expectClean("""
    kernel softmax<N = 256, D = 512>(x: f32[N, D]) -> f32[N, D] {
      let m = max(x, axis: 1)
      return exp(x - m)
    }
    """)
    let dump = ASTDumper.dump(c.program, source: c.source)
    #expect(dump == """
    kernel softmax <N=256, D=512> @1:1
      dim N = 256 @1:16
      dim D = 512 @1:25
      param x: hbm f32[N, D] @1:34
      result out: hbm f32[N, D] @1:51
      let m @2:3
        call max (axis 1) : f32[N, 1] @2:11
          name x (param) : hbm f32[N, D] @2:15
          axis: int 1 : i32 @2:24
      return @3:3
        call exp : f32[N, D] @3:10
          binary - : f32[N, D] @3:14
            name x (param) : hbm f32[N, D] @3:14
            name m (let) : f32[N, 1] @3:18

    """)
}

@Test func dumpIsDeterministicAndMarksErrors() {
    let text = """
    fn h<K>(v: f32[K]) -> f32[K] { return v * 2 }
    kernel k(x: f32[N]) -> f32[N] {
      for i in 0 ..< 1 step 1 { }
      return h(x) + y
    }
    """
    let a = checkSource(text)
    let b = checkSource(text)
    let dumpA = ASTDumper.dump(a.program, source: a.source)
    #expect(dumpA == ASTDumper.dump(b.program, source: b.source))
    #expect(dumpA.contains("call h (fn, K = N) : f32[N] @4:10"))
    #expect(dumpA.contains("name y : <error> @4:17"))
    #expect(dumpA.contains("  for i @3:3\n    lower: int 0 : i32 @3:12\n"))
    #expect(dumpA.contains("fn h <K> @1:1\n  dim K @1:6\n  param v: f32[K] @1:9\n  returns f32[K] @1:23\n"))
}

@Test func dumpShowsTileFormSlicesAndVoidStores() {
    let c = expectClean(tiledMatmul)
    let dump = ASTDumper.dump(c.program, source: c.source)
    #expect(dump.hasPrefix("kernel mm <M, K, N> (tile form) @1:1\n  schedule tile_m=128 tile_n=512 tile_k=128 bufs=2 @1:1\n"))
    #expect(dump.contains("slice from k size 128 @7:24"))
    #expect(dump.contains("call store : void @11:7"))
    #expect(dump.contains("var acc: psum f32[128, 512] @5:7\n        fill: float 0.0 : f32 @5:37"))
}

@Test func longOperatorChainsAreLimitedNotOverflowed() {
    let chain = "x" + String(repeating: " + x", count: 5000)
    let c = checkSource("kernel k(x: f32[N]) -> f32[N] {\n  return \(chain)\n}\n")
    #expect(c.errors.map(\.id.code) == ["K1105"], "\(c.summary)")
    _ = ASTDumper.dump(c.program, source: c.source)
    let ok = checkSource("kernel k(x: f32[N]) -> f32[N] {\n  return x\(String(repeating: " + x", count: 500))\n}\n")
    #expect(ok.errors.isEmpty)
}

@Test func deeplyNestedParenthesesAreHandled() {
    let nested = String(repeating: "(", count: 300) + "x" + String(repeating: ")", count: 300)
    let c = checkSource("kernel k(x: f32[N]) -> f32[N] { return \(nested) }")
    #expect(c.parseDiagnostics.contains { $0.id.code == "K1105" } || c.errors.isEmpty)
}

@Test func parserRecoveryNodesStaySilent() {
    let c = checkSource("""
    kernel k(x: f32[N]) -> f32[N] {
      let y = x + )
      return x
    }
    """)
    #expect(!c.parseDiagnostics.isEmpty)
    #expect(c.errors.isEmpty, "\(c.summary)")
}

@Test(arguments: [
    "kernel k(x: f32[N]) -> f32[N] { return x[9223372036854775807 : 9223372036854775807, ] }",
    "kernel k(x: f32[N]) -> f32[N] { for i in -9223372036854775807 - 1 ..< 0 { } return x }",
    "kernel k(x: f32[N]) -> f32[N] { return sum(x, axis: -9223372036854775807) }",
    "fn f<K = 9223372036854775807>(a: f32[K + K]) -> f32[K] { return sum(a) }",
    "kernel k(x: f32[N]) -> f32[N] { store(out[0 : 9223372036854775807 * 2], load(x)) }",
    "kernel k(x: f32[3]) -> f32[3] { return x }\nkernel k(x: f32[3]) -> f32[3] { return x }",
    "kernel k() -> f32[1] { }",
    "",
])
func pathologicalProgramsDoNotCrash(text: String) {
    let c = checkSource(text)
    _ = ASTDumper.dump(c.program, source: c.source)
    for kernel in c.program.kernels { _ = kernel.bindDims([:]) }
}

@Test func longElseIfChainsAreLimitedNotOverflowed() {
    // Each `else if` nests a level: a chain longer than the parser's depth limit is K1105, not a stack overflow.
    func chain(_ links: Int) -> String {
        "kernel k<N = 4>(x: f32[N, 4]) -> f32[N, 4] {\n  for i in 0 ..< N {\n    if i == 0 { store(out[i : i + 1, :], load(x[i : i + 1, :])) }\n"
            + (1..<links).map { "    else if i == \($0) { store(out[i : i + 1, :], load(x[i : i + 1, :])) }\n" }.joined()
            + "  }\n}\n"
    }
    let deep = checkSource(chain(5000))
    #expect(deep.parseDiagnostics.contains { $0.id.code == "K1105" })
    _ = ASTDumper.dump(deep.program, source: deep.source)
    let ok = checkSource(chain(100))
    #expect(ok.parseDiagnostics.isEmpty && ok.errors.isEmpty, "\(ok.summary)")
}
