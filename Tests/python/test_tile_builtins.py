# test_tile_builtins.py: the tile-level activation(...) and nc_transpose(...) through the `kiln` package on sim and
# llvm, checked against numpy (written here, from Docs/language.md and Docs/numerics.md, not from Kiln's code).
#
# activation(f, x, bias: b, scale: s) is f(x * s + b) with the argument rounded once to f32 and f's value rounded
# to f32, then to x's dtype. exp is within 1 ulp of f32 (the simulator's vector exp), tanh of bf16 within one
# bf16 step; relu and the transposes are exact.
import ml_dtypes
import numpy as np
import pytest

import kiln
from api_support import assert_within_steps, requires_library, rng

pytestmark = requires_library

SOURCE = """
kernel k<N = 200, D = 64>(x: f32[N, D], b: f32[N, 1], s: f32 = 0.25)
    -> (y: f32[N, D], t: f32[D, N], z: bf16[N, D], q: f32[N, D]) {
  for i in 0 ..< N step 128 {
    let xt = load(x[i : i + 128, :])
    let bt = load(b[i : i + 128, :])
    store(y[i : i + 128, :], activation(exp, xt, bias: bt, scale: 0.5))
    store(t[:, i : i + 128], copy(nc_transpose(xt)))
    store(z[i : i + 128, :], activation(tanh, xt as bf16, bias: s, scale: -1.0 / 3.0))
    store(q[i : i + 128, :], activation(relu, nc_transpose(copy(nc_transpose(xt))), bias: -0.125))
  }
}
"""


@pytest.mark.parametrize("backend", ["sim", "llvm"])
def test_activation_and_nc_transpose_match_numpy(backend):
    r = rng(31)
    x = r.standard_normal((200, 64)).astype(np.float32)
    b = (r.standard_normal((200, 1)) * 0.5).astype(np.float32)
    k = kiln.compile_source(SOURCE)
    y, t, z, q = k(x, b, backend=backend)
    argument = (x.astype(np.float64) * 0.5 + b).astype(np.float32)
    np.testing.assert_allclose(y, np.exp(argument.astype(np.float64)).astype(np.float32), rtol=2.0 ** -23, atol=0)
    np.testing.assert_array_equal(t, x.T)
    xb = x.astype(ml_dtypes.bfloat16).astype(np.float64)
    zarg = (xb * np.float64(np.float32(-1.0 / 3.0)) + 0.25).astype(np.float32).astype(np.float64)
    assert z.dtype == ml_dtypes.bfloat16
    assert_within_steps(z, np.tanh(zarg), steps=1.0)
    np.testing.assert_array_equal(q, np.maximum((x.astype(np.float64) - 0.125).astype(np.float32), 0))


SCALED = """
kernel k<N = 200, D = 64>(x: f32[N, D], g: f32[N, 1], b: f32[N, 1]) -> (y: f32[N, D], z: f32[N, D]) {
  for i in 0 ..< N step 128 {
    let xt = load(x[i : i + 128, :])
    let gt = load(g[i : i + 128, :])
    store(y[i : i + 128, :], activation(exp, xt, scale: gt, bias: load(b[i : i + 128, :])))
    store(z[i : i + 128, :], activation(square, xt, scale: gt))
  }
}
"""


@pytest.mark.parametrize("backend", ["ref", "sim", "llvm"])
def test_activation_with_a_per_partition_scale_matches_numpy(backend):
    """`scale:` a [P, 1] tile (NKI's scale=A_i): row r is f(x[r] * g[r] + b[r]), the argument rounded once to f32."""
    r = rng(32)
    x = r.standard_normal((200, 64)).astype(np.float32)
    g = r.standard_normal((200, 1)).astype(np.float32)
    b = (r.standard_normal((200, 1)) * 0.5).astype(np.float32)
    y, z = kiln.compile_source(SCALED)(x, g, b, backend=backend)
    argument = (x.astype(np.float64) * g + b).astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(y, np.exp(argument).astype(np.float32), rtol=2.0 ** -23, atol=0)
    scaled = (x.astype(np.float64) * g).astype(np.float32).astype(np.float64)
    np.testing.assert_array_equal(z, (scaled * scaled).astype(np.float32))


GPSIMD_AND_STRIDES = """
kernel k<N = 200, D = 70, V = 50>(x: f32[N, D], table: f32[V, D], ids: i32[N, 1])
    -> (m: f32[N, D], e: f32[N, 35], g: f32[N, 40]) {
  for i in 0 ..< N step 128 {
    let xt = load(x[i : i + 128, :])
    store(m[i : i + 128, :], affine_select(xt, -inf, partition: 1, free: -2, offset: i - 5))
    store(e[i : i + 128, :], xt[:, 1 : 71 : 2])
    store(g[i : i + 128, :], load(table[load(ids[i : i + 128, :]), 30 : 70]))
  }
}
"""


@pytest.mark.parametrize("backend", ["ref", "sim", "llvm"])
def test_affine_select_strided_slices_and_indirect_loads_match_numpy(backend):
    # affine_select keeps x[r, c] where offset + p - 2 f >= 0 (p the row within its tile, f the column): with the tile
    # offset i, that is r - 5 - 2 c >= 0 for global row r. The stepped slice takes the odd columns; the indirect load
    # row ids[r] of the table's columns 30 ..< 70. All three move values without arithmetic: exact.
    r = rng(47)
    x = r.standard_normal((200, 70)).astype(np.float32)
    table = r.standard_normal((50, 70)).astype(np.float32)
    ids = r.integers(0, 50, (200, 1)).astype(np.int32)
    m, e, g = kiln.compile_source(GPSIMD_AND_STRIDES)(x, table, ids, backend=backend)
    rows, cols = np.indices(x.shape)
    np.testing.assert_array_equal(m, np.where(rows - 5 - 2 * cols >= 0, x, -np.inf))
    np.testing.assert_array_equal(e, x[:, 1::2])
    np.testing.assert_array_equal(g, table[ids[:, 0], 30:70])
