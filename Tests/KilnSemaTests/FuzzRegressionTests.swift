// FuzzRegressionTests.swift: checker regressions found by kiln-fuzz and issue 17, one test per defect.

import KilnSema
import Testing

/// Issue 17 item 15: an annotation without a memory space matches a tile (language.md §8: "the space only
/// if the annotation names one"), and the binding keeps the tile's space, so the `store` that follows is fine.
@Test func letAnnotationWithoutSpaceKeepsTheTileSpace() throws {
    let c = expectClean("""
    kernel k<N = 256, D = 64>(x: f32[N, D]) -> f32[N, D] {
      for i in 0 ..< N step 128 {
        let t: f32[128, D] = load(x[i : i + 128, :])
        store(out[i : i + 128, :], t)
      }
    }
    """)
    #expect(c.type(of: "t")?.description == "sbuf f32[128, D]")
}
