# kiln_helpers.py: what the numpy comparison tests share: locating kiln, running an example, bf16 bit helpers.
import os
import pathlib
import subprocess

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "Examples"
KILN = os.environ.get("KILN")

# Lines a test wants printed after the run (conftest.py writes them), e.g. the fuzz batch's counts.
SUMMARIES = []

requires_kiln = pytest.mark.skipif(not KILN, reason="set KILN to the kiln binary (the Makefile does)")


def run_backend(example, backend, inputs, tmp_path, *extra):
    """Saves `inputs` as .npy files, runs `kiln run --backend BACKEND`, returns ({result: array}, stderr)."""
    args = [KILN, "run", str(EXAMPLES / example), "--backend", backend, "--output-dir", str(tmp_path)]
    for name, array in inputs.items():
        path = tmp_path / f"in_{name}.npy"
        np.save(path, array)
        args += ["--input", f"{name}={path}"]
    proc = subprocess.run(args + list(extra), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    outputs = {p.stem: np.load(p) for p in tmp_path.glob("*.npy") if not p.stem.startswith("in_")}
    return outputs, proc.stderr


def bf16_bits(x):
    """float32 -> bfloat16 bit patterns (uint16), round to nearest even, written with numpy integer ops."""
    bits = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounding = 0x7FFF + ((bits >> 16) & 1)
    return ((bits + rounding) >> 16).astype(np.uint16)


def bf16_values(bits):
    """bfloat16 bit patterns -> float64 values."""
    return (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def rng(seed):
    return np.random.default_rng(seed)


def sequential_matmul(a, b):
    """a @ b as Docs/numerics.md ("Matmul accumulation order") defines it, written independently of Kiln: each
    product rounded to f32 and added to the f32 running sum in k order (numpy's float32 ops round each step)."""
    a32, b32 = np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32)
    out = np.zeros((a32.shape[0], b32.shape[1]), dtype=np.float32)
    for k in range(a32.shape[1]):
        out = out + a32[:, k:k + 1] * b32[k:k + 1, :]
    return out
