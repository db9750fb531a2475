# test_sim.py: `kiln run --backend sim` (default pipeline, bytecode, simulator) checked against numpy.
#
# Run: KILN=/path/to/kiln python3 -m pytest Tests/python      (needs numpy and pytest)
#
# The numpy references are written here, independently of Kiln. Tolerances (Docs/numerics.md):
# - f32 results of elementwise chains and row reductions: rtol 1e-5, atol 1e-6 (each operation rounds
#   to f32; the simulator sums a row in f32 in its own order, ~sqrt(D) * 2^-24 relative to the row's
#   magnitudes, far below 1e-5 for the widths used here).
# - matmul of exact bf16 inputs: the products are exact and the tensor engine adds them to an f32
#   running sum in k order across its 128-row K tiles (Docs/numerics.md, "Matmul accumulation order"):
#   bit for bit numpy's float32 loop, and within the recursive-summation bound K * 2^-24 * sum |a b| of
#   the exact sum.
# Shapes are not multiples of 128 where the kernel allows it, so remainder tiles run too.
import json
import subprocess

import numpy as np

from kiln_helpers import EXAMPLES, KILN, bf16_bits, bf16_values, requires_kiln, rng, run_backend, sequential_matmul

pytestmark = requires_kiln

F32 = dict(rtol=1e-5, atol=1e-6)


def run_sim(example, inputs, tmp_path, *extra):
    """Runs `kiln run --backend sim` on `inputs`, returns ({result: array}, stderr)."""
    return run_backend(example, "sim", inputs, tmp_path, *extra)


def test_softmax(tmp_path):
    x = rng(11).standard_normal((200, 300)).astype(np.float32) * 4
    outs, stderr = run_sim("softmax.kiln", {"x": x}, tmp_path)
    out = outs["out"]
    ref = np.exp(x.astype(np.float64) - x.max(axis=1, keepdims=True))
    ref /= ref.sum(axis=1, keepdims=True)
    assert out.shape == (200, 300) and out.dtype == np.float32
    assert "error" not in stderr and "warning" not in stderr, stderr   # no race / uninitialised / bounds findings
    np.testing.assert_allclose(out, ref, **F32)


def test_layernorm(tmp_path):
    r = rng(12)
    x = (r.standard_normal((130, 96)) * 3 + 1).astype(np.float32)
    gamma = r.standard_normal(96).astype(np.float32)
    beta = r.standard_normal(96).astype(np.float32)
    outs, _ = run_sim("layernorm.kiln", {"x": x, "gamma": gamma, "beta": beta}, tmp_path)
    x64 = x.astype(np.float64)
    mu = x64.mean(axis=1, keepdims=True)
    var = ((x64 - mu) ** 2).mean(axis=1, keepdims=True)
    ref = (x64 - mu) / np.sqrt(var + 1e-5) * gamma + beta
    np.testing.assert_allclose(outs["out"], ref, **F32)


def test_rmsnorm_with_scalar_override(tmp_path):
    r = rng(13)
    x = r.standard_normal((150, 64)).astype(np.float32)
    w = r.standard_normal(64).astype(np.float32)
    outs, _ = run_sim("rmsnorm.kiln", {"x": x, "w": w}, tmp_path, "--scalar", "eps=0.5")
    x64 = x.astype(np.float64)
    ref = x64 / np.sqrt((x64 ** 2).mean(axis=1, keepdims=True) + 0.5) * w
    np.testing.assert_allclose(outs["out"], ref, **F32)


def test_matmul_bf16_within_f32_accumulation_bound(tmp_path):
    r = rng(14)
    a = bf16_bits(r.standard_normal((160, 300)))
    b = bf16_bits(r.standard_normal((300, 200)))
    outs, _ = run_sim("matmul.kiln", {"a": a, "b": b}, tmp_path, "--strict-dtypes")
    out = outs["out"]
    av, bv = bf16_values(a), bf16_values(b)
    ref = av @ bv
    bound = 300 * 2.0 ** -24 * (np.abs(av) @ np.abs(bv))
    assert out.shape == (160, 200) and out.dtype == np.float32
    assert np.all(np.abs(out - ref) <= bound), np.max(np.abs(out - ref) - bound)
    assert np.array_equal(out.view(np.uint32), sequential_matmul(av, bv).view(np.uint32))


def test_sim_stats_report_time(tmp_path):
    proc = subprocess.run([KILN, "run", str(EXAMPLES / "matmul.kiln"), "--backend", "sim", "--random", "1",
                           "--timing-only", "--stats-json", str(tmp_path / "stats.json")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["seconds"] > 0 and 0 < stats["hfu"] <= 1, stats
