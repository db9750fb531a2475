# test_reference.py: `kiln run --backend ref` checked against numpy code written independently of Kiln.
#
# Run: KILN=/path/to/kiln python3 -m pytest Tests/python      (needs numpy and pytest; ml_dtypes optional)
#
# Tolerances, per dtype (Docs/numerics.md explains them):
# - f32 results: every Kiln operation rounds to f32 (relative error <= 2^-24 each); a kernel chains
#   a handful of them, and numpy's float64 reference does not round at all, so rtol = 1e-5
#   (~ 2^-17: a chain of ~100 roundings in the worst case) with atol = 1e-6 for values near 0.
# - bf16 results: bf16 keeps 8 significant bits, so one rounding is up to 2^-9 relative and the
#   f64 -> f32 -> bf16 double rounding can move a tie by one bf16 step: rtol = 2^-8, one ulp.
# - matmul: each product is rounded to f32 and added to an f32 running sum in k order (Docs/numerics.md,
#   "Matmul accumulation order"), so the result equals numpy's float32 loop bit for bit: no tolerance.
import math
import subprocess

import numpy as np
import pytest

from kiln_helpers import EXAMPLES, KILN, bf16_bits, bf16_values, requires_kiln, rng, run_backend, sequential_matmul

pytestmark = requires_kiln

F32 = dict(rtol=1e-5, atol=1e-6)
BF16 = dict(rtol=2.0 ** -8, atol=2.0 ** -12)


def run_kiln(example, inputs, tmp_path, *extra):
    """Runs `kiln run --backend ref` on `inputs`, returns {result: array}."""
    return run_backend(example, "ref", inputs, tmp_path, *extra)[0]


def test_softmax(tmp_path):
    x = rng(1).standard_normal((37, 300)).astype(np.float32) * 4
    out = run_kiln("softmax.kiln", {"x": x}, tmp_path)["out"]
    ref = np.exp(x.astype(np.float64) - x.max(axis=1, keepdims=True))
    ref /= ref.sum(axis=1, keepdims=True)
    assert out.shape == (37, 300) and out.dtype == np.float32
    np.testing.assert_allclose(out, ref, **F32)


def test_softmax_tiled_remainder_rows(tmp_path):
    x = rng(2).standard_normal((200, 512)).astype(np.float32)
    out = run_kiln("softmax_tiled.kiln", {"x": x}, tmp_path)["out"]
    ref = np.exp(x.astype(np.float64) - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(out, ref / ref.sum(axis=1, keepdims=True), **F32)


def test_layernorm(tmp_path):
    r = rng(3)
    x = (r.standard_normal((16, 96)) * 3 + 1).astype(np.float32)
    gamma = r.standard_normal(96).astype(np.float32)
    beta = r.standard_normal(96).astype(np.float32)
    out = run_kiln("layernorm.kiln", {"x": x, "gamma": gamma, "beta": beta}, tmp_path)["out"]
    x64 = x.astype(np.float64)
    mu = x64.mean(axis=1, keepdims=True)
    var = ((x64 - mu) ** 2).mean(axis=1, keepdims=True)
    ref = (x64 - mu) / np.sqrt(var + 1e-5) * gamma + beta
    np.testing.assert_allclose(out, ref, **F32)


def test_rmsnorm_with_scalar_override(tmp_path):
    r = rng(4)
    x = r.standard_normal((8, 64)).astype(np.float32)
    w = r.standard_normal(64).astype(np.float32)
    out = run_kiln("rmsnorm.kiln", {"x": x, "w": w}, tmp_path, "--scalar", "eps=0.5")["out"]
    x64 = x.astype(np.float64)
    ref = x64 / np.sqrt((x64 ** 2).mean(axis=1, keepdims=True) + 0.5) * w
    np.testing.assert_allclose(out, ref, **F32)


def test_matmul_bf16_inputs_as_bits(tmp_path):
    r = rng(5)
    a = bf16_bits(r.standard_normal((64, 200)))
    b = bf16_bits(r.standard_normal((200, 48)))
    out = run_kiln("matmul.kiln", {"a": a, "b": b}, tmp_path, "--strict-dtypes")["out"]
    ref = sequential_matmul(bf16_values(a), bf16_values(b))
    assert out.shape == (64, 48) and out.dtype == np.float32
    assert np.array_equal(out.view(np.uint32), ref.view(np.uint32))


def test_matmul_f32_inputs_are_rounded_to_bf16(tmp_path):
    r = rng(6)
    a = r.standard_normal((32, 40)).astype(np.float32)
    b = r.standard_normal((40, 16)).astype(np.float32)
    out = run_kiln("matmul.kiln", {"a": a, "b": b}, tmp_path)["out"]
    ref = sequential_matmul(bf16_values(bf16_bits(a)), bf16_values(bf16_bits(b)))
    assert np.array_equal(out.view(np.uint32), ref.view(np.uint32))


def test_gelu_bf16(tmp_path):
    x = bf16_bits(np.linspace(-4, 4, 2 * 128, dtype=np.float32).reshape(2, 128))
    out = run_kiln("gelu.kiln", {"x": x}, tmp_path)["out"]
    assert out.dtype == np.uint16   # bf16 results are written as their bit patterns ('<u2')
    xv = bf16_values(x)
    erf = np.vectorize(math.erf)
    ref = 0.5 * xv * (1 + erf(xv / math.sqrt(2)))
    np.testing.assert_allclose(bf16_values(out), ref, **BF16)


def test_attention(tmp_path):
    r = rng(7)
    q, k, v = (bf16_bits(r.standard_normal((n, 64)) * 0.5) for n in (40, 56, 56))
    out = run_kiln("attention.kiln", {"q": q, "k": k, "v": v}, tmp_path)["out"]
    qv, kv, vv = bf16_values(q), bf16_values(k), bf16_values(v)
    s = qv @ kv.T / math.sqrt(64)
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    ref = bf16_values(bf16_bits(p.astype(np.float32))) @ vv
    # The probabilities are rounded to bf16 (rtol 2^-8 each) before the second matmul.
    np.testing.assert_allclose(out, ref, rtol=2.0 ** -7, atol=2.0 ** -9)


def test_select_relu_mask(tmp_path):
    r = rng(8)
    x = (r.standard_normal((12, 20)) * 5).astype(np.float32)
    dy = r.standard_normal((12, 20)).astype(np.float32)
    outs = run_kiln("select_relu_mask.kiln", {"x": x, "dy": dy}, tmp_path, "--scalar", "slope=0.25")
    # slope * x is one f32 multiplication by a power of two: exact.
    np.testing.assert_array_equal(outs["leaky"], np.where(x > 0, x, np.float32(0.25) * x))
    np.testing.assert_array_equal(outs["dx6"], np.where((x > 0) & (x < 6), dy, 0))
    assert outs["outlier"].dtype == np.bool_
    np.testing.assert_array_equal(outs["outlier"], (x < -6) | (x > 6))


def test_mean_center_axis0(tmp_path):
    x = (rng(10).standard_normal((30, 7)) * 2 + 3).astype(np.float32)
    outs = run_kiln("mean_center.kiln", {"x": x}, tmp_path)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(outs["centred"], x64 - x64.mean(axis=0, keepdims=True), **F32)
    np.testing.assert_allclose(outs["std"], x64.std(axis=0, ddof=1, keepdims=True), **F32)


def test_cast_fp8_matches_ml_dtypes(tmp_path):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    x = rng(9).standard_normal((8, 32)).astype(np.float32)
    outs = run_kiln("cast_fp8.kiln", {"x": x}, tmp_path)
    amax = np.maximum(np.abs(x).max(axis=1, keepdims=True), np.float32(1e-12))
    scaled = x * (np.float32(240.0) / amax)   # f32 arithmetic, as Kiln does it
    ref_q = scaled.astype(ml_dtypes.float8_e4m3).view(np.uint8)
    np.testing.assert_array_equal(outs["q"], ref_q)
    ref_grad = x.astype(ml_dtypes.bfloat16).astype(ml_dtypes.float8_e5m2).view(np.uint8)
    np.testing.assert_array_equal(outs["grad8"], ref_grad)


def test_same_seed_same_outputs(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    for directory in (first, second):
        subprocess.run([KILN, "run", str(EXAMPLES / "add.kiln"), "--random", "11", "--dim", "N=5",
                        "--dim", "D=7", "--output-dir", str(directory)], check=True)
    np.testing.assert_array_equal(np.load(first / "out.npy"), np.load(second / "out.npy"))


def test_errors_name_the_problem(tmp_path):
    bad = tmp_path / "bad.npy"
    bad.write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f4'")
    proc = subprocess.run([KILN, "run", str(EXAMPLES / "softmax.kiln"), "--input", f"x={bad}"],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert f"input 'x': {bad}: " in proc.stderr
    np.save(tmp_path / "x.npy", np.zeros((4, 3), dtype=np.float32))
    proc = subprocess.run([KILN, "run", str(EXAMPLES / "matmul.kiln"), "--input", f"a={tmp_path / 'x.npy'}",
                           "--input", f"b={tmp_path / 'x.npy'}"], capture_output=True, text=True)
    assert proc.returncode == 1 and "'b'" in proc.stderr and "giving K = 4, but K is already 3" in proc.stderr, proc.stderr
