"""numerics.py: Docs/numerics.md in numpy: storing values per dtype, `--random` inputs, .npy decoding, tolerances."""
import math

import ml_dtypes
import numpy as np

NARROW = {"bf16": ml_dtypes.bfloat16, "f16": np.float16, "f8e4m3": ml_dtypes.float8_e4m3,
          "f8e4m3fn": ml_dtypes.float8_e4m3fn, "f8e5m2": ml_dtypes.float8_e5m2,
          "f4e2m1fn": ml_dtypes.float4_e2m1fn}
MANTISSA = {"f32": 23, "bf16": 7, "f16": 10, "f8e4m3": 3, "f8e4m3fn": 3, "f8e5m2": 2, "f4e2m1fn": 1}
BIAS = {"f32": 127, "bf16": 127, "f16": 15, "f8e4m3": 7, "f8e4m3fn": 7, "f8e5m2": 15, "f4e2m1fn": 1}


def store(values, dtype):
    """`ElementType.storeComputed`: a computed f64 value rounded to f32, then to `dtype`; returned as f64."""
    v = np.asarray(values, dtype=np.float64)
    if dtype == "bool":
        return ((v != 0) | np.isnan(v)).astype(np.float64)
    if dtype == "i32":
        with np.errstate(invalid="ignore"):
            t = np.where(np.isnan(v), 0.0, np.trunc(v))
        return np.clip(t, -2.0 ** 31, 2.0 ** 31 - 1)
    with np.errstate(over="ignore", invalid="ignore"):
        f = v.astype(np.float32)
        if dtype == "f32":
            return f.astype(np.float64)
        return f.astype(NARROW[dtype]).astype(np.float64)


def wrap_i32(values):
    """Two's complement wrap of exact integers (given as f64 or int64) to i32."""
    i = np.asarray(values).astype(np.int64)
    return (((i + 2 ** 31) % 2 ** 32) - 2 ** 31).astype(np.float64)


MASK = (1 << 64) - 1


def fnv1a(text):
    h = 0xCBF29CE484222325
    for byte in text.encode():
        h = ((h ^ byte) * 0x100000001B3) & MASK
    return h


def random_tensor(seed, name, dtype, shape):
    """`RandomInputs.tensor`: SplitMix64 seeded with seed ^ FNV-1a(name), vectorised."""
    count = int(np.prod(shape)) if shape else 1
    state = np.uint64((seed ^ fnv1a(name)) & MASK)
    with np.errstate(over="ignore"):
        z = state + np.arange(1, count + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    if dtype == "i32":
        values = (z % np.uint64(17)).astype(np.float64) - 8
    elif dtype == "bool":
        values = (z >> np.uint64(63)).astype(np.float64)
    else:
        values = store((z >> np.uint64(40)).astype(np.float64) / 2.0 ** 23 - 1, dtype)
    return values.reshape(shape) if shape else values.reshape(())


def load_output(path, dtype):
    """A kiln output .npy as f64 values (bf16/fp8 are written as bit patterns)."""
    a = np.load(path)
    if dtype == "bf16":
        return (a.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    if dtype in ("f8e4m3", "f8e4m3fn", "f8e5m2", "f4e2m1fn"):
        return a.view(NARROW[dtype]).astype(np.float64)
    return a.astype(np.float64)


TOLERANCE = {"f32": (1e-5, 1e-6, 2.0 ** -16, 0), "bf16": (2.0 ** -8, 2.0 ** -12, 0, 1), "f16": (2.0 ** -10, 2.0 ** -14, 0, 1),
             "f8e4m3": (0, 0, 0, 1), "f8e4m3fn": (0, 0, 0, 1), "f8e5m2": (0, 0, 0, 1), "f4e2m1fn": (0, 0, 0, 1), "i32": (0, 0, 0, 0), "bool": (0, 0, 0, 0)}


def mismatches(oracle, other, dtype, steps=1.0):
    """Indices where `other` is outside Docs/numerics.md's tolerance around `oracle` (Driver+Verify's formula);
    `steps` scales the allowance, for the numpy oracle whose transcendental functions are not libm's."""
    rtol, atol, norm, fsteps = TOLERANCE[dtype]
    a, b = np.asarray(other, np.float64), np.asarray(oracle, np.float64)
    finite = b[np.isfinite(b)]
    out_max = float(np.max(np.abs(finite))) if finite.size else 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        bound = (atol + rtol * np.abs(b) + norm * out_max) * steps
        if fsteps:
            mag = np.maximum(np.abs(a), np.abs(b))
            small = 1 - BIAS[dtype]
            _, e = np.frexp(np.where(np.isfinite(mag) & (mag > 0), mag, 1.0))
            exponent = np.where(np.isfinite(mag) & (mag > 0), np.maximum(small, e - 1), small)
            bound = np.maximum(bound, fsteps * steps * np.ldexp(1.0, exponent - MANTISSA[dtype]))
        nan_a, nan_b = np.isnan(a), np.isnan(b)
        ok = (a == b) | (nan_a & nan_b) | (~nan_a & ~nan_b & (np.abs(a - b) <= bound))
    return np.argwhere(~ok)


def erf(values):
    return np.vectorize(math.erf, otypes=[np.float64])(values)
