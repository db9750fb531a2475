# test_attention_long.py: whole-tensor attention at the SD shape (S = 4096, D = 128), on chip, against numpy.
#
# Run: KILN_LIBRARY=.build/debug/libKiln.so PYTHONPATH=python python3 -m pytest Tests/python/test_attention_long.py
#
# At Sq = Sk = 4096 the `tile` pass keeps the chain on chip (Docs/simulator.md, "On-chip attention"): each
# 128-query block holds its 4096 scores in SBUF, and no score reaches HBM. The llvm backend runs the same engine
# ops as the simulator, bit for bit (Tests/golden/run/attention-on-chip.kiln checks ref = sim = llvm at smaller
# sizes), and runs this size in seconds where the simulator's functional mode takes minutes in a debug build.
# The tolerance is Docs/numerics.md's "Fused chains": the probabilities are rounded to bf16 before P @ V
# (2^-8 relative each), as the reference interpreter does.
import ml_dtypes
import numpy as np

import kiln
from api_support import EXAMPLES, requires_library, rng

pytestmark = requires_library

BF16 = ml_dtypes.bfloat16


def test_attention_at_the_sd_shape_on_llvm():
    r = rng(4096)
    q, k, v = ((r.standard_normal((4096, 128)) * 0.5).astype(BF16) for _ in range(3))
    qv, kv, vv = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    s = qv @ kv.T / np.sqrt(128.0)
    e = np.exp(s - s.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    ref = np.asarray(p.astype(np.float32).astype(BF16), dtype=np.float64) @ vv
    out = kiln.compile(EXAMPLES / "attention.kiln")(q, k, v, backend="llvm")
    assert out.shape == (4096, 128)
    np.testing.assert_allclose(np.asarray(out, dtype=np.float64), ref, rtol=2.0 ** -7, atol=2.0 ** -9)


def test_causal_attention_with_skipped_windows_on_llvm():
    # [1, 1, 2048, 128]: 16 query blocks, each computing only the key windows at or below its diagonal, emitted
    # one after another; that code is long enough for the llvm backend to emit it in parts (Docs/llvm-backend.md).
    r = rng(2048)
    q, k, v = ((r.standard_normal((1, 1, 2048, 128)) * 0.5).astype(BF16) for _ in range(3))
    qv, kv, vv = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    s = qv @ np.swapaxes(kv, -1, -2) / np.sqrt(128.0)
    s = np.where(np.triu(np.ones((2048, 2048), dtype=bool), k=1), -np.inf, s)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    p = e / e.sum(axis=-1, keepdims=True)
    ref = np.asarray(p.astype(np.float32).astype(BF16), dtype=np.float64) @ vv
    out = kiln.compile(EXAMPLES / "causal_attention.kiln")(q, k, v, backend="llvm")
    assert out.shape == (1, 1, 2048, 128) and out.dtype == BF16
    np.testing.assert_array_equal(np.asarray(out, dtype=np.float64)[0, 0, 0], vv[0, 0, 0])   # row 0 sees key 0 only
    # As test_api_examples.check_causal_attention: bf16 probabilities, then the output's rounding to bf16.
    np.testing.assert_allclose(np.asarray(out, dtype=np.float64), ref, rtol=2.0 ** -6, atol=2.0 ** -8)


def _attention_reference(q, k, v):
    qv, kv, vv = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    s = qv @ kv.T / np.sqrt(qv.shape[1])
    e = np.exp(s - s.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return np.asarray(p.astype(np.float32).astype(BF16), dtype=np.float64) @ vv


def test_attention_with_rows_too_long_for_sbuf_streams_on_llvm():
    # Sq = 256, Sk = 16384, D = 128: a block's 16384 f32 scores do not fit trn1's SBUF beside the keys and values,
    # so `tile` streams the keys by online softmax (tile{chain_online=auto}; Docs/tile-ir.md, "Online softmax").
    # The output is divided by the row sum at the end instead of rounding p to bf16 first: the tolerance is
    # Docs/numerics.md's "Online softmax", the same as the whole-row form's.
    r = rng(16384)
    q = (r.standard_normal((256, 128)) * 0.5).astype(BF16)
    k, v = ((r.standard_normal((16384, 128)) * 0.5).astype(BF16) for _ in range(2))
    out = kiln.compile(EXAMPLES / "attention.kiln", dims={"Sq": 256, "Sk": 16384, "D": 128})(q, k, v, backend="llvm")
    assert out.shape == (256, 128)
    np.testing.assert_allclose(np.asarray(out, dtype=np.float64), _attention_reference(q, k, v),
                               rtol=2.0 ** -7, atol=2.0 ** -9)


STREAMED = ("inline,canonicalize,cse,fuse,tile{chain_online=on},canonicalize,cse,fold-copies,dce,licm,"
            "assign-engines,double-buffer,interleave,allocate,schedule")


def _check_streamed(seed, sq, sk, d, backend):
    # attention.kiln at Sq x Sk x D with the chain forced to stream (tile{chain_online=on}), against numpy within the
    # whole-row form's tolerance (Docs/numerics.md, "Online softmax").
    r = rng(seed)
    q = (r.standard_normal((sq, d)) * 0.5).astype(BF16)
    k, v = ((r.standard_normal((sk, d)) * 0.5).astype(BF16) for _ in range(2))
    out = kiln.compile(EXAMPLES / "attention.kiln", dims={"Sq": sq, "Sk": sk, "D": d}, passes=STREAMED)(
        q, k, v, backend=backend)
    assert out.shape == (sq, d)
    np.testing.assert_allclose(np.asarray(out, dtype=np.float64), _attention_reference(q, k, v),
                               rtol=2.0 ** -7, atol=2.0 ** -9)


def test_attention_streamed_at_remainder_sizes_on_sim():
    # Forced on at Sq = 300, Sk = 700, D = 64: 3 blocks (the last of 44 rows), a 512-key window and one of 188.
    _check_streamed(300, 300, 700, 64, "sim")


def test_attention_streamed_at_the_sd_shape_on_llvm():
    # Forced on at Sq = Sk = 4096, D = 128 (the rows fit, so `auto` keeps them whole): the online softmax's reordered
    # sum over eight 512-key windows, each rescaled by exp(m_old - m_new).
    _check_streamed(4097, 4096, 4096, 128, "llvm")
