# api_support.py: what the tests of the `kiln` package share: skipping without libKiln, tolerances per dtype, RSS.
import math
import os
import pathlib

import ml_dtypes
import numpy as np
import pytest

import kiln

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "Examples"

requires_library = pytest.mark.skipif(not kiln.library_path().is_file(),
                                      reason="set KILN_LIBRARY to libKiln.so (the Makefile's test target does)")

F32 = dict(rtol=1e-5, atol=1e-6)


def rng(seed):
    return np.random.default_rng(seed)


def steps_apart(out, ref, dtype, atol=0.0):
    """How many steps of `dtype` (bf16, f16, fp8) the output is from the exact reference, element by element:
    (|out - ref| - atol) over the format's spacing at the larger magnitude (subnormal spacing below normals)."""
    info = ml_dtypes.finfo(dtype) if dtype not in (np.float16, np.float32) else np.finfo(dtype)
    out64, ref64 = np.asarray(out, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    magnitude = np.maximum(np.abs(out64), np.abs(ref64))
    exponent = np.floor(np.log2(np.where(magnitude > 0, magnitude, 1.0)))
    exponent = np.maximum(exponent, math.log2(float(info.smallest_normal)))
    return np.maximum(np.abs(out64 - ref64) - atol, 0) / np.exp2(exponent - info.nmant)


def assert_within_steps(out, ref, steps=1.0, atol=0.0):
    """A narrow-float output within `steps` steps of its format from the exact (unrounded) reference: one step
    covers the final rounding (half a step) and an f32 computation that ends next to a tie (Docs/numerics.md).
    `atol` (per element, or one number) adds what the kernel's own f32 arithmetic may lose to cancellation."""
    worst = steps_apart(out, ref, out.dtype.type, atol)
    assert worst.max() <= steps, f"{worst.max():.2f} steps at {np.unravel_index(worst.argmax(), worst.shape)}"


def assert_matmul_bound(out, a, b, extra=None):
    """f32 accumulation of K products (exact for bf16 inputs): |out - a@b| <= K 2^-24 (|a|@|b|), element-wise
    (batched operands broadcast as numpy's matmul does)."""
    a64, b64 = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    ref = a64 @ b64
    bound = a64.shape[-1] * 2.0 ** -24 * (np.abs(a64) @ np.abs(b64)) + (0 if extra is None else extra)
    excess = np.abs(np.asarray(out, dtype=np.float64) - ref) - bound
    assert np.all(excess <= 0), f"exceeds the accumulation bound by {excess.max()}"


def rss_bytes():
    """This process's resident set size (Linux /proc/self/statm)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
