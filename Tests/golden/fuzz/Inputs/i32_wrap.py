"""i32_wrap.py: inputs and the numpy oracle of i32-arithmetic-wraps-on-every-executor.kiln."""
import os
import sys

import numpy as np


def wrap(x):
    return (((x.astype(np.int64) + 2 ** 31) % 2 ** 32) - 2 ** 31).astype(np.int32)


if sys.argv[1] == "inputs":
    rng = np.random.default_rng(31)
    # Large magnitudes (sums and products overflow), the extremes, and small values.
    a = rng.integers(-2 ** 31, 2 ** 31, size=(300, 64), dtype=np.int64)
    a[0, :4] = [-2 ** 31, 2 ** 31 - 1, -1, 0]
    a[1] = rng.integers(-100, 100, size=64)
    b = rng.integers(-2 ** 31, 2 ** 31, size=(300, 64), dtype=np.int64)
    np.save(sys.argv[2] + ".a.npy", a.astype(np.int32))
    np.save(sys.argv[2] + ".b.npy", b.astype(np.int32))
    sys.exit(0)

base, folders = sys.argv[2], sys.argv[3:]
a, b = (np.load(f"{base}.{name}.npy").astype(np.int64) for name in "ab")
expected = {"sum": wrap(a + b), "difference": wrap(a - b), "product": wrap(a * b), "negation": wrap(-a),
            "rows": wrap(a.sum(axis=1, keepdims=True))}
for name, want in expected.items():
    present = [folder for folder in folders if os.path.exists(f"{folder}/{name}.npy")]
    for folder in present:
        out = np.load(f"{folder}/{name}.npy")
        differ = np.flatnonzero(out != want)
        assert differ.size == 0, (folder, name, differ.size, out.flat[differ[0]], want.flat[differ[0]])
    suffix = " as numpy's int64 arithmetic reduced to 32 bits" if name == "sum" else ""
    print(f"{name}: {len(present)} executors wrap{suffix}")
