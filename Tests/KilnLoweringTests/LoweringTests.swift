// LoweringTests.swift: each construct's lowering: broadcasts, weak scalars, reductions, helpers, tiles, flags, remainders.

import KilnDriver
import KilnSource
import KilnTileIR
import Testing

@Test func broadcastsAreExplicitAndLiteralsBecomeSplats() {
    let text = loweredText("""
        kernel k<N = 4, D = 8>(x: f32[N, D], g: f32[D], alpha: f32 = 2.0) -> f32[N, D] {
          return (x - max(x, axis: 1)) * g + alpha * x + 1
        }
        """)
    #expect(text.contains("reduce max %x axis 1 : f32[4, 1]"))
    #expect(text.contains("broadcast %0 : f32[4, 8]"))            // [N, 1] -> [N, D]
    #expect(text.contains("broadcast %g : f32[4, 8]"))            // [D] -> [N, D]
    #expect(text.contains("broadcast %alpha : f32[4, 8]"))        // a scalar parameter
    #expect(text.contains("constant 1.0 : f32[4, 8]"))            // an integer literal meeting an f32 tensor
    #expect(text.contains("func @k(%x: hbm f32[4, 8], %g: hbm f32[8], %alpha: f32 = 2.0) -> (%out: hbm f32[4, 8])"))
}

@Test func floatScalarsOfAnotherDTypeBroadcastAsF32ImmediatesAndExplicitCastsRound() {
    let text = loweredText("""
        kernel k<N = 4>(x: bf16[N], s: f32 = 0.5, n: i32 = 3) -> (a: bf16[N], b: bf16[N], c: bf16[N]) {
          return x * s, x * (s as bf16), x * n
        }
        """)
    #expect(text.contains("broadcast %s : bf16[4]"))      // x * s: s stays an f32 immediate (Docs/numerics.md)
    #expect(text.contains("cast %s : bf16"))              // s as bf16: an explicit conversion rounds
    #expect(text.contains("cast %n : bf16"))              // an i32 scalar is converted to the float dtype
}

@Test func dimsAsValuesAreConstantsAndRemainderIsRem() {
    let text = loweredText("""
        kernel k<N = 6>(a: i32[N], b: i32[N]) -> (r: i32[N], m: f32[N]) {
          return a % b, (a as f32) / (N as f32)
        }
        """)
    #expect(text.contains("rem %a, %b : i32[6]"))
    #expect(text.contains("constant 6.0 : f32[6]"))
}

@Test func reductionsKeepTheAxisAndMapToReduceKinds() {
    let text = loweredText("""
        kernel k<N = 4, D = 8>(x: f32[N, D]) -> (a: f32[1, D], b: f32[N, 1], c: f32[N, 1]) {
          return mean(x, axis: 0), sum(x), min(x, axis: -1)
        }
        """)
    #expect(text.contains("reduce mean %x axis 0 : f32[1, 8]"))
    #expect(text.contains("reduce sum %x axis 1 : f32[4, 1]"))
    #expect(text.contains("reduce min %x axis 1 : f32[4, 1]"))
}

@Test func matmulTransposeSelectAndCasts() {
    let text = loweredText("""
        kernel k<M = 4, K = 8>(a: bf16[M, K], b: bf16[M, K]) -> (p: f32[M, M], s: bf16[M, K]) {
          return a @ b.T, select(a > 0.0, a, 0.0) as bf16
        }
        """)
    #expect(text.contains("transpose %b : bf16[8, 4]"))
    #expect(text.contains("matmul %a, %0 : f32[4, 4]"))
    #expect(text.contains("gt %a, %2 : bool[4, 8]"))
    #expect(text.contains("select %3, %a, %4 : bf16[4, 8]"))
    #expect(text.contains("cast %5 : bf16[4, 8]"))
}

@Test func helpersBecomeOneFunctionPerDimBinding() {
    let text = loweredText("""
        fn twice<R>(v: f32[R]) -> f32[R] {
          return v + v
        }
        kernel k<N = 4, M = 6>(x: f32[N], y: f32[M]) -> (a: f32[N], b: f32[M], c: f32[N]) {
          return twice(x), twice(y), twice(x)
        }
        """)
    #expect(text.contains("call @twice_R4(%x) : f32[4]"))
    #expect(text.contains("call @twice_R6(%y) : f32[6]"))
    #expect(text.contains("func @twice_R4(%v: f32[4]) -> (%result: f32[4])"))
    #expect(text.contains("func @twice_R6(%v: f32[6]) -> (%result: f32[6])"))
    #expect(text.components(separatedBy: "func @twice_R4").count == 2)
}

@Test func scheduleAttributeBecomesHints() {
    let text = loweredText("""
        @schedule(tile_n: 256, bufs: 3)
        kernel k<N = 4>(x: f32[N]) -> f32[N] {
          return x
        }
        """)
    #expect(text.contains("-> (%out: hbm f32[4]) schedule(bufs = 3, tile_n = 256) loc("))
}

private let tiledMatmul = """
    kernel mm<K = 512, M = 256, N = 1024>(a_t: bf16[K, M], b: bf16[K, N]) -> f32[M, N] {
      for m in 0 ..< M step 128 {
        for n in 0 ..< N step 512 {
          var acc: psum f32[128, 512] = 0.0
          for k in 0 ..< K step 128 {
            let at = load(a_t[k : k + 128, m : m + 128])
            let bt = load(b[k : k + 128, n : n + 512])
            acc += nc_matmul(at, bt)
          }
          let r = copy(acc)
          store(out[m : m + 128, n : n + 512], r)
        }
      }
    }
    """

@Test func tileFormMatmulGetsStartAndStopFlagsFromTheLoopOverK() {
    let text = loweredText(tiledMatmul)
    #expect(text.contains("%acc = alloc psum f32[128 | 512]"))
    #expect(text.contains("pe.matmul %at, %bt -> %acc start(%k == 0) stop(%k == 384)"))
    #expect(text.contains("dma.load %a_t[%k, %m] -> %at"))
    #expect(text.contains("dve.copy %acc -> %r"))
    #expect(text.contains("dma.store %r -> %out[%m, %n]"))
    #expect(!text.contains("pool.iota"))  // the zero fill is the start flag
}

@Test func remainderOfTheContractionIsPeeledWithTheStopFlag() throws {
    let (module, diagnostics) = lowerSource(tiledMatmul, dims: ["K": 200])
    let text = TileIR.print(try #require(module, "\(diagnostics.map(\.message))"))
    #expect(text.contains("for %k = 0 to 128 step 128 {"))
    #expect(text.contains("pe.matmul %at, %bt -> %acc start(%k == 0)"))
    #expect(text.contains("dma.load %a_t[128, %m] -> %at_1"))
    #expect(text.contains("%at_1 = alloc sbuf bf16[72 | 128]"))
    #expect(text.contains("pe.matmul %at_1, %bt_1 -> %acc stop"))
    #expect(TileIR.verify(try #require(module), target: .trn1).isEmpty)
}

@Test func remainderRowsShrinkTheAccumulator() throws {
    let (module, diagnostics) = lowerSource(tiledMatmul, dims: ["M": 200])
    let lowered = try #require(module, "\(diagnostics.map(\.message))")
    let text = TileIR.print(lowered)
    #expect(text.contains("for %m = 0 to 128 step 128 {"))
    #expect(text.contains("alloc psum f32[72 | 512]"))
    #expect(text.contains("dma.store %r_1 -> %out[128, %n_1]"))
    #expect(TileIR.verify(lowered, target: .trn1).isEmpty, "\(TileIR.verify(lowered, target: .trn1).map(\.message))")
}

@Test func tileElementwiseOpsUseTheirEngines() {
    let text = loweredText("""
        kernel k<N = 128, D = 64>(x: f32[N, D]) -> f32[N, D] {
          for i in 0 ..< N step 128 {
            let t = load(x[i : i + 128, :])
            let c = 1.0 - t
            let q = 2.0 / t
            let r = exp(-t) + c * q
            let s = r - mean(r, axis: 1)
            store(out[i : i + 128, :], select(s > 0.0, s, 0.0))
          }
        }
        """)
    #expect(text.contains("act.activate identity %t -> %c scale -1.0 bias 1.0"))
    // s / t divides once: the scalar is filled into an f32 tile (a reciprocal and a product would round twice).
    #expect(text.contains("pool.iota base 2 partition_step 0 free_step 0 -> %0"))
    #expect(text.contains("dve.tensor_tensor div %0, %t -> %q"))
    #expect(text.contains("act.activate exp"))
    #expect(text.contains("dve.tensor_tensor add"))
    #expect(text.contains("dve.reduce add %r"))
    #expect(text.contains("dve.tensor_scalar div %4, 64.0 -> %4"))   // a mean divides once (numerics.md)
    #expect(text.contains("pool.select"))
}

@Test func aLoopVariableUsedAsAValueUnrollsItsLoop() {
    // Lowering cannot make a value of a loop's induction variable; the checker marks the loop for unrolling, so
    // each copy of the body has `i` as a constant (it was K2134, an error, before).
    let text = loweredText("""
        kernel k<N = 256, D = 4>(x: f32[N, D]) -> f32[N, D] {
          for i in 0 ..< N step 128 {
            let t = load(x[i : i + 128, :])
            store(out[i : i + 128, :], t * (i as f32))
          }
        }
        """)
    #expect(!text.contains("for %i"), "\(text)")
    #expect(text.contains("dve.tensor_scalar mul %t, 0.0"), "\(text)")
    #expect(text.contains("dve.tensor_scalar mul %t_1, 128.0"), "\(text)")
}
