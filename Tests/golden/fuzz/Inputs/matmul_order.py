"""matmul_order.py: inputs and the numpy oracle of matmul-accumulation-order-is-one-for-every-executor.kiln."""
import sys

import numpy as np


def sequential(a, b):
    """Each product rounded to f32, added to the f32 running sum in k order (numpy float32 rounds each op)."""
    out = np.zeros((a.shape[0], b.shape[1]), dtype=np.float32)
    for k in range(a.shape[1]):
        out = out + a[:, k:k + 1] * b[k:k + 1, :]
    return out


if sys.argv[1] == "inputs":
    rng = np.random.default_rng(17)
    def spread(shape):
        return (rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 3, shape)).astype(np.float32)
    a, b = spread((64, 513)), spread((513, 96))
    np.save(sys.argv[2] + ".a.npy", a)
    np.save(sys.argv[2] + ".at.npy", np.ascontiguousarray(a.T))
    np.save(sys.argv[2] + ".b.npy", b)
    sys.exit(0)

base, folders = sys.argv[2], sys.argv[3:]
a, b = np.load(base + ".a.npy"), np.load(base + ".b.npy")
expected = sequential(a, b)
with np.errstate(all="ignore"):
    pairwise = (a.astype(np.float64) @ b.astype(np.float64)).astype(np.float32)
assert not np.array_equal(pairwise.view(np.uint32), expected.view(np.uint32)), "the inputs do not tell the orders apart"
for name in ("out", "first"):
    for folder in folders:
        out = np.load(f"{folder}/{name}.npy")
        differ = np.flatnonzero(out.view(np.uint32) != expected.view(np.uint32))
        assert differ.size == 0, (folder, name, differ.size, out.flat[differ[0]], expected.flat[differ[0]])
    print(f"{name}: {len(folders)} executors agree bit for bit with numpy's sequential f32 sum")
