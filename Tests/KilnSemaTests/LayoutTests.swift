// LayoutTests.swift: typing of transpose(x, perm:) and reshape(x, shape), and their errors (K2139, K2140).

import KilnSema
import KilnSource
import Testing

@Test func permMovesAxesAsNumPyTranspose() {
    let c = expectClean("""
    kernel p(x: f32[B, S, H, D], v: bf16[N]) -> f32[B, H, S, D] {
      let a = transpose(x, perm: (0, 2, 1, 3))
      let _b = transpose(x, perm: (-1, 0, -3, 2))
      let _w = transpose(v, perm: 0)
      return a
    }
    """)
    #expect(c.type(of: "transpose(x, perm: (0, 2, 1, 3))")?.description == "f32[B, H, S, D]")
    #expect(c.type(of: "transpose(x, perm: (-1, 0, -3, 2))")?.description == "f32[D, B, S, H]")
    #expect(c.type(of: "transpose(v, perm: 0)")?.description == "bf16[N]")
    // The normalised perm is kept for the lowering and the interpreter.
    let call = c.findExpr("transpose(x, perm: (-1, 0, -3, 2))")
    #expect(call.flatMap { c.program.reductionAxes[$0.id] } == [3, 0, 1, 2])
}

@Test func transposeWithoutPermStillSwapsTheLastTwo() {
    let c = expectClean("""
    kernel t(x: f32[B, S, D]) -> f32[B, D, S] {
      return transpose(x)
    }
    """)
    #expect(c.type(of: "transpose(x)")?.description == "f32[B, D, S]")
}

@Test(arguments: [
    ("(0, 1, 1)", "2:29", "perm (0, 1, 1) is not a permutation of the axes of hbm f32[A, B, C]: axis 1 is listed twice"),
    ("(0, 1)", "2:29", "it names 2 axes; a rank-3 value needs all 3, each once"),
    ("(0, 1, 3)", "2:29", "axis 3 is out of range"),
    ("(0, 1, -4)", "2:29", "axis -4 is out of range"),
    ("(0, n, 1)", "2:29", "each axis is an integer literal"),
])
func badPermsAreLocatedAndNameShapeAndPerm(perm: String, at: String, message: String) {
    expectError("""
    kernel p(x: f32[A, B, C], n: i32) -> f32[A, B, C] {
      return transpose(x, perm: \(perm))
    }
    """, "K2139", at: at, message)
}

@Test func reshapeMergesAndSplitsAdjacentDims() {
    let c = expectClean("""
    kernel r(x: f32[B, S, 8 * H], f: f32[4 * N], u: f32[N, 1, 6]) -> f32[B, S, H, 8] {
      let a = reshape(x, (B, S, H, 8))
      let _b = reshape(f, (N, 2, 2))
      let _k = reshape(u, (1, N, 2, 3))
      let _m = reshape(u, 6 * N)
      return a
    }
    """)
    #expect(c.type(of: "reshape(x, (B, S, H, 8))")?.description == "f32[B, S, H, 8]")
    #expect(c.type(of: "reshape(f, (N, 2, 2))")?.description == "f32[N, 2, 2]")
    #expect(c.type(of: "reshape(u, (1, N, 2, 3))")?.description == "f32[1, N, 2, 3]")
    #expect(c.type(of: "reshape(u, 6 * N)")?.description == "f32[6*N]")
}

@Test func reshapeErrorsNameBothShapes() {
    expectError("""
    kernel r(x: f32[N, D]) -> f32[D, N] {
      return reshape(x, (D, N))
    }
    """, "K2140", at: "2:10", "cannot reshape hbm f32[N, D] to f32[D, N]: its dims cannot be grouped")
    expectError("""
    kernel r(x: f32[N, 4]) -> f32[N, 8] {
      return reshape(x, (N, 8))
    }
    """, "K2140", at: "2:10", "their element counts 4 * N and 8 * N differ")
    expectError("""
    kernel r(x: f32[6, 4]) -> f32[4, 6] {
      return reshape(x, (4, 6))
    }
    """, "K2140", at: "2:10", "cannot reshape hbm f32[6, 4] to f32[4, 6]")
}

@Test func constantGroupsThatNestAreAccepted() {
    // [4, 6] and [8, 3] are both [4, 2, 3] regrouped: the strides 3, 6 and 24 nest.
    let c = expectClean("""
    kernel r(x: f32[4, 6]) -> f32[8, 3] {
      return reshape(x, (8, 3))
    }
    """)
    #expect(c.type(of: "reshape(x, (8, 3))")?.description == "f32[8, 3]")
}
