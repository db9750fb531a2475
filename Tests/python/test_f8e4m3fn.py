# test_f8e4m3fn.py: f8e4m3fn (no infinities, NaN = S.1111.111, largest finite 448) bit for bit against ml_dtypes.
#
# Run: KILN=/path/to/kiln KILN_LIBRARY=/path/to/libKiln.so PYTHONPATH=python python3 -m pytest Tests/python/test_f8e4m3fn.py
#
# Every executor (ref, sim, llvm) must decode all 256 patterns and encode a sweep of f32 values exactly as
# ml_dtypes' float8_e4m3fn does (Docs/numerics.md, "Rounding"): round to nearest even as if the format went on
# past 448, NaN (with the value's sign) for anything that lands beyond 448, for infinities and for NaNs.
import numpy as np
import pytest

from kiln_helpers import requires_kiln, rng, run_backend

ml_dtypes = pytest.importorskip("ml_dtypes")
FN = ml_dtypes.float8_e4m3fn
pytestmark = requires_kiln
BACKENDS = ("ref", "sim", "llvm")

CASTS = """
kernel encode(x: f32[N]) -> f8e4m3fn[N] {
  return x as f8e4m3fn
}

kernel decode(q: f8e4m3fn[N]) -> (value: f32[N], e4m3: f8e4m3[N], e5m2: f8e5m2[N], half: bf16[N]) {
  return q as f32, q as f8e4m3, q as f8e5m2, q as bf16
}

kernel from_fp8(a: f8e4m3[N], b: f8e5m2[N]) -> (a_fn: f8e4m3fn[N], b_fn: f8e4m3fn[N]) {
  return a as f8e4m3fn, b as f8e4m3fn
}
"""


def all_patterns():
    return np.arange(256, dtype=np.uint8)


def f32_sweep():
    """Every finite f8e4m3fn value, every midpoint between neighbours (the ties) and the f32 values on either side
    of both, subnormals and what lies below the smallest one, the overflow boundary from 448 to 480 and beyond,
    infinities, NaNs of both signs and with payloads, f32 subnormals, and 20,000 random f32 patterns spread over
    the format's exponents plus 5,000 over all of f32."""
    values = all_patterns().view(FN).astype(np.float64)
    finite = np.unique(values[np.isfinite(values)])
    mids = (finite[:-1] + finite[1:]) / 2
    points = np.concatenate([finite, mids]).astype(np.float32)
    around = np.concatenate([points, np.nextafter(points, np.float32(np.inf)), np.nextafter(points, np.float32(-np.inf))])
    special = np.array([448, 456, 464, 465, 470, 479.99, 480, 481, 496, 512, 1e4, 3.4028235e38, 2.0 ** -9, 2.0 ** -10,
                        3 * 2.0 ** -11, 2.0 ** -11, 2.0 ** -6, 1e-40, 1e-45, 1.1754944e-38, np.inf],
                       dtype=np.float32)
    special = np.concatenate([special, np.nextafter(special, np.float32(0))])
    nans = np.array([0x7FC00000, 0x7F800001, 0x7FFFFFFF, 0xFFC00000, 0xFF800001], dtype=np.uint32).view(np.float32)
    r = rng(16)
    exponents = r.integers(127 - 14, 127 + 11, size=20000, dtype=np.uint32)
    near = ((r.integers(0, 2, size=20000, dtype=np.uint32) << 31) | (exponents << 23)
            | r.integers(0, 1 << 23, size=20000, dtype=np.uint32)).view(np.float32)
    anywhere = r.integers(0, 1 << 32, size=5000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    sweep = np.concatenate([around, -around, special, -special, nans, near, anywhere]).astype(np.float32)
    return sweep


def test_the_format_is_ml_dtypes_float8_e4m3fn():
    """The sweep's edges are the rule Docs/numerics.md states (checked against ml_dtypes itself)."""
    bits = np.array([448, 463.99, 464, 464.01, 480, np.inf, -np.inf, -500, np.nan], dtype=np.float32).astype(FN).view(np.uint8)
    assert [int(b) for b in bits] == [0x7E, 0x7E, 0x7E, 0x7F, 0x7F, 0x7F, 0xFF, 0xFF, 0x7F]
    assert float(ml_dtypes.finfo(FN).max) == 448


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_executor_encodes_the_sweep_as_ml_dtypes(backend, tmp_path):
    (tmp_path / "casts.kiln").write_text(CASTS)
    x = f32_sweep()
    outs, _ = run_backend(str(tmp_path / "casts.kiln"), backend, {"x": x}, tmp_path, "--kernel", "encode")
    got = outs["out"].view(np.uint8)
    want = x.astype(FN).view(np.uint8)
    wrong = np.flatnonzero(got != want)
    assert wrong.size == 0, [(float(x[i]), hex(x.view(np.uint32)[i]), hex(got[i]), hex(want[i])) for i in wrong[:10]]


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_executor_decodes_all_256_patterns_as_ml_dtypes(backend, tmp_path):
    (tmp_path / "casts.kiln").write_text(CASTS)
    q = all_patterns()
    outs, _ = run_backend(str(tmp_path / "casts.kiln"), backend, {"q": q}, tmp_path, "--kernel", "decode")
    exact = q.view(FN).astype(np.float32)
    got = outs["value"]
    assert np.array_equal(np.isnan(got), np.isnan(exact)) and np.flatnonzero(np.isnan(got)).tolist() == [0x7F, 0xFF]
    assert np.array_equal(np.signbit(got), np.signbit(exact))
    finite = ~np.isnan(exact)
    np.testing.assert_array_equal(got[finite], exact[finite])
    # Casts to the other narrow formats round the exact value once, as ml_dtypes does.
    np.testing.assert_array_equal(outs["e4m3"].view(np.uint8), exact.astype(ml_dtypes.float8_e4m3).view(np.uint8))
    np.testing.assert_array_equal(outs["e5m2"].view(np.uint8), exact.astype(ml_dtypes.float8_e5m2).view(np.uint8))
    want_half = exact.astype(ml_dtypes.bfloat16).view(np.uint16)
    np.testing.assert_array_equal(outs["half"].view(np.uint16), want_half)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_executor_casts_the_other_fp8_formats_as_ml_dtypes(backend, tmp_path):
    (tmp_path / "casts.kiln").write_text(CASTS)
    q = all_patterns()
    outs, _ = run_backend(str(tmp_path / "casts.kiln"), backend, {"a": q, "b": q}, tmp_path, "--kernel", "from_fp8")
    for name, source in (("a_fn", ml_dtypes.float8_e4m3), ("b_fn", ml_dtypes.float8_e5m2)):
        want = q.view(source).astype(np.float32).astype(FN).view(np.uint8)
        np.testing.assert_array_equal(outs[name].view(np.uint8), want, err_msg=name)


def test_the_python_package_takes_and_gives_float8_e4m3fn_arrays():
    kiln = pytest.importorskip("kiln")
    if not kiln.library_path().is_file():
        pytest.skip("set KILN_LIBRARY to libKiln.so")
    scale = """
kernel scale<T: float>(q: T[N], s: f32) -> T[N] {
  return (q * s) as T
}
"""
    k = kiln.compile_source(scale, dtypes={"T": FN}, dims={"N": 256})
    assert [(p.name, p.dtype) for p in k.params] == [("q", "f8e4m3fn"), ("s", "f32")]
    q = all_patterns().view(FN)
    for backend in ("ref", "sim"):
        out = k(q, np.float32(1.75), backend=backend)
        assert out.dtype == np.dtype(FN)
        want = (q.astype(np.float32) * np.float32(1.75)).astype(FN)
        np.testing.assert_array_equal(out.view(np.uint8), want.view(np.uint8))
