// MXScaleParameterTests.swift: which kernel parameters the checker finds nc_matmul_mx reading as block scales.

import Foundation
import KilnSema
import Testing

@Test func scaleParametersAreFollowedThroughLetsWindowsLoadsAndReshapes() {
    let checked = expectClean("""
    kernel k(aq: f8e4m3fn[128, 2, 128], as_: f32[4, 2, 128], bq: f8e4m3fn[128, 512], bs: f32[4, 512],
             x: bf16[128, 128]) -> f32[128, 512] {
      let a = load(aq[:, :, :])
      let s = load(as_[:, :, :])
      let b = load(bq[:, :])
      var acc: psum f32[128, 512] = 0.0
      for t in 0 ..< 2 {
        acc += nc_matmul_mx(reshape(a[:, t, :], (128, 128)), b, reshape(s[:, t, :], (4, 128)), load(bs[:, :]))
      }
      store(out[:, :], copy(acc))
    }
    """)
    #expect(checked.program.kernels.first?.mxScaleParameters == [1, 3])
}

@Test func scalesMadeOnChipComeFromNoParameter() {
    let checked = expectClean("""
    kernel k(x: bf16[128, 128], w: f8e5m2[128, 512], ws: f32[4, 512]) -> f32[128, 512] {
      let t = load(x[:, :])
      let qt = copy(nc_transpose(quantize_mx(t, f8e5m2)))
      let st = copy(nc_transpose(scale_mx(t, f8e5m2)))
      store(out[:, :], copy(nc_matmul_mx(qt, load(w[:, :]), st, load(ws[:, :]) * 2.0)))
    }
    """)
    // x is quantized on chip; ws goes through an arithmetic op, which is not followed.
    #expect(checked.program.kernels.first?.mxScaleParameters == [])
}
