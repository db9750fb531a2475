# test_api_dtypes.py: kiln.compile(..., dtypes=): a generic kernel's dtype parameters bound from Python.
#
# Run: KILN_LIBRARY=.build/debug/libKiln.so PYTHONPATH=python python3 -m pytest Tests/python/test_api_dtypes.py
import ml_dtypes
import numpy as np
import pytest

import kiln
from api_support import requires_library, rng

pytestmark = requires_library

RMSNORM = """
fn scale<T: float>(x: T[N, D], s: f32) -> T[N, D] {
  return (x * s) as T
}

kernel rmsnorm<T: float, N = 64, D = 48>(x: T[N, D]) -> T[N, D] {
  let y = x as f32
  return scale((y * rsqrt(mean(y * y, axis: 1) + 1e-6)) as T, 0.5)
}
"""


def reference(x):
    y = x.astype(np.float32)
    return (y / np.sqrt((y * y).mean(axis=1, keepdims=True) + 1e-6)) * 0.5


@pytest.mark.parametrize("dtype, name", [("bf16", "bf16"), (np.float16, "f16"), (ml_dtypes.bfloat16, "bf16"),
                                         ("f32", "f32"), (np.float32, "f32")])
def test_dtypes_bind_the_parameter_by_kiln_or_numpy_name(dtype, name):
    k = kiln.compile_source(RMSNORM, dtypes={"T": dtype})
    assert [(p.name, p.dtype) for p in k.params] == [("x", name)]
    assert k.results[0].dtype == name


def test_a_generic_kernel_runs_at_each_bound_dtype_and_its_outputs_have_that_dtype():
    x = rng(3).standard_normal((64, 48)).astype(np.float32)
    outputs = {}
    for name, numpy_dtype in (("f32", np.float32), ("bf16", ml_dtypes.bfloat16), ("f16", np.float16)):
        k = kiln.compile_source(RMSNORM, dtypes={"T": name})
        xt = x.astype(numpy_dtype)
        for backend in ("sim", "ref"):
            out = k(xt, backend=backend)
            assert out.dtype == np.dtype(numpy_dtype) and out.shape == (64, 48)
            tolerance = 1e-5 if name == "f32" else 2e-2
            np.testing.assert_allclose(out.astype(np.float32), reference(xt), rtol=tolerance, atol=tolerance)
            outputs[(name, backend)] = out
        k.verify(xt)  # ref = sim = llvm at this dtype
    # Two compiles, two kernels: bf16 and f32 results differ (bf16 rounds) but f32 matches numpy closely.
    assert not np.array_equal(outputs[("bf16", "sim")].astype(np.float32), outputs[("f32", "sim")])


def test_an_unbound_parameter_is_a_compile_error_and_a_default_binds_it():
    with pytest.raises(kiln.CompileError) as error:
        kiln.compile_source(RMSNORM, path="rms.kiln")
    d = error.value.diagnostics[0]
    assert (d.id, d.path, d.line, d.column) == ("K2153", "rms.kiln", 6, 16)
    assert "pass --dtype T=DTYPE" in d.message
    defaulted = kiln.compile_source(RMSNORM.replace("T: float,", "T: float = f16,"))
    assert defaulted.params[0].dtype == "f16"
    assert kiln.compile_source(RMSNORM.replace("T: float,", "T: float = f16,"), dtypes={"T": "bf16"}).params[0].dtype == "bf16"


def test_a_dtype_outside_the_bound_or_a_name_no_kernel_declares_is_a_compile_error():
    with pytest.raises(kiln.CompileError) as error:
        kiln.compile_source(RMSNORM, dtypes={"T": np.int32})
    assert error.value.diagnostics[0].id == "K2151"
    assert "T is bounded by 'float'" in error.value.diagnostics[0].message
    with pytest.raises(kiln.CompileError) as error:
        kiln.compile_source(RMSNORM, dtypes={"T": "f32", "U": "bf16"})
    assert [d.id for d in error.value.diagnostics] == ["K2155"]


@pytest.mark.parametrize("dtype", ["f64", "float99", np.complex64])
def test_a_dtype_kiln_does_not_know_is_a_usage_error(dtype):
    with pytest.raises(kiln.UsageError) as error:
        kiln.compile_source(RMSNORM, dtypes={"T": dtype})
    assert "unknown dtype" in str(error.value)


def test_inputs_of_another_dtype_are_rounded_to_the_bound_dtype_not_rebinding_it():
    k = kiln.compile_source(RMSNORM, dtypes={"T": "bf16"})
    x = rng(4).standard_normal((64, 48)).astype(np.float32)
    out = k(x)
    assert out.dtype == np.dtype(ml_dtypes.bfloat16)
    with pytest.raises(kiln.InputError):
        k(x, strict_dtypes=True)
