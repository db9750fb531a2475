# test_f4e2m1fn.py: f4e2m1fn (MXFP4's element: no infinity, no NaN, largest 6) bit for bit against ml_dtypes.
#
# Run: KILN=/path/to/kiln KILN_LIBRARY=/path/to/libKiln.so PYTHONPATH=python python3 -m pytest Tests/python/test_f4e2m1fn.py
#
# Every executor (ref, sim, llvm) must decode all 16 codes and encode a sweep of f32 values exactly as ml_dtypes'
# float4_e2m1fn does (Docs/numerics.md, "Rounding"): round to nearest even; values past 6 and infinities saturate to
# +-6; a NaN, which the format cannot hold, becomes a zero of the other sign (+NaN -> 0x8, -NaN -> 0x0).
import numpy as np
import pytest

from kiln_helpers import requires_kiln, rng, run_backend

ml_dtypes = pytest.importorskip("ml_dtypes")
F4 = ml_dtypes.float4_e2m1fn
pytestmark = requires_kiln
BACKENDS = ("ref", "sim", "llvm")

CASTS = """
kernel encode(x: f32[N]) -> f4e2m1fn[N] {
  return x as f4e2m1fn
}

kernel decode(q: f4e2m1fn[N]) -> (value: f32[N], e4m3fn: f8e4m3fn[N], e5m2: f8e5m2[N], half: bf16[N]) {
  return q as f32, q as f8e4m3fn, q as f8e5m2, q as bf16
}

kernel from_narrow(a: bf16[N], b: f8e4m3fn[N]) -> (a4: f4e2m1fn[N], b4: f4e2m1fn[N]) {
  return a as f4e2m1fn, b as f4e2m1fn
}
"""


def all_codes():
    return np.arange(16, dtype=np.uint8)


def f32_sweep():
    """Every f4e2m1fn value, every midpoint between neighbours (the ties) and the f32 values on either side of both,
    what lies below the smallest subnormal (0.5) and above the largest value (6), infinities, NaNs of both signs and
    with payloads, f32 subnormals, and 20,000 random f32 patterns spread over the format's exponents plus 5,000 over
    all of f32."""
    values = np.unique(all_codes().view(F4).astype(np.float64))
    mids = (values[:-1] + values[1:]) / 2
    points = np.concatenate([values, mids]).astype(np.float32)
    around = np.concatenate([points, np.nextafter(points, np.float32(np.inf)), np.nextafter(points, np.float32(-np.inf))])
    special = np.array([6, 6.5, 7, 7.5, 8, 100, 3.4028235e38, 0.25, 0.125, 1e-40, 1e-45, 1.1754944e-38, np.inf],
                       dtype=np.float32)
    special = np.concatenate([special, np.nextafter(special, np.float32(0))])
    nans = np.array([0x7FC00000, 0x7F800001, 0x7FFFFFFF, 0xFFC00000, 0xFF800001], dtype=np.uint32).view(np.float32)
    r = rng(4)
    exponents = r.integers(127 - 4, 127 + 5, size=20000, dtype=np.uint32)
    near = ((r.integers(0, 2, size=20000, dtype=np.uint32) << 31) | (exponents << 23)
            | r.integers(0, 1 << 23, size=20000, dtype=np.uint32)).view(np.float32)
    anywhere = r.integers(0, 1 << 32, size=5000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    return np.concatenate([around, -around, special, -special, nans, near, anywhere]).astype(np.float32)


def test_the_format_is_ml_dtypes_float4_e2m1fn():
    """The sweep's edges are the rule Docs/numerics.md states (checked against ml_dtypes itself)."""
    x = np.array([0.25, 0.75, 5, 6.5, 1e9, np.inf, -np.inf, -0.0], dtype=np.float32)
    assert [int(b) for b in x.astype(F4).view(np.uint8)] == [0x0, 0x2, 0x6, 0x7, 0x7, 0x7, 0xF, 0x8]
    nans = np.array([0x7FC00000, 0xFFC00000], dtype=np.uint32).view(np.float32)
    with np.errstate(invalid="ignore"):
        assert [int(b) for b in nans.astype(F4).view(np.uint8)] == [0x8, 0x0]
    assert float(ml_dtypes.finfo(F4).max) == 6


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_executor_encodes_the_sweep_as_ml_dtypes(backend, tmp_path):
    (tmp_path / "casts.kiln").write_text(CASTS)
    x = f32_sweep()
    outs, _ = run_backend(str(tmp_path / "casts.kiln"), backend, {"x": x}, tmp_path, "--kernel", "encode")
    got = outs["out"].view(np.uint8)
    with np.errstate(invalid="ignore", over="ignore"):
        want = x.astype(F4).view(np.uint8)
    wrong = np.flatnonzero(got != want)
    assert wrong.size == 0, [(float(x[i]), hex(x.view(np.uint32)[i]), hex(got[i]), hex(want[i])) for i in wrong[:10]]


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_executor_decodes_all_16_codes_as_ml_dtypes(backend, tmp_path):
    (tmp_path / "casts.kiln").write_text(CASTS)
    q = all_codes()
    outs, _ = run_backend(str(tmp_path / "casts.kiln"), backend, {"q": q}, tmp_path, "--kernel", "decode")
    exact = q.view(F4).astype(np.float32)
    np.testing.assert_array_equal(outs["value"].view(np.uint32), exact.view(np.uint32))   # -0 included
    # Casts to the other narrow formats are exact (every fp4 value is one of theirs).
    np.testing.assert_array_equal(outs["e4m3fn"].view(np.uint8), exact.astype(ml_dtypes.float8_e4m3fn).view(np.uint8))
    np.testing.assert_array_equal(outs["e5m2"].view(np.uint8), exact.astype(ml_dtypes.float8_e5m2).view(np.uint8))
    np.testing.assert_array_equal(outs["half"].view(np.uint16), exact.astype(ml_dtypes.bfloat16).view(np.uint16))


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_executor_narrows_bf16_and_fp8_as_ml_dtypes(backend, tmp_path):
    (tmp_path / "casts.kiln").write_text(CASTS)
    a = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    b = np.resize(np.arange(256, dtype=np.uint8), a.size)
    outs, _ = run_backend(str(tmp_path / "casts.kiln"), backend, {"a": a, "b": b}, tmp_path, "--kernel", "from_narrow")
    with np.errstate(invalid="ignore", over="ignore"):
        want_a = a.view(ml_dtypes.bfloat16).astype(np.float32).astype(F4).view(np.uint8)
        want_b = b.view(ml_dtypes.float8_e4m3fn).astype(np.float32).astype(F4).view(np.uint8)
    np.testing.assert_array_equal(outs["a4"].view(np.uint8), want_a)
    np.testing.assert_array_equal(outs["b4"].view(np.uint8), want_b)


def test_the_python_package_takes_and_gives_float4_e2m1fn_arrays():
    kiln = pytest.importorskip("kiln")
    if not kiln.library_path().is_file():
        pytest.skip("set KILN_LIBRARY to libKiln.so")
    scale = """
kernel scale(q: f4e2m1fn[N], s: f32) -> f4e2m1fn[N] {
  return (q * s) as f4e2m1fn
}
"""
    k = kiln.compile_source(scale, dims={"N": 16})
    assert [(p.name, p.dtype) for p in k.params] == [("q", "f4e2m1fn"), ("s", "f32")]
    q = all_codes().view(F4)
    for backend in ("ref", "sim"):
        out = k(q, np.float32(1.5), backend=backend)
        assert out.dtype == np.dtype(F4)
        want = (q.astype(np.float32) * np.float32(1.5)).astype(F4)
        np.testing.assert_array_equal(out.view(np.uint8), want.view(np.uint8))
