// TileTests.swift: tile-level typing: load, store, nc_matmul, copy, var buffers, slices and partition limits.

import KilnSema
import KilnSource
import Testing

let tiledMatmul = """
@schedule(tile_m: 128, tile_n: 512, tile_k: 128, bufs: 2)
kernel mm<M, K, N>(a: bf16[K, M], b: bf16[K, N]) -> f32[M, N] {
  for m in 0 ..< M step 128 {
    for n in 0 ..< N step 512 {
      var acc: psum f32[128, 512] = 0.0
      for k in 0 ..< K step 128 {
        let s = load(a[k : k + 128, m : m + 128])
        let t = load(b[k : k + 128, n : n + 512])
        acc += nc_matmul(s, t)
      }
      store(out[m : m + 128, n : n + 512], copy(acc))
    }
  }
}
"""

@Test func tiledMatmulTypeChecks() throws {
    let c = expectClean(tiledMatmul)
    let kernel = try #require(c.kernel("mm"))
    #expect(kernel.isTileForm)
    #expect(kernel.schedule?.tileM == 128 && kernel.schedule?.tileN == 512)
    #expect(kernel.schedule?.tileK == 128 && kernel.schedule?.bufs == 2)
    #expect(c.type(of: "load(a[k : k + 128, m : m + 128])")?.description == "sbuf bf16[128, 128]")
    #expect(c.type(of: "nc_matmul(s, t)")?.description == "psum f32[128, 512]")
    #expect(c.type(of: "copy(acc)")?.description == "sbuf f32[128, 512]")
    let slice = try #require(c.findExpr("a[k : k + 128, m : m + 128]"))
    let infos = try #require(c.program.slices[slice.id])
    #expect(infos.map(\.size.description) == ["128", "128"])
    #expect(infos.map(\.lower.description) == ["k", "m"])
}

@Test func wholeTensorKernelsAreNotTileForm() throws {
    let c = expectClean("kernel e(x: f32[N]) -> f32[N] { return exp(x) }")
    #expect(try #require(c.kernel("e")).isTileForm == false)
}

@Test func plainIndexIsASizeOneSlice() {
    let c = expectClean("""
    kernel rows(x: f32[N, D]) -> f32[N, D] {
      for i in 0 ..< N {
        let r = load(x[i, :])
        store(out[i, :], r)
      }
    }
    """)
    #expect(c.type(of: "x[i, :]")?.description == "hbm f32[1, D]")
}

@Test func remainderSlicesUseAffineSizes() {
    let c = expectClean("""
    kernel tail<N, D>(x: f32[N, D]) -> f32[N, D] {
      for i in 0 ..< N step 128 {
        let t = load(x[i : i + 128, 0 : D])
        store(out[i : i + 128, :], exp(t))
      }
    }
    """)
    #expect(c.type(of: "exp(t)")?.description == "sbuf f32[128, D]")
}

@Test func sliceSizeMustNotDependOnALoopVariable() {
    expectError("""
    kernel s(x: f32[N, D]) -> f32[N, D] {
      for i in 0 ..< N step 128 {
        store(out[i : i + 128, :], load(x[i : N, :]))
      }
    }
    """, "K2063", at: "3:39", "slice size 'N - i' depends on loop variable 'i'")
}

@Test func sliceBoundsMustBeAffine() {
    expectError("""
    kernel s(x: f32[N, D], k: i32) -> f32[N, D] {
      store(out[k, :], load(x[0 : 1, :]))
    }
    """, "K2062", at: "2:13", "'k' is a parameter")
    expectError("""
    kernel s(x: f32[N, D]) -> f32[N, D] {
      store(out[1.5 : 2, :], load(x[0 : 1, :]))
    }
    """, "K2066", at: "2:13", "a slice bound must be an i32 scalar, found f32")
}

@Test func slicesNeedOneItemPerDim() {
    expectError("""
    kernel s(x: f32[N, D]) -> f32[N, D] {
      let t = load(x[0 : 128])
      store(out[0 : 128, :], t)
    }
    """, "K2060", at: "2:16", "hbm f32[N, D] has rank 2 but 1 index item was given")
}

@Test func emptyAndOutOfBoundsSlices() {
    expectError("""
    kernel s(x: f32[256, 64]) -> f32[256, 64] {
      store(out[0 : 128, :], load(x[5 : 3, :]))
    }
    """, "K2064", at: "2:33", "slice size is -2")
    expectError("""
    kernel s(x: f32[256, 64]) -> f32[256, 64] {
      store(out[0 : 128, :], load(x[300 : 428, :]))
    }
    """, "K2065", at: "2:33", "slice starts at 300, outside a dim of size 256")
}

@Test func computedValuesAreSlicedAsWholeTensorsButNotLoaded() throws {
    let c = expectClean("""
    kernel s(x: f32[N, 2 * D]) -> f32[1, D] {
      let e = exp(x)
      return e[0 : 1, D : 2 * D]
    }
    """)
    #expect(c.type(of: "e[0 : 1, D : 2 * D]")?.description == "f32[1, D]")
    expectError("""
    kernel s(x: f32[256, 4]) -> f32[128, 4] {
      let e = exp(x)
      store(out[:, :], load(e[0 : 128, :]))
    }
    """, "K2061", at: "3:25", "only hbm tensors and tiles can be sliced")
}

@Test func wholeTensorSlicesEndInsideTheirDims() {
    expectError("""
    kernel s(x: f32[N, 8]) -> f32[N, 4] {
      return x[:, 6 : 10]
    }
    """, "K2126", at: "2:15", "slice ends at 10, past the end of a dim of size 8")
}

@Test func tileSlicesAreTilesOfLeadingPartitionsAndOneRun() {
    let checked = expectClean("""
    kernel s(x: f32[128, 256]) -> f32[128, 128] {
      let t = load(x)
      for c in 0 ..< 2 {
        store(out[0 : 64, c * 64 : c * 64 + 64], t[0 : 64, c * 128 : c * 128 + 64])
      }
    }
    """)
    // The slice's bounds read c: its loop is unrolled, so the copy's offset is a constant.
    #expect(Set(checked.program.unrolledLoops.map { checked.source.text(of: $0) }) == ["c"])
    expectError("""
    kernel s(x: f32[128, 256]) -> f32[64, 256] {
      let t = load(x)
      store(out[:, :], t[64 : 128, :])
    }
    """, "K2161", at: "3:22", "a tile's slice keeps its leading partitions")
    expectError("""
    kernel s(x: f32[128, 4, 8]) -> f32[128, 4, 2] {
      let t = load(x[:, :, :])
      store(out[:, :, :], t[:, :, 0 : 2])
    }
    """, "K2162", at: "3:31", "is not one contiguous run of each partition")
}

@Test func partitionDimIsLimitedTo128() {
    expectError("""
    kernel p(x: f32[128]) -> f32[128] {
      var t: sbuf f32[256, 4] = 0.0
      store(out, load(x))
    }
    """, "K2024", at: "2:10", "partition dim 256 exceeds the 128 SBUF partitions")
    expectError("""
    kernel p(x: f32[N, D]) -> f32[N, D] {
      store(out[0 : 256, :], load(x[0 : 256, :]))
    }
    """, "K2024", at: "2:26", "partition dim 256 exceeds the 128 SBUF partitions")
}

@Test func mixingTilesAndWholeTensorsSaysLoadFirst() {
    expectError("""
    kernel m(x: f32[N, D]) -> f32[N, D] {
      let t = load(x[0 : 128, :])
      store(out[0 : 128, :], t + x)
    }
    """, "K2033", at: "3:26", "load it first")
}

@Test func storingFromPSUMSaysCopyFirst() {
    expectError("""
    kernel s(a: bf16[128, 128], b: bf16[128, 512]) -> f32[128, 512] {
      let p = nc_matmul(load(a), load(b))
      store(out, p)
    }
    """, "K2048", at: "3:14", "copy it to SBUF first")
}

@Test func storeNeedsAResultAndAnSBUFTileOfTheSameShape() {
    expectError("""
    kernel s(x: f32[N, D]) -> f32[N, D] {
      store(x[0 : 128, :], load(x[0 : 128, :]))
    }
    """, "K2047", at: "2:9", "must be a kernel result or a slice of one (results: 'out')")
    expectError("""
    kernel s(x: f32[N, D]) -> f32[N, D] {
      store(out[0 : 64, :], load(x[0 : 128, :]))
    }
    """, "K2050", at: "2:25", "expected f32[64, D], found sbuf f32[128, D]")
    expectError("""
    kernel s(x: f32[N, D]) -> f32[N, D] {
      store(out, x)
    }
    """, "K2049", at: "2:14", "the value stored must be an sbuf tile, found hbm f32[N, D]")
}

@Test func storeConvertsTheDTypeOnTheWayOut() {
    expectClean("""
    kernel s(x: f32[128, 64]) -> bf16[128, 64] {
      store(out, load(x))
    }
    """)
}

@Test func resultsCannotBeRead() {
    expectError("""
    kernel r(x: f32[N]) -> f32[N] {
      let y = out
      return x
    }
    """, "K2005", at: "2:11", "result 'out' cannot be read")
}

@Test func ncMatmulChecksOperandsAndLimits() {
    expectError("""
    kernel n(a: bf16[128, 128], b: bf16[64, 512]) -> f32[128, 512] {
      let p = nc_matmul(load(a), load(b))
      store(out, copy(p))
    }
    """, "K2051", at: "2:11", "stationary is sbuf bf16[128, 128] but moving is sbuf bf16[64, 512] (128 != 64)")
    expectError("""
    kernel n(a: bf16[128, 128], b: bf16[128, 1024]) -> f32[128, 1024] {
      store(out, copy(nc_matmul(load(a), load(b))))
    }
    """, "K2052", at: "2:19", "nc_matmul N (moving free dim, one PSUM bank) is 1024, above the limit of 512")
    expectError("""
    kernel n(a: bf16[128, 128], b: bf16[128, 512]) -> f32[128, 512] {
      store(out, copy(nc_matmul(a, load(b))))
    }
    """, "K2049", at: "2:19", "the stationary operand of 'nc_matmul' must be an sbuf tile, found hbm bf16[128, 128]; load it first")
}

@Test func wholeTensorOpsOnTilesAreErrors() {
    expectError("""
    kernel w(a: f32[128, 128]) -> f32[128, 128] {
      let t = load(a)
      store(out, t @ t)
    }
    """, "K2038", at: "3:14", "on tiles use nc_matmul")
}

@Test func tileElementwiseOpsGiveSBUFTiles() {
    let c = expectClean("""
    kernel e(x: f32[128, D]) -> f32[128, D] {
      let t = load(x)
      let m = max(t, axis: 1)
      store(out, select(t > 0.0, exp(t - m), t as bf16 as f32))
    }
    """)
    #expect(c.type(of: "max(t, axis: 1)")?.description == "sbuf f32[128, 1]")
    #expect(c.type(of: "t - m")?.description == "sbuf f32[128, D]")
}

@Test func loadReadsOnlyHBM() {
    expectError("""
    kernel l(x: f32[128, 4]) -> f32[128, 4] {
      let t = load(x)
      store(out, load(t))
    }
    """, "K2046", at: "3:14", "'load' reads an hbm tensor")
}

@Test func malformedStoresGiveOneError() {
    expectError("""
    kernel s(x: f32[128, 4]) -> f32[128, 4] {
      store(out)
    }
    """, "K2040", at: "2:3", "'store' takes 2 arguments but 1 was given")
    expectError("""
    fn f(a: f32[K]) -> f32[K] {
      store(out, a)
      return a
    }
    """, "K2053", at: "2:3", "'store' is tile-level and can only be used in a kernel")
}
