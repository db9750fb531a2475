# test_api_examples.py: every example through the `kiln` package on sim and llvm, checked against numpy.
#
# Run: KILN_LIBRARY=.build/debug/libKiln.so PYTHONPATH=python python3 -m pytest Tests/python/test_api_examples.py
#
# The numpy references are written here, independently of Kiln; tolerances as in test_sim.py and
# Docs/numerics.md: f32 chains rtol 1e-5 / atol 1e-6; matmuls within the f32-accumulation bound
# K 2^-24 (|a|@|b|); bf16 and fp8 results within one step of their format from the exact value.
# Shapes are not multiples of 128 where the kernel allows it, so remainder tiles run too.
import math

import ml_dtypes
import numpy as np
import pytest

import kiln
from api_support import EXAMPLES, F32, assert_matmul_bound, assert_within_steps, requires_library, rng
from kiln_helpers import sequential_matmul

pytestmark = requires_library

BF16 = ml_dtypes.bfloat16
erf = np.vectorize(math.erf)


def softmax_rows(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def f64(*arrays):
    return [np.asarray(a, dtype=np.float64) for a in arrays]


def check_add(run):
    r = rng(1)
    a, b = r.standard_normal((130, 70)).astype(np.float32), r.standard_normal((130, 70)).astype(np.float32)
    np.testing.assert_array_equal(run(a, b), a + b)   # one f32 addition: exact in numpy too


def check_attention(run):
    r = rng(2)
    q, k, v = ((r.standard_normal((n, 64)) * 0.5).astype(BF16) for n in (40, 56, 56))
    qv, kv, vv = f64(q, k, v)
    p = softmax_rows(qv @ kv.T / 8.0)
    ref = f64(p.astype(np.float32).astype(BF16))[0] @ vv
    # The probabilities are rounded to bf16 (2^-8 relative each) before the second matmul.
    np.testing.assert_allclose(run(q, k, v), ref, rtol=2.0 ** -7, atol=2.0 ** -9)


def check_attention_mh(run):
    r = rng(18)
    q, k, v = ((r.standard_normal((2, 3, n, 64)) * 0.5).astype(BF16) for n in (40, 56, 56))
    qv, kv, vv = f64(q, k, v)
    s = qv @ np.swapaxes(kv, -1, -2) / 8.0
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    p = e / e.sum(axis=-1, keepdims=True)
    ref = f64(p.astype(np.float32).astype(BF16))[0] @ vv
    out = run(q, k, v)
    assert out.shape == (2, 3, 40, 64) and out.dtype == BF16
    # As check_attention (probabilities rounded to bf16), plus the output's own rounding to bf16 (2^-8 relative).
    np.testing.assert_allclose(f64(out)[0], ref, rtol=2.0 ** -6, atol=2.0 ** -8)


def check_causal_attention(run):
    # S = 300: the mask's diagonal crosses the 128-row tiles (and the 44-row remainder) at every offset.
    r = rng(22)
    q, k, v = ((r.standard_normal((1, 2, 300, 64)) * 0.5).astype(BF16) for _ in range(3))
    qv, kv, vv = f64(q, k, v)
    s = qv @ np.swapaxes(kv, -1, -2) / 8.0
    s = np.where(np.triu(np.ones((300, 300), dtype=bool), k=1), -np.inf, s)   # numpy's mask: keys above the diagonal
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    p = e / e.sum(axis=-1, keepdims=True)
    ref = f64(p.astype(np.float32).astype(BF16))[0] @ vv
    out = run(q, k, v)
    assert out.shape == (1, 2, 300, 64) and out.dtype == BF16
    # Row 0 sees only key 0: its output is v[0] exactly (one probability of 1).
    np.testing.assert_array_equal(f64(out)[0][:, :, 0, :], vv[:, :, 0, :])
    # As check_attention_mh: bf16 probabilities, then the output's rounding to bf16.
    np.testing.assert_allclose(f64(out)[0], ref, rtol=2.0 ** -6, atol=2.0 ** -8)


def check_axpy(run):
    r = rng(3)
    x, y = r.standard_normal(1000).astype(np.float32), r.standard_normal(1000).astype(np.float32)
    np.testing.assert_allclose(run(x, y, alpha=0.5), 0.5 * x.astype(np.float64) + y, **F32)
    np.testing.assert_allclose(run(x, y), 2.0 * x.astype(np.float64) + y, **F32)   # the default, 2.0


def check_avg_pool2d(run):
    r = rng(41)
    b, c, ho, wo = 2, 3, 65, 70
    x = r.standard_normal((b, c, 2 * ho, 2 * wo)).astype(np.float32)
    xv, = f64(x)
    ref = xv.reshape(b, c, ho, 2, wo, 2).mean(axis=(3, 5))
    out = run(x)
    assert out.shape == (b, c, ho, wo) and out.dtype == np.float32
    # Three f32 adds and an exact scale by 1/4: a few 2^-24 of the sum of the |corners|.
    scale = np.abs(xv).reshape(b, c, ho, 2, wo, 2).sum(axis=(3, 5))
    np.testing.assert_allclose(out, ref, rtol=0, atol=(2.0 ** -22 * scale).max())


def check_batched_matmul(run):
    r = rng(19)
    a, b = r.standard_normal((3, 130, 200)).astype(BF16), r.standard_normal((3, 200, 150)).astype(BF16)
    out = run(a, b)
    assert out.shape == (3, 130, 150) and out.dtype == np.float32
    assert_matmul_bound(out, a, b)


def check_cast_fp8(run):
    x = rng(4).standard_normal((20, 48)).astype(np.float32)
    q, inv_scale, roundtrip, grad8 = run(x)
    amax = np.maximum(np.abs(x).max(axis=1, keepdims=True), np.float32(1e-12))
    assert q.dtype == ml_dtypes.float8_e4m3 and grad8.dtype == ml_dtypes.float8_e5m2 and roundtrip.dtype == BF16
    assert_within_steps(q, x.astype(np.float64) * 240.0 / amax)
    np.testing.assert_allclose(inv_scale, amax / 240.0, **F32)
    assert_within_steps(roundtrip, q.astype(np.float64) * inv_scale.astype(np.float64))
    np.testing.assert_array_equal(grad8, x.astype(BF16).astype(ml_dtypes.float8_e5m2))   # two exact conversions


def check_embedding(run):
    r = rng(28)
    v, d, b, s = 300, 96, 2, 130
    table = r.standard_normal((v, d)).astype(BF16)
    ids = r.integers(-3 * v, 3 * v, (b, s)).astype(np.int32)
    gamma = r.standard_normal(d).astype(np.float32)
    e = f64(table)[0][np.abs(ids) % v] * math.sqrt(d)
    ref = e / np.sqrt((e ** 2).mean(axis=-1, keepdims=True) + 1e-6) * gamma
    out = run(table, ids, gamma)
    assert out.shape == (b, s, d) and out.dtype == BF16
    # The rows are copied exactly; the f32 normalisation adds a few 2^-24 relative, then one rounding to bf16.
    assert_within_steps(out, ref, atol=np.abs(ref) * 2.0 ** -20)


def check_embedding_tiled(run):
    r = rng(46)
    v, d, n = 300, 96, 130   # 130: a remainder tile of 2 tokens
    table = r.standard_normal((v, d)).astype(BF16)
    ids = r.integers(-3 * v, 3 * v, (n, 1)).astype(np.int32)
    pos = r.standard_normal((n, d)).astype(BF16)
    scaled = f64(table)[0][np.abs(ids[:, 0]) % v] * math.sqrt(d)
    ref = scaled + f64(pos)[0]
    out = run(table, ids, pos)
    assert out.shape == (n, d) and out.dtype == BF16
    # The rows are copied exactly; sqrt, a product and a sum in f32 (2^-24 relative of their terms each), then one
    # rounding to bf16.
    assert_within_steps(out, ref, atol=(np.abs(scaled) + np.abs(f64(pos)[0])) * 2.0 ** -22)


def check_embedding_grad(run):
    r = rng(45)
    v, d, b, s = 50, 96, 2, 130
    table_grad = r.standard_normal((v, d)).astype(np.float32)
    ids = r.integers(-3 * v, 3 * v, (b, s)).astype(np.int32)
    grad = r.standard_normal((b, s, d)).astype(np.float32)
    ref = table_grad.copy()
    np.add.at(ref, np.abs(ids).reshape(-1) % v, grad.reshape(-1, d))   # f32 adds, one row at a time in index order
    out = run(table_grad, ids, grad)
    assert out.shape == (v, d) and out.dtype == np.float32
    np.testing.assert_array_equal(out, ref)   # the same f32 adds in the same order: exact


def check_flash_attention(run):
    r = rng(33)
    b, h, s, d = 1, 2, 200, 64   # 200: a remainder block of 72 queries and of 72 keys
    q, k = ((r.standard_normal((b, h, d, s)) * 0.5).astype(BF16) for _ in range(2))
    v = r.standard_normal((b, h, s, d)).astype(BF16)
    qv, kv, vv = f64(q, k, v)
    scores = np.einsum("bhds,bhdt->bhst", qv, kv) * float(np.float32(0.08838834764831845))
    p = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = p / p.sum(axis=-1, keepdims=True)
    ref = weights @ vv
    out = run(q, k, v)
    assert out.shape == (b, h, s, d) and out.dtype == BF16
    # The probabilities are rounded to bf16 (2^-9 relative each) before the PE multiplies them by v, while the row
    # sums use them unrounded: within 2^-8 of sum(p |v|) / sum(p) per element, then one rounding to bf16.
    assert_within_steps(out, ref, steps=1.0, atol=2.0 ** -8 * (weights @ np.abs(vv)))


def check_flash_attention_fwd(run):
    # S = 300: the diagonal blocks sit at 0, 128 and 256 (a remainder block of 44 queries and 44 keys), so the mask
    # (one affine_select) is checked at every offset against numpy's np.triu mask. S = 2200: the query blocks from
    # 1920 on take two online-softmax steps of 2048 keys (the running max, sum and output rescaled between them), and
    # the last step is ragged (152 keys past 2048, a remainder tile of 24 queries).
    for seed, (b, h, s, d) in ((34, (1, 2, 300, 64)), (35, (1, 1, 2200, 64))):
        causal_flash_case(run, seed, b, h, s, d)


def causal_flash_case(run, seed, b, h, s, d):
    r = rng(seed)
    q, k = ((r.standard_normal((b, h, d, s)) * 0.5).astype(BF16) for _ in range(2))
    v = r.standard_normal((b, h, s, d)).astype(BF16)
    qv, kv, vv = f64(q, k, v)
    scores = np.einsum("bhds,bhdt->bhst", qv, kv) * float(np.float32(0.08838834764831845))
    scores = np.where(np.triu(np.ones((s, s), dtype=bool), k=1), -np.inf, scores)   # keys above the diagonal
    p = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = p / p.sum(axis=-1, keepdims=True)
    ref = weights @ vv
    out = run(q, k, v)
    assert out.shape == (b, h, s, d) and out.dtype == BF16
    # Query 0 sees only key 0: its output is v[0] rounded once to bf16 (v is bf16 already: exact).
    np.testing.assert_array_equal(f64(out)[0][:, :, 0, :], vv[:, :, 0, :])
    # As check_flash_attention: bf16 probabilities into the PE, f32 row sums, then one rounding to bf16. The online
    # rescaling multiplies the f32 sum and output by exp(m - m_new) <= 1 once per step: f32 roundings, far below this.
    assert_within_steps(out, ref, steps=1.0, atol=2.0 ** -8 * (weights @ np.abs(vv)))


def check_gelu(run):
    x = np.linspace(-4, 4, 130 * 96, dtype=np.float32).reshape(130, 96).astype(BF16)
    xv, = f64(x)
    assert_within_steps(run(x), 0.5 * xv * (1 + erf(xv / math.sqrt(2))))


def check_gelu_tanh(run):
    x = (rng(5).standard_normal((130, 96)) * 2).astype(BF16)
    xv, = f64(x)
    # 1 + tanh(...) cancels in f32 for negative x: an absolute error up to 2^-24 of 1, times 0.5 |x|, twice.
    assert_within_steps(run(x), 0.5 * xv * (1 + np.tanh(0.7978845608 * (xv + 0.044715 * xv ** 3))),
                        atol=np.abs(xv) * 2.0 ** -24)


def check_layernorm(run):
    r = rng(6)
    x = (r.standard_normal((130, 96)) * 3 + 1).astype(np.float32)
    gamma, beta = r.standard_normal(96).astype(np.float32), r.standard_normal(96).astype(np.float32)
    x64, = f64(x)
    mu = x64.mean(axis=1, keepdims=True)
    ref = (x64 - mu) / np.sqrt(((x64 - mu) ** 2).mean(axis=1, keepdims=True) + 1e-5) * gamma + beta
    np.testing.assert_allclose(run(x, gamma, beta), ref, **F32)


def check_layernorm_3d(run):
    r = rng(20)
    x = (r.standard_normal((2, 130, 96)) * 3 + 1).astype(np.float32)
    gamma, beta = r.standard_normal(96).astype(np.float32), r.standard_normal(96).astype(np.float32)
    x64, = f64(x)
    mu = x64.mean(axis=-1, keepdims=True)
    ref = (x64 - mu) / np.sqrt(((x64 - mu) ** 2).mean(axis=-1, keepdims=True) + 1e-5) * gamma + beta
    np.testing.assert_allclose(run(x, gamma, beta), ref, **F32)


def check_mamba_scan(run):
    r = rng(26)
    nst, c, t = 3, 130, 300
    x = r.standard_normal((c, t)).astype(np.float32)
    delta = np.log1p(np.exp(r.standard_normal((c, t)))).astype(np.float32)          # softplus: > 0
    a = -np.exp(r.standard_normal((nst, c, 1))).astype(np.float32)                   # negative: decay
    b, cm = (r.standard_normal((nst, 1, t)).astype(np.float32) for _ in range(2))
    xv, dv, av, bv, cv = f64(x, delta, a, b, cm)
    decay, drive = np.exp(dv * av), dv * xv * bv                                     # [nst, c, t]
    h = np.zeros((nst, c, t))
    state = np.zeros((nst, c))
    for step in range(t):
        state = decay[..., step] * state + drive[..., step]
        h[..., step] = state
    ref = (h * cv).sum(axis=0, keepdims=True)
    out = run(x, delta, a, b, cm)
    assert out.shape == (1, c, t)
    # Each step rounds twice to f32 and the factors are below 1, so an error does not grow along the scan: the
    # state stays within ~T 2^-23 (3.6e-5 at T = 300) of the exact one, relative to the largest state.
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4 * np.abs(h).max() * nst)


def check_rope(run):
    r = rng(27)
    b, h, s, dh = 2, 3, 130, 48
    x = r.standard_normal((b, h, s, 2 * dh)).astype(BF16)
    angle = np.arange(s)[:, None] * 10000.0 ** (-np.arange(dh) / dh)
    cos, sin = np.cos(angle).astype(np.float32), np.sin(angle).astype(np.float32)
    xv, cv, sv = f64(x, cos, sin)
    x1, x2 = xv[..., :dh], xv[..., dh:]
    ref = np.concatenate([x1 * cv - x2 * sv, x2 * cv + x1 * sv], axis=-1)
    out = run(x, cos, sin)
    assert out.shape == x.shape and out.dtype == BF16
    # f32 products and a sum (a few 2^-24 of |x1 cos| + |x2 sin|), then one rounding to bf16.
    scale = np.concatenate([np.abs(x1 * cv) + np.abs(x2 * sv), np.abs(x2 * cv) + np.abs(x1 * sv)], axis=-1)
    assert_within_steps(out, ref, atol=2.0 ** -22 * scale)


def check_matmul(run):
    r = rng(7)
    a, b = r.standard_normal((160, 300)).astype(BF16), r.standard_normal((300, 200)).astype(BF16)
    out = run(a, b)
    assert out.shape == (160, 200) and out.dtype == np.float32
    assert_matmul_bound(out, a, b)


def check_matmul_bias_gelu(run):
    r = rng(8)
    a, b = r.standard_normal((130, 256)).astype(BF16), (r.standard_normal((256, 512)) * 0.1).astype(BF16)
    bias = r.standard_normal(512).astype(np.float32)
    a64, b64 = f64(a, b)
    h = a64 @ b64 + bias
    out = run(a, b, bias)
    # One bf16 step of the exact result, widened by the accumulation bound of h (gelu' <= 1.13).
    slack = 1.13 * 256 * 2.0 ** -24 * (np.abs(a64) @ np.abs(b64))
    ref = 0.5 * h * (1 + erf(h / math.sqrt(2)))
    assert np.all(np.abs(out.astype(np.float64) - ref) <= slack + np.abs(ref) * 2.0 ** -7 + 2.0 ** -133)


def check_matmul_tiled(run):
    r = rng(9)
    a_t, b = r.standard_normal((256, 128)).astype(BF16), r.standard_normal((256, 512)).astype(BF16)
    assert_matmul_bound(run(a_t, b), np.asarray(a_t, dtype=np.float64).T, b)


def mx_quantize_rows(x, element=ml_dtypes.float8_e4m3fn, emax=8):
    """NKI's quantize_mx on each row's blocks of 32 (Docs/numerics.md), written here with numpy and ml_dtypes: OCP MX
    v1.0 section 6.3 with a scale twice as large, 2^(floor(log2(amax)) - emax + 1), clamped to 2^-127 at the bottom;
    elements x / scale rounded to the format (ml_dtypes: nearest even); blocks holding NaN or inf get the NaN scale."""
    rows, columns = x.shape
    blocks = np.asarray(x, dtype=np.float64).reshape(rows, columns // 32, 32)
    with np.errstate(invalid="ignore", divide="ignore"):
        amax = np.abs(blocks).max(axis=2, initial=0.0)   # NaN propagates
        _, exponent = np.frexp(np.where(np.isfinite(amax) & (amax > 0), amax, 1.0))
        e = np.where(amax >= 2.0 ** -126, exponent - 1, -127) - emax + 1
        e = np.maximum(e, -127)
        scale = np.where(np.isfinite(amax), np.ldexp(1.0, e), np.nan)
        limit = float(ml_dtypes.finfo(element).max)
        q = blocks / scale[:, :, None]
        assert not np.any(np.abs(q) > limit)             # the doubled scale never saturates
        q = np.where(np.isfinite(amax)[:, :, None], q, np.nan)
    return q.astype(np.float32).astype(element).reshape(rows, columns), scale.astype(np.float32)


def check_mx_quantize(run):
    r = rng(44)
    x = (r.standard_normal((256, 1024)) * np.exp(r.standard_normal((256, 1)) * 4)).astype(BF16)
    x[0, :32] = 0                                    # a zero block: scale 2^-127, elements 0
    x[1, 32:64] = BF16(1e-38)                        # a block of bf16 subnormals: the scale clamps at 2^-127
    x[2, 64] = np.inf                                # an infinity: the block's scale is NaN, its elements NaN
    x[3, 96] = np.nan
    x[4, 128:160] = np.linspace(400, 500, 32)        # with OCP's own scale these would clamp at 448; here they fit
    q, s = run(x)
    want_q, want_s = mx_quantize_rows(np.asarray(x, dtype=np.float32))
    assert q.dtype == ml_dtypes.float8_e4m3fn and s.shape == (256, 32)
    np.testing.assert_array_equal(q.view(np.uint8), want_q.view(np.uint8))
    np.testing.assert_array_equal(s.view(np.uint32), want_s.view(np.uint32))
    # Dequantized, every finite block is x within half a step of f8e4m3fn (3 mantissa bits: 2^-4 relative) or
    # 2^-10 times its scale (the subnormals).
    finite = np.isfinite(want_s).repeat(32, axis=1)
    deq = q.astype(np.float64) * s.astype(np.float64).repeat(32, axis=1)
    xv = np.asarray(x, dtype=np.float64)
    err = np.abs(deq - xv)[finite]
    bound = (2.0 ** -4 * np.abs(xv) + 2.0 ** -10 * s.astype(np.float64).repeat(32, axis=1))[finite]
    assert np.all(err <= bound)


def check_matmul_mx(run):
    r = rng(45)
    a = r.standard_normal((256, 256)).astype(np.float32)         # A [M, K]
    b = r.standard_normal((256, 512)).astype(np.float32)         # B [K, N]
    a_q, a_s = mx_quantize_rows(a)                               # A's rows quantized along K
    bt_q, bt_s = mx_quantize_rows(np.ascontiguousarray(b.T))     # B's columns quantized along K
    a_q, a_s, b_q, b_s = a_q.T.copy(), a_s.T.copy(), bt_q.T.copy(), bt_s.T.copy()
    # A scale that is not a power of two is rounded to E8M0 as ml_dtypes' float8_e8m0fnu rounds it (1.5 -> 2).
    a_s[0, 0] *= np.float32(1.5)
    a_s[1, 1] *= np.float32(1.4)
    out = run(a_q, a_s, b_q, b_s)
    e8 = ml_dtypes.float8_e8m0fnu
    deq_a = (a_q.astype(np.float32) * a_s.astype(e8).astype(np.float32).repeat(32, axis=0)).astype(np.float32)
    deq_b = (b_q.astype(np.float32) * b_s.astype(e8).astype(np.float32).repeat(32, axis=0)).astype(np.float32)
    # The products of dequantized MX values are exact in f32; the sums are in k order, as a 128-deep slab after
    # another accumulates in PSUM: the same f32 running sum as `sequential_matmul`.
    np.testing.assert_array_equal(out, sequential_matmul(deq_a.T, deq_b))
    # Against the f32 product of the unquantized operands (Docs/numerics.md): each MXFP8 element is within
    # u = 2^-4 of its value, so |out - a @ b| <= (2u + u^2 + K 2^-24) |a| @ |b| (the last term the f32 sums). Row 0
    # is left out: its first block's scale was made 1.5x above, so it is not the quantization of a.
    u, k = 2.0 ** -4, a.shape[1]
    error = np.abs(out - a.astype(np.float64) @ b)[1:]
    assert np.all(error <= (2 * u + u * u + k * 2.0 ** -24) * (np.abs(a) @ np.abs(b))[1:])


def check_matmul_mx_resident(run):
    r = rng(46)
    kt, m, n = 3, 256, 1024
    a = r.standard_normal((m, 128 * kt)).astype(np.float32)
    b = r.standard_normal((128 * kt, n)).astype(np.float32)
    a_q, a_s = mx_quantize_rows(a)                               # [M, K], [M, K / 32]
    bt_q, bt_s = mx_quantize_rows(np.ascontiguousarray(b.T))     # [N, K], [N, K / 32]
    # The kernel's layout: [row in slab, slab, column] (K = 128 slab + row) and [block in slab, slab, column].
    def slabs(q, s):
        cols = q.shape[0]
        return (q.T.reshape(kt, 128, cols).transpose(1, 0, 2).copy(), s.T.reshape(kt, 4, cols).transpose(1, 0, 2).copy())
    (aq3, as3), (bq3, bs3) = slabs(a_q, a_s), slabs(bt_q, bt_s)
    out = run(aq3, as3, bq3, bs3)
    deq_a = (a_q.astype(np.float32) * a_s.repeat(32, axis=1)).astype(np.float32)      # [M, K]
    deq_b = (bt_q.astype(np.float32) * bt_s.repeat(32, axis=1)).astype(np.float32).T  # [K, N]
    np.testing.assert_array_equal(out, sequential_matmul(deq_a, deq_b))


def check_max_pool2d(run):
    r = rng(42)
    c, ho, wo = 4, 100, 65
    x = r.standard_normal((c, 2 * ho, 2 * wo)).astype(BF16)
    ref = x.astype(np.float32).reshape(c, ho, 2, wo, 2).max(axis=(2, 4)).astype(BF16)
    out = run(x)
    assert out.shape == (c, ho, wo) and out.dtype == BF16
    np.testing.assert_array_equal(out, ref)   # a maximum picks one of its operands: exact


def check_mean_center(run):
    x = (rng(10).standard_normal((200, 40)) * 2 + 3).astype(np.float32)
    centred, std = run(x)
    x64, = f64(x)
    # The column mean is an f32 sum of 200 terms (error <= 200 2^-24 mean|x|), and x - mean cancels: absolute.
    bound = 200 * 2.0 ** -24 * np.abs(x64).mean(axis=0, keepdims=True) + 2.0 ** -24 * np.abs(x64)
    assert np.all(np.abs(centred - (x64 - x64.mean(axis=0, keepdims=True))) <= bound)
    np.testing.assert_allclose(std, x64.std(axis=0, ddof=1, keepdims=True), **F32)


def check_remainder(run):
    r = rng(11)
    x, y = r.standard_normal((300, 200)).astype(np.float32), r.standard_normal((300, 200)).astype(np.float32)
    x64, y64 = f64(x, y)
    np.testing.assert_allclose(run(x, y), x64 / (1 + np.exp(-x64)) * y64, **F32)


def check_moe_router(run):
    r = rng(44)
    t, d, e = 130, 256, 64
    x = r.standard_normal((t, d)).astype(BF16)
    w = (r.standard_normal((d, e)) * 0.1).astype(BF16)
    xv, wv = f64(x, w)
    logits = xv @ wv
    bound = d * 2.0 ** -24 * (np.abs(xv) @ np.abs(wv))   # the f32 accumulation's error (exact bf16 products)
    experts, weights = run(x, w)
    assert experts.shape == (t, 2) and experts.dtype == np.int32 and weights.shape == (t, 2)
    # Kiln ranks its f32 logits: each chosen expert's exact logit is within the rounding bounds of the one numpy ranks
    # at that place (the same expert but for near-ties), and the two are distinct.
    ranked = np.sort(logits, axis=1)[:, ::-1]
    chosen = np.take_along_axis(logits, experts, axis=1)
    slack = np.take_along_axis(bound, experts, axis=1) + bound.max(axis=1, keepdims=True)
    assert np.all(np.abs(chosen - ranked[:, :2]) <= slack) and np.all(experts[:, 0] != experts[:, 1])
    clear = (ranked[:, 0] - ranked[:, 1] > 2 * bound.max(axis=1)) & (ranked[:, 1] - ranked[:, 2] > 2 * bound.max(axis=1))
    np.testing.assert_array_equal(experts[clear], np.argsort(-logits, axis=1, kind="stable")[clear][:, :2])
    assert clear.sum() > t // 2
    # Softmax of the two f32 logits: a few 2^-24 relative, plus the logits' own rounding through exp's slope.
    gate = np.exp(chosen - chosen[:, :1])
    ref = gate / gate.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(weights, ref, rtol=0, atol=2.0 ** -20 + 2 * slack.max())


def check_rmsnorm(run):
    r = rng(12)
    x, w = r.standard_normal((150, 64)).astype(np.float32), r.standard_normal(64).astype(np.float32)
    x64, = f64(x)
    np.testing.assert_allclose(run(x, w, eps=0.5), x64 / np.sqrt((x64 ** 2).mean(axis=1, keepdims=True) + 0.5) * w, **F32)


def check_rmsnorm_heads_tiled(run):
    # S = 300: the last row tile holds 44 positions (a remainder tile); every head normalised over its own D.
    r = rng(35)
    x = r.standard_normal((2, 300, 4, 64)).astype(np.float32)
    gamma = r.standard_normal((1, 4, 64)).astype(np.float32)
    x64, g64 = f64(x, gamma)
    ref = x64 / np.sqrt((x64 ** 2).mean(axis=-1, keepdims=True) + 1e-6) * g64
    out = run(x, gamma)
    assert out.shape == (2, 300, 4, 64) and out.dtype == np.float32
    np.testing.assert_allclose(out, ref, **F32)


def check_row_reduce(run):
    x = rng(13).standard_normal((130, 300)).astype(np.float32)
    total, peak = run(x)
    x64, = f64(x)
    # An f32 sum of 300 terms in its own order: within 300 2^-24 of the sum of magnitudes.
    assert np.all(np.abs(total - x64.sum(axis=1, keepdims=True)) <= 300 * 2.0 ** -24 * np.abs(x64).sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(peak, x.max(axis=1, keepdims=True))


def check_rmsnorm_qkv(run):
    r = rng(21)
    hidden = (r.standard_normal((2, 130, 256)) * 2).astype(BF16)
    w = (r.standard_normal((256, 96)) * 0.1).astype(BF16)
    h64, w64 = f64(hidden, w)
    normed = h64 / np.sqrt((h64 * h64).mean(axis=-1, keepdims=True) + 1e-6)
    nb, = f64(normed.astype(np.float32).astype(BF16))
    out = run(hidden, w)
    assert out.shape == (2, 130, 96) and out.dtype == BF16
    # The kernel's f32 norm may round an element to the neighbouring bf16 value (2^-8 of it, times |w|), the
    # f32 accumulation adds K 2^-24, and the output rounds to bf16 (one step: 2^-8 relative).
    scale = np.abs(nb) @ np.abs(w64)
    bound = (2.0 ** -8 + 256 * 2.0 ** -24) * scale + 2.0 ** -8 * np.abs(nb @ w64)
    excess = np.abs(f64(out)[0] - nb @ w64) - bound
    assert excess.max() <= 0, f"exceeds the bound by {excess.max()}"


def check_cross_entropy(run):
    r = rng(23)
    logits = (r.standard_normal((300, 129)) * 3).astype(np.float32)
    labels = r.integers(0, 129, size=(300, 1)).astype(np.int32)
    x, = f64(logits)
    m = x.max(axis=1, keepdims=True)
    nll_ref = np.log(np.exp(x - m).sum(axis=1, keepdims=True)) + m - np.take_along_axis(x, labels, axis=1)
    loss, nll = run(logits, labels)
    assert loss.shape == (1, 1) and nll.shape == (300, 1)
    # An f32 chain of a few roundings per element; the log-sum of 129 terms loses at most 129 2^-24 relative.
    np.testing.assert_allclose(nll, nll_ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(loss, nll_ref.mean(keepdims=True).reshape(1, 1), rtol=1e-5, atol=1e-5)


def check_rmsnorm_quant_fp8(run):
    r = rng(24)
    x = (r.standard_normal((130, 300)) * 2).astype(BF16)
    gamma = (1 + 0.1 * r.standard_normal(300)).astype(BF16)
    xv, gv = f64(x, gamma)
    y = xv / np.sqrt((xv * xv).mean(axis=1, keepdims=True) + 1e-6) * gv
    scale_ref = np.abs(y).max(axis=1, keepdims=True) / 240.0
    q, scale = run(x, gamma)
    assert q.dtype == ml_dtypes.float8_e4m3 and scale.shape == (130, 1)
    np.testing.assert_allclose(scale, scale_ref, rtol=1e-5)
    # y / scale rounds once to e4m3 (one step of the format, from the exact quotient); |q| <= 240.
    assert_within_steps(q, y / scale.astype(np.float64))
    assert np.abs(f64(q)[0]).max() <= 240.0


def check_select_relu_mask(run):
    r = rng(14)
    x, dy = (r.standard_normal((130, 70)) * 5).astype(np.float32), r.standard_normal((130, 70)).astype(np.float32)
    leaky, dx6, outlier = run(x, dy, slope=0.25)
    np.testing.assert_array_equal(leaky, np.where(x > 0, x, np.float32(0.25) * x))   # a power of two: exact
    np.testing.assert_array_equal(dx6, np.where((x > 0) & (x < 6), dy, 0))
    assert outlier.dtype == np.bool_
    np.testing.assert_array_equal(outlier, (x < -6) | (x > 6))


def check_softmax(run):
    x = rng(15).standard_normal((200, 300)).astype(np.float32) * 4
    np.testing.assert_allclose(run(x), softmax_rows(x.astype(np.float64)), **F32)


def check_softmax_tiled(run):
    x = rng(16).standard_normal((200, 512)).astype(np.float32)
    np.testing.assert_allclose(run(x), softmax_rows(x.astype(np.float64)), **F32)


def check_swiglu_mlp(run):
    r = rng(25)
    x = r.standard_normal((130, 96)).astype(BF16)
    wg, wu = ((r.standard_normal((96, 200)) * 0.1).astype(BF16) for _ in range(2))
    wd = (r.standard_normal((200, 96)) * 0.1).astype(BF16)
    xv, gv, uv, dv = f64(x, wg, wu, wd)
    g, u = xv @ gv, xv @ uv
    hidden = g / (1 + np.exp(-g)) * u
    hb, = f64(hidden.astype(np.float32).astype(BF16))
    out = run(x, wg, wu, wd)
    assert out.shape == (130, 96) and out.dtype == BF16
    # The hidden layer rounds to bf16 (2^-8 relative each, times |w_down|), the f32 accumulation adds
    # K 2^-24, and the output rounds to bf16 (one step, 2^-8 relative); the gate's f32 math adds a few 2^-24.
    scale = np.abs(hidden) @ np.abs(dv)
    bound = (2.0 ** -8 + 2 ** -16) * scale + 2.0 ** -8 * np.abs(hb @ dv)
    excess = np.abs(f64(out)[0] - hidden @ dv) - bound
    assert excess.max() <= 0, f"exceeds the bound by {excess.max()}"


def check_transpose(run):
    x = rng(17).standard_normal((130, 200)).astype(np.float32)
    np.testing.assert_array_equal(run(x), x.T)


def check_upsample_nearest2d(run):
    r = rng(43)
    c, h, w = 3, 70, 100
    x = r.standard_normal((c, h, w)).astype(np.float32)
    out = run(x)
    assert out.shape == (c, 2 * h, 2 * w) and out.dtype == np.float32
    np.testing.assert_array_equal(out, x.repeat(2, axis=1).repeat(2, axis=2))   # copies only: exact


CHECKS = {name[len("check_"):]: function for name, function in globals().items() if name.startswith("check_")}


def test_every_example_has_a_check():
    assert sorted(CHECKS) == sorted(path.stem for path in EXAMPLES.glob("*.kiln"))


@pytest.mark.parametrize("backend", ["sim", "llvm"])
@pytest.mark.parametrize("example", sorted(CHECKS))
def test_example(example, backend):
    path = EXAMPLES / f"{example}.kiln"
    # An example whose header names its target (`// target: trn3`: the MX examples) compiles for it.
    header = [line[len("// target: "):].strip() for line in path.read_text().splitlines()[:20] if line.startswith("// target: ")]
    kernel = kiln.compile(path, target=header[0] if header else "trn1")
    CHECKS[example](lambda *args, **named: kernel(*args, backend=backend, **named))
    if backend == "sim":
        # A second call of the same kernel runs the same program on the on-chip memories the first call left
        # (cleared for it): the results must be right again.
        CHECKS[example](lambda *args, **named: kernel(*args, backend=backend, **named))
