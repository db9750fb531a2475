# test_api.py: the `kiln` package's API: named results, scalars, bf16 inputs, errors, stats, verify, memory.
#
# Run: KILN_LIBRARY=.build/debug/libKiln.so PYTHONPATH=python python3 -m pytest Tests/python/test_api.py
# (KILN=path/to/kiln adds the comparisons with the CLI.)
import os
import subprocess

import ml_dtypes
import numpy as np
import pytest

import kiln
from api_support import EXAMPLES, F32, requires_library, rng, rss_bytes
from kiln_helpers import sequential_matmul

pytestmark = requires_library

SOFTMAX = EXAMPLES / "softmax.kiln"


def test_signature_lists_parameters_and_results():
    k = kiln.compile(SOFTMAX, dims={"N": 300})
    assert k.name == "softmax"
    assert [(p.name, p.dtype, p.dims, p.shape) for p in k.params] == [("x", "f32", ("N", "D"), (300, 512))]
    assert [(r.name, r.dtype, r.dims) for r in k.results] == [("out", "f32", ("N", "D"))]
    axpy = kiln.compile(EXAMPLES / "axpy.kiln")
    assert axpy.params[2].is_scalar and axpy.params[2].default == 2.0


def test_named_results_come_as_a_tuple_in_declaration_order():
    x = rng(1).standard_normal((40, 30)).astype(np.float32)
    k = kiln.compile(EXAMPLES / "row_reduce.kiln")
    for backend in ("sim", "llvm", "ref"):
        result = k(x, backend=backend)
        assert isinstance(result, tuple) and result._fields == ("total", "peak")
        total, peak = result
        np.testing.assert_array_equal(peak, x.max(axis=1, keepdims=True))
        assert result.total is total
    outputs = k.run(x).outputs
    assert list(outputs) == ["total", "peak"]
    np.testing.assert_array_equal(outputs["peak"], peak)


def test_scalar_parameters_by_keyword_position_and_default():
    r = rng(2)
    x, y = r.standard_normal(300).astype(np.float32), r.standard_normal(300).astype(np.float32)
    k = kiln.compile(EXAMPLES / "axpy.kiln")
    for backend in ("sim", "llvm", "ref"):
        np.testing.assert_allclose(k(x, y, backend=backend), 2 * x.astype(np.float64) + y, **F32)
        np.testing.assert_allclose(k(x, y, alpha=-1.5, backend=backend), -1.5 * x.astype(np.float64) + y, **F32)
        np.testing.assert_allclose(k(x, y, 3, backend=backend), 3 * x.astype(np.float64) + y, **F32)
        np.testing.assert_allclose(k(x, y, alpha=np.float32(0.25), backend=backend), 0.25 * x.astype(np.float64) + y, **F32)


def test_bf16_inputs_exact_and_float32_rounded_to_nearest_even():
    r = rng(3)
    a32, b32 = r.standard_normal((64, 200)).astype(np.float32), r.standard_normal((200, 48)).astype(np.float32)
    a, b = a32.astype(ml_dtypes.bfloat16), b32.astype(ml_dtypes.bfloat16)   # ml_dtypes rounds to nearest even
    k = kiln.compile(EXAMPLES / "matmul.kiln")
    exact = k(a, b, backend="ref")
    # Each product added to an f32 running sum in k order (Docs/numerics.md, "Matmul accumulation order").
    np.testing.assert_array_equal(exact, sequential_matmul(a.astype(np.float32), b.astype(np.float32)))
    result = k.run(a32, b32, backend="ref")   # float32 arrays for bf16 parameters: rounded as the CLI rounds them
    np.testing.assert_array_equal(result.outputs["out"], exact)
    assert [d.id for d in result.diagnostics] == ["K4503", "K4503"] and "round to nearest even" in result.diagnostics[0].message
    with pytest.raises(kiln.InputError, match="'a'"):
        k(a32, b32, strict_dtypes=True)
    for backend in ("sim", "llvm"):
        np.testing.assert_array_equal(k(a, b, backend=backend), exact)   # one order on every executor: bit for bit


@pytest.mark.skipif(not os.environ.get("KILN"), reason="set KILN to the kiln binary to compare with the CLI")
def test_float32_for_bf16_is_rounded_as_the_cli_rounds_it(tmp_path):
    r = rng(4)
    x = (r.standard_normal((130, 96)) * 3).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    proc = subprocess.run([os.environ["KILN"], "run", str(EXAMPLES / "gelu.kiln"), "--backend", "sim", "--input",
                           f"x={tmp_path / 'x.npy'}", "--output-dir", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    cli = np.load(tmp_path / "out.npy").view(ml_dtypes.bfloat16)
    np.testing.assert_array_equal(kiln.compile(EXAMPLES / "gelu.kiln")(x), cli)


def test_compile_error_has_line_and_column():
    with pytest.raises(kiln.CompileError) as caught:
        kiln.compile_source("kernel k(x: f32[N]) -> f32[N] {\n  return y\n}\n", path="k.kiln")
    first = caught.value.diagnostics[0]
    assert (first.line, first.column, first.severity) == (2, 10, "error")
    assert first.message == "undefined name 'y'" and first.id.startswith("K")
    assert "k.kiln:2:10: error: undefined name 'y'" in str(caught.value)
    with pytest.raises(kiln.CompileError) as caught:
        kiln.compile_source("kernel k(x: f32[N]) -> f32[N] { return y }")
    assert (caught.value.diagnostics[0].line, caught.value.diagnostics[0].column) == (1, 40)


def test_compile_errors_of_settings_and_files():
    with pytest.raises(kiln.CompileError, match="has no dim 'Q'"):
        kiln.compile(SOFTMAX, dims={"Q": 4})
    with pytest.raises(kiln.UsageError, match="unknown target 'trn9'"):
        kiln.compile(SOFTMAX, target="trn9")
    with pytest.raises(kiln.FileError, match="cannot read"):
        kiln.compile(EXAMPLES / "no_such_kernel.kiln")


def test_shape_mismatch_names_the_parameter():
    k = kiln.compile(SOFTMAX, dims={"N": 300})
    with pytest.raises(kiln.InputError, match="input 'x' has shape \\[200, 512\\]") as caught:
        k(np.zeros((200, 512), np.float32))
    assert caught.value.diagnostics[0].line == 9
    with pytest.raises(kiln.InputError, match="input 'x' has rank 1"):
        k(np.zeros(512, np.float32))
    add = kiln.compile(EXAMPLES / "add.kiln")
    with pytest.raises(kiln.InputError, match="input 'b' has shape \\[4, 6\\], giving D = 6, but D is already 5"):
        add(np.zeros((4, 5), np.float32), np.zeros((4, 6), np.float32))


def test_dtype_missing_and_unknown_inputs_name_the_parameter():
    add = kiln.compile(EXAMPLES / "add.kiln")
    a = np.zeros((4, 5), np.float32)
    with pytest.raises(kiln.InputError, match="input 'b': numpy dtype complex64"):
        add(a, a.astype(np.complex64))
    with pytest.raises(kiln.InputError, match="no value for parameter 'b'"):
        add(a)
    with pytest.raises(kiln.InputError, match="'c', which is not a parameter"):
        add(a, a, c=a)
    with pytest.raises(kiln.InputError, match="takes 2 parameters"):
        add(a, a, a)


def test_dims_bound_from_inputs_and_remainders():
    k = kiln.compile(SOFTMAX)   # N and D from the input, not from the defaults 256 x 512
    x = rng(5).standard_normal((129, 77)).astype(np.float32)
    y = k(x)
    assert y.shape == (129, 77)
    np.testing.assert_allclose(y.sum(axis=1), np.ones(129), rtol=1e-5)


def test_stats_as_stats_json():
    a = rng(6).standard_normal((256, 512)).astype(ml_dtypes.bfloat16)
    b = rng(7).standard_normal((512, 512)).astype(ml_dtypes.bfloat16)
    r = kiln.compile(EXAMPLES / "matmul.kiln").run(a, b, backend="sim")
    assert set(r.stats) >= {"seconds", "hfu", "mfu", "mbu", "engines", "cycles", "dma_bytes", "target"}
    assert r.stats["seconds"] > 0 and 0 < r.stats["hfu"] <= 1
    assert 0 < r.stats["engines"]["pe"]["utilization"] <= 1 and r.stats["target"] == "trn1"
    assert kiln.compile(EXAMPLES / "matmul.kiln").run(a, b, backend="llvm").stats is None


def test_verify_runs_ref_sim_llvm():
    x = rng(8).standard_normal((130, 70)).astype(np.float32)
    result = kiln.compile(SOFTMAX).verify(x)
    assert result.backend == "ref,sim,llvm" and result.outputs["out"].shape == (130, 70)
    with pytest.raises(kiln.InputError):
        kiln.compile(SOFTMAX, dims={"N": 4}).verify(x)


def test_unknown_backend_is_a_usage_error():
    with pytest.raises(kiln.UsageError, match="cannot run kernels|unknown backend"):
        kiln.compile(SOFTMAX)(np.zeros((4, 4), np.float32), backend="tpu")


def test_hundred_compile_and_run_calls_keep_memory_flat():
    x = rng(9).standard_normal((128, 256)).astype(np.float32)

    def call():
        k = kiln.compile(SOFTMAX)
        assert k(x).shape == (128, 256)

    for _ in range(10):   # warm-up: libraries, allocator pools, caches reach their steady size
        call()
    before = rss_bytes()
    for _ in range(100):
        call()
    grown = rss_bytes() - before
    # Leaking one run's tensors (input and output as f64 values, 256 KiB each) per call would add 50 MiB.
    assert grown < 8 * 2 ** 20, f"RSS grew by {grown / 2 ** 20:.1f} MiB over 100 compile+run calls"
