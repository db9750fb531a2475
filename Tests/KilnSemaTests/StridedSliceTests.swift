// StridedSliceTests.swift: whole-tensor slices with a step: their sizes, their bounds and the errors K2163-K2165.

import KilnSema
import KilnSource
import Testing

@Test func aStridedSliceHasTheCeilingOfItsExtentOverItsStep() throws {
    let c = expectClean("""
    kernel s<W>(x: f32[N, 2 * W], y: f32[10, 8]) -> f32[N, W] {
      let _a = x[:, 1 : 2 * W : 2]
      let _b = y[0 : 10 : 3, 1 : 8 : 3]
      let _c = x[:, 0 : W : W]
      let _d = x[0 : 3 * N : 3, 0 : 2 * W : 2]
      return x[:, 0 : 2 * W : 2]
    }
    """)
    #expect(c.type(of: "x[:, 1 : 2 * W : 2]")?.description == "hbm f32[N, W]")      // ceil((2W - 1) / 2) = W
    #expect(c.type(of: "y[0 : 10 : 3, 1 : 8 : 3]")?.description == "hbm f32[4, 3]")  // rows 0, 3, 6, 9; columns 1, 4, 7
    #expect(c.type(of: "x[:, 0 : W : W]")?.description == "hbm f32[N, 1]")          // a symbolic step, an exact multiple
    #expect(c.type(of: "x[0 : 3 * N : 3, 0 : 2 * W : 2]")?.description == "hbm f32[N, W]")
}

@Test func aStridedSliceEndsAtItsLastElement() {
    // Columns 1, 4, 7 of 8: the end 10 passes the dim, the elements read do not.
    _ = expectClean("kernel s(x: f32[4, 8]) -> f32[4, 3] { return x[:, 1 : 10 : 3] }")
    expectError("kernel s(x: f32[4, 8]) -> f32[4, 3] { return x[:, 2 : 11 : 3] }", "K2126", at: "1:51",
                "slice ends at 9, past the end of a dim of size 8")
}

@Test func aStepIsAPositiveConstantOrDimExpression() {
    expectError("kernel s(x: f32[4, 8]) -> f32[4, 8] { return x[:, 0 : 8 : 0] }", "K2163", at: "1:59",
                "slice step '0' is zero")
    expectError("kernel s(x: f32[4, 8]) -> f32[4, 8] { return x[:, 0 : 8 : -2] }", "K2163", at: "1:59",
                "slice step '-2' is negative")
    expectError("""
    kernel s(x: f32[4, 8]) -> f32[4, 4] {
      for i in 1 ..< 3 {
        let y = x[:, 0 : 8 : i]
      }
      return x[:, 0 : 8 : 2]
    }
    """, "K2163", at: "3:26", "slice step 'i' uses the loop variable 'i'")
}

@Test func aSymbolicSizeMustBeADimExpression() {
    expectError("kernel s(x: f32[N, D]) -> f32[N, D] { return x[:, 0 : D : 2] }", "K2164", at: "1:51",
                "the size of '0 : D : 2' is ceil(D / 2), which is not a dim expression")
    expectError("kernel s(x: f32[N, D]) -> f32[N, D] { return x[:, 1 : D : N] }", "K2164", at: "1:51",
                "the size of '1 : D : N' is ceil((D - 1) / N)")
}

@Test func onlyWholeTensorSlicesTakeAStep() {
    expectError("""
    kernel s(x: f32[128, 64]) -> f32[128, 32] {
      store(out[:, 0 : 32], load(x[:, 0 : 64 : 2]))
    }
    """, "K2165", at: "2:35", "'x[:, 0 : 64 : 2]' has a step, which only a whole-tensor slice may have")
}

@Test func aSymbolicStepIsCheckedPositiveOnceBound() throws {
    let c = checkSource("kernel k<N, D>(x: f32[N, 2 * (D - 4)]) -> f32[N, 2] { return x[:, 0 : 2 * (D - 4) : D - 4] }")
    #expect(c.errors.isEmpty, "\(c.summary)")
    let k = try #require(c.kernel("k"))
    #expect(k.bindDims(["N": 2, "D": 6]).1.hasErrors == false)
    #expect(k.bindDims(["N": 2, "D": 4]).1.hasErrors)
}
