# test_bn_stats.py: bn_stats / bn_aggr through the `kiln` package on sim and llvm, bit for bit against a numpy
# float32 implementation of Docs/numerics.md's "bn_stats and bn_aggr" (written here from the document, one f32
# operation at a time, not from Kiln's code), and against the float64 mean and population variance.
import numpy as np
import pytest

import kiln
from api_support import requires_library, rng

pytestmark = requires_library

SOURCE = """
kernel k<N = 200, D = 1100>(x: f32[N, D]) -> (s: f32[N, 18], m: f32[N, 2]) {
  for i in 0 ..< N step 128 {
    let t = load(x[i : i + 128, :])
    var all: sbuf f32[128, 18]
    for j in 0 ..< 3 {
      all[:, j * 6 : j * 6 + 6] = bn_stats(t[:, j * 512 : j * 512 + 512])
    }
    store(s[i : i + 128, :], all)
    store(m[i : i + 128, :], bn_aggr(all))
  }
}
"""

F32 = np.float32


def group(values):
    """[n, mean, m2] of one group: a sequential f32 sum, its quotient by n, a sequential f32 sum of squared deviations."""
    if len(values) == 0:
        return [F32(0), F32(0), F32(0)]
    total = F32(0)
    for v in values:
        total = F32(total + v)
    mean = F32(total / F32(len(values)))
    m2 = F32(0)
    for v in values:
        d = F32(v - mean)
        m2 = F32(m2 + F32(d * d))
    return [F32(len(values)), mean, m2]


def stats(row):
    return group(row[0::2]) + group(row[1::2])


def aggregate(row):
    tuples = [row[k:k + 3] for k in range(0, len(row) - len(row) % 3, 3)]
    total, weighted = F32(0), F32(0)
    for c, m, _ in tuples:
        total = F32(total + c)
        weighted = F32(weighted + F32(c * m))
    if not total > 0:
        return [F32(0), F32(0)]
    mean = F32(weighted / total)
    spread = F32(0)
    for c, m, v in tuples:
        d = F32(m - mean)
        spread = F32(spread + F32(v + F32(c * F32(d * d))))
    return [mean, F32(spread / total)]


@pytest.mark.parametrize("backend", ["sim", "llvm"])
def test_bn_stats_and_bn_aggr_match_the_documented_algorithm(backend):
    x = (rng(41).standard_normal((200, 1100)) * 3 + 5).astype(np.float32)
    s, m = kiln.compile_source(SOURCE)(x, backend=backend)
    with np.errstate(all="ignore"):
        chunks = [(0, 512), (512, 1024), (1024, 1100)]
        expected_s = np.array([[v for a, b in chunks for v in stats(row[a:b])] for row in x], dtype=np.float32)
        expected_m = np.array([aggregate(list(r)) for r in expected_s], dtype=np.float32)
    np.testing.assert_array_equal(s, expected_s)
    np.testing.assert_array_equal(m, expected_m)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(m[:, 0], x64.mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(m[:, 1], x64.var(axis=1), rtol=1e-5)
