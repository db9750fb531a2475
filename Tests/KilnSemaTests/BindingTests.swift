// BindingTests.swift: binding kernel dims from --dim, input shapes and defaults, and re-checked limits.

import KilnSema
import KilnSource
import Testing

private func kernel(_ text: String, _ name: String = "k") throws -> (CheckedKernel, Checked) {
    let c = checkSource(text)
    #expect(c.errors.isEmpty, "\(c.summary)")
    return (try #require(c.kernel(name)), c)
}

@Test func flagsAndDefaultsBindEveryDim() throws {
    let (k, _) = try kernel("kernel k<N = 256, D>(x: f32[N, D]) -> f32[N, D] { return x }")
    let (bound, bag) = k.bindDims(["D": 512])
    #expect(!bag.hasErrors)
    #expect(bound?.sizes == ["N": 256, "D": 512])
    #expect(bound?.ordered.map(\.name) == ["N", "D"])
    let (overridden, _) = k.bindDims(["N": 8, "D": 4])
    #expect(overridden?.sizes == ["N": 8, "D": 4])
    #expect(overridden?.shape(of: k.params[0].type) == [8, 4])
}

@Test func unboundDimsNameTheFlag() throws {
    let (k, c) = try kernel("kernel softmax(x: f32[N, D]) -> f32[N, D] { return x }", "softmax")
    let (bound, bag) = k.bindDims(["N": 4])
    #expect(bound == nil)
    let errors = bag.sorted()
    #expect(errors.map(\.id.code) == ["K2112"])
    #expect(errors.first?.message == "dim 'D' of kernel 'softmax' has no size; pass --dim D=SIZE or give it a default in the kernel's <...> list")
    #expect(errors.first.map { c.position($0) } == "1:26")
}

@Test func badFlagsAreReported() throws {
    let (k, _) = try kernel("kernel k<N>(x: f32[N]) -> f32[N] { return x }")
    let (bound, bag) = k.bindDims(["N": 0, "Q": 3])
    #expect(bound == nil)
    #expect(Set(bag.sorted().map(\.id.code)) == ["K2110", "K2111"])
    let messages = bag.sorted().map(\.message)
    #expect(messages.contains("--dim N=0: a dim size must be positive"))
    #expect(messages.contains("--dim Q=...: kernel 'k' has no dim 'Q' (its dims are N)"))
}

@Test func inputShapesBindDims() throws {
    let (k, _) = try kernel("kernel k(x: f32[N, D], y: f32[D]) -> f32[N, D] { return x + y }")
    let (bound, bag) = k.bindDims([:], inputShapes: ["x": [3, 5], "y": [5]])
    #expect(!bag.hasErrors)
    #expect(bound?.sizes == ["N": 3, "D": 5])
    let (conflict, bag2) = k.bindDims([:], inputShapes: ["x": [3, 5], "y": [6]])
    #expect(conflict == nil)
    #expect(bag2.sorted().first?.id.code == "K2114")
}

@Test func symbolicLimitsAreRecheckedAfterBinding() throws {
    let (k, c) = try kernel("""
    kernel k<N, D>(x: f32[N, D]) -> f32[N, D] {
      let t = load(x)
      store(out, t)
    }
    """)
    let (ok, okBag) = k.bindDims(["N": 128, "D": 4])
    #expect(ok != nil && !okBag.hasErrors)
    let (bound, bag) = k.bindDims(["N": 256, "D": 4])
    #expect(bound == nil)
    let error = bag.sorted().first
    #expect(error?.id.code == "K2024")
    #expect(error?.message == "partition dim N = 256 exceeds the 128 SBUF partitions")
    #expect(error.map { c.position($0) } == "2:11")
}

@Test func matmulLimitsAreRecheckedAfterBinding() throws {
    let (k, _) = try kernel("""
    kernel k<K, M, N>(a: bf16[K, M], b: bf16[K, N]) -> f32[M, N] {
      store(out, copy(nc_matmul(load(a), load(b))))
    }
    """)
    let (_, bag) = k.bindDims(["K": 128, "M": 128, "N": 1024])
    #expect(bag.sorted().map(\.id.code) == ["K2052"])
    #expect(bag.sorted().first?.message.contains("N (moving free dim, one PSUM bank) is N = 1024") == true)
}

@Test func hugeDimsGiveDiagnosticsNotTraps() throws {
    let (k, _) = try kernel("kernel k<N = 9223372036854775807>(x: f32[N + 1]) -> f32[N + 1] { return x }")
    let (bound, bag) = k.bindDims([:])
    #expect(bound == nil)
    #expect(bag.sorted().first?.id.code == "K2113")
    #expect(bag.sorted().first?.message.contains("overflows") == true)
    let (k2, _) = try kernel("kernel k(x: f32[4611686018427387904]) -> f32[1] { return sum(x) }")
    let (bound2, bag2) = k2.bindDims([:])
    #expect(bound2 == nil)
    #expect(bag2.sorted().first?.message.contains("byte size that overflows") == true)
    let c = checkSource("kernel k(x: f32[9223372036854775807 + 1]) -> f32[1] { return sum(x) }")
    #expect(c.errors.map(\.id.code) == ["K2013"], "\(c.summary)")
}

@Test func compoundDimsMustStayPositive() throws {
    let (k, _) = try kernel("kernel k<N>(x: f32[N - 4]) -> f32[1] { return sum(x) }")
    #expect(k.bindDims(["N": 8]).0 != nil)
    let (bound, bag) = k.bindDims(["N": 2])
    #expect(bound == nil)
    #expect(bag.sorted().first?.message == "dim 'N - 4' is -2; a dim size must be positive")
}
