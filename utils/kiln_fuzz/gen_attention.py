"""gen_attention.py: random attention-shaped whole-tensor kernels (matmul -> row softmax -> matmul), the chains `tile`
keeps on chip (TileMatmulRowChain.swift): scale, causal mask, batch dims, epilogues and sizes vary."""
from .gen_tensor import BATCH_SIZES, BATCH_WEIGHTS, TensorGen
from .program import E, Function, Param, Program, Stmt, lit, name

# Query (S) and key (L: not T, which generic rendering takes for its dtype parameter) counts around the tile and
# window edges (128 rows, 512-column PSUM windows); widths of q/k (D) and v (E).
ROWS = [1, 7, 128, 129, 300, 513]
KEYS = [1, 64, 200, 512, 700, 1100]
WIDTHS = [16, 64, 128, 130, 600]


def masked(rng, scores):
    """Scores under a mask of positions (key column, query row): causal, anticausal (the constant in the true
    branch), a band below the diagonal (two masks, one of a shifted position), or a fill that is not -inf. The chain
    skips the windows such a mask empties when the fill reaches the reductions as their identity
    (TileMatmulRowChainMasks.swift)."""
    key, query = E("iota", (("S", "L"), 1)), E("iota", (("S", "L"), 0))
    minus_inf = E("neg", None, [name("inf")])
    kind = rng.choice(["causal", "causal", "anticausal", "band", "zero"])
    if kind == "anticausal":
        return E("call", "select", [E("bin", "<", [key, query]), minus_inf, scores])
    causal = E("call", "select", [E("bin", "<=", [key, query]), scores, lit(0.0) if kind == "zero" else minus_inf])
    if kind != "band":
        return causal
    width = rng.choice([1, 100, 300, 600])
    return E("call", "select", [E("bin", ">", [E("bin", "+", [key, lit(width)]), query]), causal, minus_inf])


def generate_attention(rng, target):
    """`softmax(f(q @ k.T)) @ v` with f a scale, a causal mask from positions or an elementwise expression of the
    scores, sometimes batched, with an epilogue; q and k of one float dtype, the probabilities cast to v's."""
    dims = [("S", rng.choice(ROWS)), ("L", rng.choice(KEYS)), ("D", rng.choice(WIDTHS)), ("E", rng.choice(WIDTHS))]
    batch = []
    if rng.random() < 0.4:
        batch = [(n, rng.choices(BATCH_SIZES, BATCH_WEIGHTS)[0]) for n in ["B", "H"][: rng.choice([1, 2])]]
        dims = [(n, min(size, 300)) for n, size in dims]
    lead = tuple(n for n, _ in batch)
    operand = rng.choice(["bf16", "bf16", "f16", "f32"])
    values = rng.choice([operand, "bf16"]) if operand != "f32" else "f32"
    gen = TensorGen(rng, batch + dims, batch=batch)
    q = gen.expr(operand, lead + ("S", "D"), 1)
    k = gen.expr(operand, lead + ("L", "D"), 1)
    v = gen.param(values, lead + ("L", "E"))
    product = E("bin", "@", [q, E("T", None, [k])])
    r = rng.random()
    if r < 0.35:
        scores = E("bin", rng.choice(["*", "/"]), [product, lit(rng.choice([0.125, 0.0883883, 3.0, 11.313708]))])
    elif r < 0.6:
        scores = masked(rng, E("bin", "*", [product, lit(0.125)]))
    elif r < 0.8:
        scores = E("bin", "+", [product, gen.expr("f32", lead + ("S", "L"), 1)])
    else:
        scores = product
    body = [Stmt("let", ("s", scores, None))]
    shift = E("bin", "-", [name("s"), E("red", ("max", -1), [name("s")])])
    body.append(Stmt("let", ("e", E("call", "exp", [shift]), None)))
    probabilities = E("bin", "/", [name("e"), E("red", ("sum", -1), [name("e")])])
    out = E("bin", "@", [E("cast", values, [probabilities]), v])
    if rng.random() < 0.4:
        out = E("bin", rng.choice(["*", "+"]), [out, lit(rng.choice([2.0, 0.5]))])
    result = rng.choice(["f32", "bf16", values])
    if result != "f32":
        out = E("cast", result, [out])
    body.append(Stmt("return", ([out],)))
    results = [(None, result, lead + ("S", "E"))]
    return Program([], Function("kernel", "attention", batch + dims, gen.params, results, body, {}), "tensor", target)


def online_variant(rng):
    """The default pipeline (PassPipeline.defaultPipeline) with the chain streamed by online softmax whatever its size
    (`tile{chain_online=on}`, TileMatmulRowChainOnline.swift), sometimes with one row block per loop body."""
    blocks = f",chain_blocks={rng.choice([1, 2])}" if rng.random() < 0.3 else ""
    return (f"inline,canonicalize,cse,fuse,tile{{chain_online=on{blocks}}},canonicalize,cse,fold-copies,dce,licm,"
            "assign-engines,double-buffer,interleave,allocate,schedule")

