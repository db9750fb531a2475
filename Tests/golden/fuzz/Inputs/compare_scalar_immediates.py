"""compare_scalar_immediates.py: checks scalar-parameter-is-an-f32-immediate.kiln's outputs against numpy."""
import sys

import ml_dtypes
import numpy as np

BF16 = ml_dtypes.bfloat16
x = np.load(sys.argv[1]).view(BF16).astype(np.float64)
a = float(np.float32(0.99505))
expected = {"p": (x - a).astype(np.float32).astype(BF16), "q": (x - float(BF16(a))).astype(np.float32).astype(BF16)}
for name in "pq":
    outputs = [np.load(f"{folder}/{name}.npy").view(BF16) for folder in sys.argv[2:]]
    for folder, out in zip(sys.argv[2:], outputs):
        assert np.array_equal(out.view(np.uint16), expected[name].view(np.uint16)), (folder, name, out, expected[name])
    print(f"{name}: {len(outputs)} executors agree bit for bit with numpy")
