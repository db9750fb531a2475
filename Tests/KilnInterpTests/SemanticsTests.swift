// SemanticsTests.swift: the interpreter's semantics on small kernels with hand-computed results.

import Foundation
import KilnInterp
import KilnMachine
import KilnNumerics
import Testing

@Test func broadcastingReductionsAndKeepdims() throws {
    let source = """
    kernel k<N, D>(x: f32[N, D], v: f32[D]) -> (a: f32[N, D], rows: f32[N, 1], cols: f32[1, D], m: f32[1, D]) {
      return x + v, sum(x, axis: 1), max(x, axis: 0), mean(x - 1.0, axis: 0)
    }
    """
    let x = try InterpTest.tensor(.f32, [2, 3], [1, 2, 3, 4, 5, 6])
    let v = try InterpTest.tensor(.f32, [3], [10, 20, 30])
    let out = try InterpTest.run(source, inputs: ["x": x, "v": v])
    #expect(out["a"]?.values == [11, 22, 33, 14, 25, 36])
    #expect(out["rows"]?.shape == [2, 1] && out["rows"]?.values == [6, 15])
    #expect(out["cols"]?.values == [4, 5, 6])
    #expect(out["m"]?.values == [1.5, 2.5, 3.5])
}

@Test func matmulTransposeSelectAndCasts() throws {
    let source = """
    kernel k(a: f32[2, 3], b: f32[3, 2]) -> (p: f32[2, 2], t: f32[3, 2], s: f32[2, 3], c: bf16[2, 3], i: i32[2, 3]) {
      return a @ b, a.T, select(a > 2.0, a, 0.0), (a / 3.0) as bf16, (a * -1.5) as i32
    }
    """
    let a = try InterpTest.tensor(.f32, [2, 3], [1, 2, 3, 4, 5, 6])
    let b = try InterpTest.tensor(.f32, [3, 2], [1, 0, 0, 1, 1, 1])
    let out = try InterpTest.run(source, inputs: ["a": a, "b": b])
    #expect(out["p"]?.values == [4, 5, 10, 11])
    #expect(out["t"]?.shape == [3, 2] && out["t"]?.values == [1, 4, 2, 5, 3, 6])
    #expect(out["s"]?.values == [0, 0, 3, 4, 5, 6])
    // 1/3 in f32 is 0x3EAAAAAB; bf16 keeps 8 bits: 0x3EAB = 0.333984375.
    #expect(out["c"]?.values[0] == 0.333984375)
    #expect(out["i"]?.values == [-1, -3, -4, -6, -7, -9])
}

@Test func floatMathMatchesTheDefinitions() throws {
    let source = """
    kernel k(x: f32[4]) -> (g: f32[4], s: f32[4], r: f32[4]) {
      return gelu(x), silu(x), rsqrt(abs(x) + 1.0)
    }
    """
    let x = try InterpTest.tensor(.f32, [4], [-2, -0.5, 0.5, 3])
    let out = try InterpTest.run(source, inputs: ["x": x])
    let gelu = try #require(out["g"]).values, silu = try #require(out["s"]).values, rsqrt = try #require(out["r"]).values
    for (index, value) in x.values.enumerated() {
        let exactGelu = 0.5 * value * (1 + erf(value / 2.0.squareRoot()))
        let exactSilu: Double = value / (1 + exp(-value))
        let exactRsqrt: Double = 1 / (Swift.abs(value) + 1).squareRoot()
        #expect(gelu[index] == Double(Float(exactGelu)))
        #expect(silu[index] == Double(Float(exactSilu)))
        #expect(rsqrt[index] == Double(Float(exactRsqrt)))
    }
}

@Test func integerSemanticsWrapTruncateAndRejectZeroDivisors() throws {
    let source = """
    kernel k(a: i32[3], b: i32[3]) -> (q: i32[3], r: i32[3], w: i32[3], x: i32[3]) {
      return a / b, a % b, a * 65536 * 65536, relu(a) + abs(b)
    }
    """
    let a = try InterpTest.tensor(.i32, [3], [7, -7, 3])
    let b = try InterpTest.tensor(.i32, [3], [2, 2, -4])
    let out = try InterpTest.run(source, inputs: ["a": a, "b": b])
    #expect(out["q"]?.values == [3, -3, 0])
    #expect(out["r"]?.values == [1, -1, 3])
    #expect(out["w"]?.values == [0, 0, 0])
    #expect(out["x"]?.values == [9, 2, 7])
    let zero = try InterpTest.tensor(.i32, [3], [1, 0, 1])
    do {
        _ = try InterpTest.run(source, inputs: ["a": a, "b": zero])
    } catch {
        #expect("\(error)".contains("test.kiln:2:10: error: integer division by zero [K4510]"))
    }
}

@Test func helpersScalarsDefaultsAndDimsAsValues() throws {
    let source = """
    fn scale<R, C>(x: f32[R, C], by: f32) -> f32[R, C] {
      return x * by
    }
    kernel k<N = 2, D = 2>(x: f32[N, D], alpha: f32 = 2.0, beta: f32) -> f32[N, D] {
      return scale(x, alpha) + beta + (D as f32)
    }
    """
    let x = try InterpTest.tensor(.f32, [2, 2], [1, 2, 3, 4])
    let out = try InterpTest.run(source, inputs: ["x": x], options: RunInputOptions(scalars: [("beta", "0.5")]))
    #expect(out["out"]?.values == [4.5, 6.5, 8.5, 10.5])
    let overridden = try InterpTest.run(source, inputs: ["x": x],
                                        options: RunInputOptions(scalars: [("beta", "0"), ("alpha", "-1")]))
    #expect(overridden["out"]?.values == [1, 0, -1, -2])
}

@Test func tileFormClipsRemainderTilesAndAccumulatesInPSUM() throws {
    // N = 3 rows in tiles of 2: the second tile holds one valid row; row reductions and the PSUM
    // accumulation over the partition (contraction) axis see only valid rows.
    let source = """
    kernel k<N = 3>(x: f32[N, 4], w: f32[N, 2]) -> (y: f32[N, 4], acc: f32[4, 2]) {
      var total: psum f32[4, 2] = 0.0
      for i in 0 ..< N step 2 {
        let t = load(x[i : i + 2, :])
        let m = max(t, axis: 1)
        store(y[i : i + 2, :], t - m)
        total += nc_matmul(t, load(w[i : i + 2, :]))
      }
      store(acc[0 : 4, :], copy(total))
    }
    """
    let x = try InterpTest.tensor(.f32, [3, 4], [1, 2, 3, 4, 5, 6, 7, 8, -1, -2, -3, -4])
    let w = try InterpTest.tensor(.f32, [3, 2], [1, 0, 0, 1, 1, 1])
    let out = try InterpTest.run(source, inputs: ["x": x, "w": w])
    #expect(out["y"]?.values == [-3, -2, -1, 0, -3, -2, -1, 0, 0, -1, -2, -3])
    // x^T @ w: entry (j, k) is column j of x dotted with column k of w ([1, 0, 1] and [0, 1, 1]).
    #expect(out["acc"]?.values == [0, 4, 0, 4, 0, 4, 0, 4])
}

@Test func readingAnUnwrittenTileBufferIsAnError() throws {
    let source = """
    kernel k(x: f32[2, 2]) -> f32[2, 2] {
      var t: sbuf f32[2, 2]
      t += load(x)
      store(out, t)
    }
    """
    let x = try InterpTest.tensor(.f32, [2, 2], [1, 2, 3, 4])
    do {
        _ = try InterpTest.run(source, inputs: ["x": x])
        Issue.record("expected an error")
    } catch {
        #expect("\(error)".contains("tile buffer 't' is read before anything is written to it [K4511]"))
    }
}
