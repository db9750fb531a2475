"""tile_scans.py: inputs and the numpy oracle of tile-scans.kiln (the f32 recurrence of Docs/numerics.md)."""
import sys

import ml_dtypes
import numpy as np

BF16 = ml_dtypes.bfloat16
N, D = 300, 256


def scan(a, b, initial, out_dtype=np.float32):
    """h = f32(f32(a * h) + b) along each row from h = f32(initial); each h stored in out_dtype."""
    a, b = np.broadcast_to(np.float32(a), (N, D)), np.broadcast_to(np.float32(b), (N, D))
    state = np.broadcast_to(np.asarray(initial, dtype=np.float64).astype(np.float32).reshape(-1, 1), (N, 1)).copy()
    out = np.zeros((N, D), dtype=out_dtype)
    for t in range(D):
        state = (a[:, t:t + 1] * state) + b[:, t:t + 1]
        out[:, t:t + 1] = state.astype(out_dtype)
    return out


if sys.argv[1] == "inputs":
    rng = np.random.default_rng(5)
    np.save(sys.argv[2] + ".a.npy", rng.uniform(0, 1, (N, D)).astype(np.float32))
    np.save(sys.argv[2] + ".b.npy", rng.standard_normal((N, D)).astype(np.float32))
    np.save(sys.argv[2] + ".d.npy", rng.uniform(-1, 1, (N, 1)).astype(np.float32))
    np.save(sys.argv[2] + ".w.npy", rng.standard_normal((N, D)).astype(BF16))
    sys.exit(0)

base = sys.argv[2]
a, b, d = (np.load(f"{base}.{name}.npy") for name in "abd")
w = np.load(f"{base}.w.npy").view(BF16).astype(np.float32)
expected = {
    "h": scan(a, b, 0.0),
    "c": scan(1.0, b, 1.5),
    "e": scan(0.75, w, d, BF16),
    "g": scan(d, (b * np.float32(0.5)).astype(np.float32), -2.0),
}
for name, want in expected.items():
    for folder in sys.argv[3:]:
        got = np.load(f"{folder}/{name}.npy")
        got = got.view(BF16) if want.dtype == BF16 else got
        differ = np.flatnonzero(got.view(np.uint16 if want.dtype == BF16 else np.uint32).ravel()
                                != want.view(np.uint16 if want.dtype == BF16 else np.uint32).ravel())
        assert differ.size == 0, (folder, name, differ.size, got.ravel()[differ[0]], want.ravel()[differ[0]])
    print(f"{name}: {len(sys.argv) - 3} executors agree bit for bit with numpy")
whole = np.cumsum(b.astype(np.float64), axis=1)
for folder in sys.argv[3:]:
    got = np.load(f"{folder}/r.npy").astype(np.float64)
    # Two chunks summed in f32 (D terms, each rounding <= 2^-24 of the running magnitude): rtol 1e-5 as for f32.
    np.testing.assert_allclose(got, whole, rtol=1e-5, atol=1e-5 * np.abs(b).sum(axis=1, keepdims=True).max())
print(f"r: {len(sys.argv) - 3} executors agree with numpy's whole-row cumsum within f32 rounding")
