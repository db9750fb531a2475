// TileRank3Tests.swift: tiles with several free dims: the load/store slice rule, broadcasting, reductions, reshape.

import KilnSema
import KilnSource
import KilnSyntax
import Testing

@Test func loadsKeepTheDimsFromTheFirstRange() throws {
    let c = checkSource("""
    kernel k<B = 2, S = 256, H = 4, D = 64>(x: f32[B, S, H, D], y: f32[S, D], z: f32[B, H, S, D]) -> f32[B, S, H, D] {
      for i in 0 ..< S step 128 {
        let a = load(x[0, i : i + 128, :, :])
        let b = load(x[1, i : i + 128, 2, :])
        let c = load(y[3, :])
        let d = load(z[1, 2, i : i + 128, :])
        let e = load(x[:, i : i + 1, 0, :])
        store(out[0, i : i + 128, :, :], a)
      }
    }
    """)
    #expect(c.errors.isEmpty, "\(c.summary)")
    #expect(c.type(of: "load(x[0, i : i + 128, :, :])")?.description == "sbuf f32[128, H, D]")
    #expect(c.type(of: "load(x[1, i : i + 128, 2, :])")?.description == "sbuf f32[128, 1, D]")
    #expect(c.type(of: "load(y[3, :])")?.description == "sbuf f32[1, D]")
    #expect(c.type(of: "load(z[1, 2, i : i + 128, :])")?.description == "sbuf f32[128, D]")
    #expect(c.type(of: "load(x[:, i : i + 1, 0, :])")?.description == "sbuf f32[B, 1, 1, D]")
}

@Test func tileSliceDropsLeadingPlainIndicesOnly() {
    let x = Expr(id: 0, kind: .integer(0), span: SourceSpan(file: "t.kiln", start: 0, end: 1))
    let range = IndexItem.slice(lower: nil, upper: nil, span: SourceSpan(file: "t.kiln", start: 0, end: 1))
    #expect(TileSlice.droppedDims([.index(x), range]) == 0)
    #expect(TileSlice.droppedDims([.index(x), .index(x), range, range]) == 2)
    #expect(TileSlice.droppedDims([.index(x), range, range, range]) == 1)
    #expect(TileSlice.droppedDims([range, .index(x), range]) == 0)
    #expect(TileSlice.droppedDims([.index(x), .index(x), .index(x)]) == 1)
}

@Test func rank3TilesBroadcastAlongSizeOneFreeDims() throws {
    let c = expectClean("""
    kernel k<S = 256, H = 4, D = 64>(x: f32[S, H, D], g: f32[1, H, D]) -> f32[S, H, D] {
      let gt = load(g[:, :, :])
      for i in 0 ..< S step 128 {
        let t = load(x[i : i + 128, :, :])
        let r = t * rsqrt(mean(t * t, axis: 2) + 0.001) * gt
        let p = activation(exp, r, bias: -max(r, axis: (1, 2)), scale: 0.5)
        store(out[i : i + 128, :, :], select(p > 1.0, p, r))
      }
    }
    """)
    #expect(c.type(of: "mean(t * t, axis: 2)")?.description == "sbuf f32[128, H, 1]")
    #expect(c.type(of: "max(r, axis: (1, 2))")?.description == "sbuf f32[128, 1, 1]")
    #expect(c.type(of: "select(p > 1.0, p, r)")?.description == "sbuf f32[128, H, D]")
}

private let rank3Prefix = """
kernel k<S = 256, H = 4, D = 64>(x: f32[S, H, D], c: f32[S, 1], w: f32[S, 2, 3, 4]) -> f32[S, H, D] {
  for i in 0 ..< S step 128 {
    let t = load(x[i : i + 128, :, :])
    let col = load(c[i : i + 128, :])
    let q = load(w[i : i + 128, :, :, :])

"""

@Test func tilesOfTwoRanksDoNotMix() {
    expectError(rank3Prefix + "    store(out[i : i + 128, :, :], t * col)\n  }\n}", "K2141", at: "6:35",
                "operands of '*' are tiles of different ranks: sbuf f32[128, H, D] and sbuf f32[128, 1]")
}

@Test func tileReductionsTakeTrailingFreeAxes() {
    expectError(rank3Prefix + "    let s = sum(q, axis: (1, 2))\n    store(out[i : i + 128, :, :], t)\n  }\n}", "K2095",
                at: "6:26", "axes (1, 2) of sbuf f32[128, 2, 3, 4] are not")
    expectError(rank3Prefix + "    let s = sum(t, axis: (0, 2))\n    store(out[i : i + 128, :, :], t)\n  }\n}", "K2138",
                at: "6:26", "axis 0 of sbuf f32[128, H, D] runs across partitions")
}

@Test func activationBiasHasTheTilesRank() {
    expectError(rank3Prefix + "    store(out[i : i + 128, :, :], activation(exp, t, bias: col))\n  }\n}", "K2132",
                at: "6:60", "a per-partition [128, 1, 1] tile, found sbuf f32[128, 1]")
}

@Test func activationScaleIsAConstantOrAPerPartitionTileOfTheTilesRank() throws {
    expectError(rank3Prefix + "    store(out[i : i + 128, :, :], activation(exp, t, scale: col))\n  }\n}", "K2131",
                at: "6:61", "a per-partition float [128, 1, 1] tile, found sbuf f32[128, 1]")
    let c = checkSource(rank3Prefix
        + "    store(out[i : i + 128, :, :], activation(exp, t, scale: max(t, axis: (1, 2))))\n  }\n}")
    #expect(c.errors.isEmpty, "\(c.summary)")
}

@Test func aTileReshapeKeepsItsPartitions() throws {
    let c = checkSource(rank3Prefix + "    let f = reshape(q, (128, 24))\n    store(out[i : i + 128, :, :], t)\n  }\n}")
    #expect(c.errors.isEmpty, "\(c.summary)")
    #expect(c.type(of: "reshape(q, (128, 24))")?.description == "sbuf f32[128, 24]")
    expectError(rank3Prefix + "    let f = reshape(q, (64, 48))\n    store(out[i : i + 128, :, :], t)\n  }\n}", "K2142",
                at: "6:13", "a tile's reshape keeps its partition dim")
}

@Test func tilesHaveRankUpToTheTensorLimit() {
    #expect(RankLimit.tile == RankLimit.tensor)
    expectError("""
    kernel k(x: f32[128, 4]) -> f32[128, 4] {
      var big: sbuf f32[128, 2, 2, 2, 2] = 0.0
      store(out[:, :], load(x[:, :]))
    }
    """, "K2010", at: "2:12", "tiles have rank 1 to 4")
}
