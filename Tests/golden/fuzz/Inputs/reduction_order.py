"""reduction_order.py: inputs and the numpy oracle of reduction-order-is-one-for-every-executor.kiln."""
import sys

import ml_dtypes
import numpy as np

NAMES = ("x", "w", "v", "y", "c")


def sequential(a, axes):
    """Docs/numerics.md, "Reduction order": f32, the last listed axis first, each sum from +0 in index order."""
    out = np.asarray(a, dtype=np.float32)
    for axis in sorted(axes, reverse=True):
        out = np.take(np.cumsum(out, axis=axis, dtype=np.float32), [-1], axis=axis) + np.float32(0)
    return out


def expected(inputs):
    x, w, v, y, c = (inputs[name] for name in NAMES)
    x16 = x.astype(ml_dtypes.bfloat16).astype(np.float32)
    return {
        "rows": sequential(x, [1]), "wide": sequential(w, [1]), "cols": sequential(x, [0]),
        "flat": sequential(v, [0]).reshape(1), "means": (sequential(x, [1]) / np.float32(1000)),
        "total": sequential(x, [0, 1]) / np.float32(64000), "batch": sequential(y, [0]),
        "repeated": sequential(np.broadcast_to(c, (64, 3000)), [1]),
        "narrow": (sequential(x16, [1]) / np.float32(1000)).astype(ml_dtypes.bfloat16),
    }


def pairwise(a, axes):
    """f64 sums rounded once: what the reference computed before the rule."""
    return np.sum(np.asarray(a, np.float64), axis=tuple(axes), keepdims=True).astype(np.float32)


if sys.argv[1] == "inputs":
    rng = np.random.default_rng(23)
    def spread(shape):
        return (rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 3, shape)).astype(np.float32)
    shapes = {"x": (64, 1000), "w": (4, 70000), "v": (20000,), "y": (5, 16, 100), "c": (64, 1)}
    for name, shape in shapes.items():
        np.save(f"{sys.argv[2]}.{name}.npy", spread(shape))
    sys.exit(0)

base, kernel, folders = sys.argv[2], sys.argv[3], sys.argv[4:]
inputs = {name: np.load(f"{base}.{name}.npy") for name in NAMES}
wanted = expected(inputs)
if kernel == "tiles":
    wanted = {"rows": wanted["rows"], "means": wanted["means"]}
x = inputs["x"]
assert not np.array_equal(pairwise(x, [1]), wanted["rows"]), "the inputs do not tell the orders apart"
for name, value in wanted.items():
    for folder in folders:
        out = np.load(f"{folder}/{name}.npy")
        want = np.asarray(value).reshape(out.shape)
        if out.dtype.itemsize == 2:   # bf16, stored as its 16-bit patterns
            out, want = out.view(np.uint16), want.astype(ml_dtypes.bfloat16).view(np.uint16)
        else:
            out, want = out.view(np.uint32), want.astype(np.float32).view(np.uint32)
        differ = np.flatnonzero(out != want)
        assert differ.size == 0, (folder, name, differ.size, out.flat[differ[0]], want.flat[differ[0]])
    print(f"{name}: {len(folders)} executors agree bit for bit with numpy's sequential f32 sum")
