// BatchNormStatsTests.swift: the types of bn_stats / bn_aggr and their limits (K2175, K2176), also once dims bind.

import KilnSema
import KilnSource
import Testing

@Test func bnStatsGivesSixF32ColumnsAndBnAggrTwo() {
    let c = expectClean("""
    kernel t<N = 128>(x: bf16[N, 512]) -> f32[N, 2] {
      for i in 0 ..< N step 128 {
        let s = bn_stats(load(x[i : i + 128, :]))
        store(out[i : i + 128, :], bn_aggr(s))
      }
    }
    """)
    #expect(c.type(of: "bn_stats(load(x[i : i + 128, :]))")?.description == "sbuf f32[128, 6]")
    #expect(c.type(of: "bn_aggr(s)")?.description == "sbuf f32[128, 2]")
}

@Test func bnStatsReadsAtMost512ElementsAndBnAggrWholeTuples() throws {
    let c = checkSource("""
    kernel t<N = 128, W = 64>(x: f32[N, W]) -> f32[N, 6] {
      for i in 0 ..< N step 128 {
        store(out[i : i + 128, :], bn_stats(load(x[i : i + 128, :])))
      }
    }
    """)
    #expect(c.errors.isEmpty, "\(c.summary)")
    let k = try #require(c.kernel("t"))
    #expect(!k.bindDims(["N": 128, "W": 512]).1.hasErrors)
    #expect(k.bindDims(["N": 128, "W": 513]).1.sorted().map(\.id.code) == ["K2175"])
    let bad = checkSource("""
    kernel t<N = 128>(x: f32[N, 600]) -> f32[N, 2] {
      for i in 0 ..< N step 128 {
        let t = load(x[i : i + 128, :])
        store(out[i : i + 128, :], bn_aggr(bn_stats(t)))
        let a = bn_aggr(t[:, 0 : 4])
      }
    }
    """)
    #expect(bad.errors.map(\.id.code) == ["K2175", "K2176"], "\(bad.summary)")
}
