// LayoutSemanticsTests.swift: the interpreter's transpose(x, perm:) and reshape, against hand-computed NumPy results.

import KilnInterp
import KilnMachine
import KilnNumerics
import Testing

@Test func permuteAndReshapeFollowNumPy() throws {
    let source = """
    kernel k(x: f32[2, 3, 2]) -> (p: f32[3, 2, 2], q: f32[2, 2, 3], r: f32[6, 2], s: f32[12]) {
      return transpose(x, perm: (1, 0, 2)), transpose(x, perm: (0, -1, 1)), reshape(x, (6, 2)), reshape(x * 2.0, 12)
    }
    """
    let x = try InterpTest.tensor(.f32, [2, 3, 2], (0..<12).map(Double.init))
    let out = try InterpTest.run(source, inputs: ["x": x])
    // np.transpose(np.arange(12).reshape(2, 3, 2), (1, 0, 2)).ravel()
    #expect(out["p"]?.shape == [3, 2, 2] && out["p"]?.values == [0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11])
    // np.transpose(..., (0, 2, 1)).ravel()
    #expect(out["q"]?.shape == [2, 2, 3] && out["q"]?.values == [0, 2, 4, 1, 3, 5, 6, 8, 10, 7, 9, 11])
    #expect(out["r"]?.shape == [6, 2] && out["r"]?.values == (0..<12).map(Double.init))
    #expect(out["s"]?.shape == [12] && out["s"]?.values == (0..<12).map { Double($0 * 2) })
}
