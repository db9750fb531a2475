// TopKTests.swift: the types of topk / argtopk, and their limits on k and on the rows searched.

import KilnSema
import KilnSource
import Testing

@Test func topkKeepsTheDtypeAndArgtopkGivesI32() {
    let c = expectClean("""
    kernel t(x: bf16[B, N, 64], y: f32[16]) -> (a: bf16[B, N, 5], b: i32[B, N, 5], c: f32[8]) {
      return topk(x, 5), argtopk(x, 5), topk(y, 8)
    }
    """)
    #expect(c.type(of: "topk(x, 5)")?.description == "bf16[B, N, 5]")
    #expect(c.type(of: "argtopk(x, 5)")?.description == "i32[B, N, 5]")
    #expect(c.type(of: "topk(y, 8)")?.description == "f32[8]")
}

@Test func kIsALiteralFromOneToEight() {
    expectError("kernel t(x: f32[4, 64]) -> f32[4, 9] { return topk(x, 9) }", "K2166", at: "1:55",
                "'topk' takes k as an integer literal from 1 to 8")
    expectError("kernel t(x: f32[4, 64], k: i32) -> f32[4, 2] { return argtopk(x, k) }", "K2166", at: "1:66",
                "found 'k'")
}

@Test func theRowsSearchedHoldEightTo16384Elements() throws {
    expectError("kernel t(x: f32[4, 6]) -> f32[4, 2] { return topk(x, 2) }", "K2167", at: "1:46",
                "'topk' searches rows of 8 to 16384 elements (and at least k = 2); this row has 6")
    let c = checkSource("kernel t(x: f32[N, D]) -> f32[N, 3] { return topk(x, 3) }")
    #expect(c.errors.isEmpty, "\(c.summary)")
    let k = try #require(c.kernel("t"))
    #expect(!k.bindDims(["N": 2, "D": 8]).1.hasErrors)
    #expect(k.bindDims(["N": 2, "D": 7]).1.sorted().map(\.id.code) == ["K2167"])
    #expect(k.bindDims(["N": 2, "D": 16385]).1.sorted().map(\.id.code) == ["K2167"])
}
