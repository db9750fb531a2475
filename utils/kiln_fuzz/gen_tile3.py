"""gen_tile3.py: random tile-level Kiln kernels on tiles with several free dims ([128, H, D], NKI's (par_dim, n, d))."""
from .gen_tile import ACTIVATIONS, block, rng_dim, sl
from .program import E, Function, Param, Program, Stmt, lit, name

HEADS = [1, 2, 3, 4, 5]
HEAD_DIMS = [1, 7, 16, 33, 64, 100]


def stat(rng, tile, reduction=None):
    """A per-row statistic [128, H, 1] (the last free axis) or a per-partition one [128, 1, 1] (both free axes)."""
    reduction = reduction or rng.choice(["sum", "max", "min", "mean"])
    axis = rng.choice([2, -1, "(1, 2)"])
    return E("red", (reduction, axis), [tile])


def tile3_expr(rng, t, u, depth):
    """An f32 expression of shape [128, H, D] over the tiles `t` and `u` (both [128, H, D] f32), the optional row
    `g` ([1, H, D]), per-row and per-partition statistics that broadcast along the free dims, math builtins,
    `select` and `activation` with a per-partition bias."""
    if depth <= 0:
        return rng.choice([t, u, t, E("bin", rng.choice(["*", "+", "-"]), [t, lit(rng.choice([0.5, 2.0, -1.25]))])])
    kind = rng.choice(["bin", "bin", "stat", "math", "select", "act", "cast"])
    a = tile3_expr(rng, t, u, depth - 1)
    if kind == "bin":
        return E("bin", rng.choice(["+", "-", "*"]), [a, tile3_expr(rng, t, u, depth - 1)])
    if kind == "stat":
        # x - max(x, axis: 2) / x * rsqrt(mean(x * x, axis: 2) + eps): a stretched [128, H, 1] or [128, 1, 1].
        if rng.random() < 0.5:
            return E("bin", "-", [a, stat(rng, a, "max")])
        square = E("bin", "*", [a, a])
        return E("bin", "*", [a, E("call", "rsqrt", [E("bin", "+", [stat(rng, square, "mean"), lit(1e-3)])])])
    if kind == "math":
        return E("call", rng.choice(["tanh", "sigmoid", "abs", "relu", "exp"]),
                 [E("call", "tanh", [a]) if rng.random() < 0.5 else a])
    if kind == "select":
        return E("call", "select", [E("bin", ">", [a, lit(0.0)]), a, tile3_expr(rng, t, u, depth - 1)])
    if kind == "act":
        bias = stat(rng, E("call", "tanh", [a]), rng.choice(["max", "min"]))
        bias = E("red", (bias.val[0], "(1, 2)"), bias.args)   # activation takes a per-partition [128, 1, 1] bias
        return E("act", (rng.choice(ACTIVATIONS), rng.choice([None, "0.5", "-0.25"])), [E("call", "tanh", [a]), bias])
    return E("cast", "f32", [E("cast", rng.choice(["bf16", "f16"]), [a])])


def rank3(rng, target):
    """Rows of [S, H, D] (or [B, S, H, D], a tile per batch element) in [128, H, D] tiles (a remainder tile when
    S % 128 != 0): an elementwise chain with statistics over free axes, an optional [1, H, D] row broadcast across
    partitions, optionally accumulated into a rank-3 `var`; a second result holding a reduction over both free axes."""
    s, h, d = rng_dim(rng), rng.choice(HEADS), rng.choice(HEAD_DIMS)
    dtype = rng.choice(["f32", "f32", "bf16"])
    batched = rng.random() < 0.3
    lead = ("B",) if batched else ()
    params = [Param("x", dtype, lead + ("S", "H", "D")), Param("y", dtype, lead + ("S", "H", "D"))]

    def at(base, rows, *rest):
        return sl(base, *(((name("bb"), False),) if batched else ()), rows, *rest)

    rows = block("i", 128)
    whole = ((None, None), (None, None))
    body = []
    for tile, source in (("t", "x"), ("u", "y")):
        value = E("call", "load", [at(source, rows, *whole)])
        body.append(Stmt("let", (tile, value if dtype == "f32" else E("cast", "f32", [value]), None)))
    value = tile3_expr(rng, name("t"), name("u"), rng.choice([2, 3]))
    if rng.random() < 0.3:
        params.append(Param("g", "f32", (1, "H", "D")))
        value = E("bin", "*", [value, name("row")])
    body.append(Stmt("let", ("e", value, None)))
    out_dtype = rng.choice(["f32", dtype])
    stored = name("e") if out_dtype == "f32" else E("cast", out_dtype, [name("e")])
    body.append(Stmt("expr", (E("call", "store", [at("r0", rows, *whole), stored]),)))
    results = [("r0", out_dtype, lead + ("S", "H", "D"))]
    if rng.random() < 0.5:
        results.append(("r1", "f32", lead + ("S", 1, 1)))
        total = E("red", (rng.choice(["sum", "max", "mean"]), "(1, 2)"), [name("e")])
        body.append(Stmt("expr", (E("call", "store", [at("r1", rows, (None, None), (None, None)), total]),)))
    loop = Stmt("for", ("i", lit(0), name("S"), 128, body))
    dims = [("S", s), ("H", h), ("D", d)]
    if batched:
        loop = Stmt("for", ("bb", lit(0), name("B"), 1, [loop]))
        dims = [("B", rng.choice([1, 2]))] + dims
    prologue = [Stmt("let", ("row", E("call", "load", [sl("g", (None, None), (None, None), (None, None))]), None))] \
        if any(p.name == "g" for p in params) else []
    if rng.random() < 0.3 and not batched and s >= 128:
        # A [128, H, D] var summing the row tiles (rows past S clip), stored once.
        results.append(("r2", "f32", (128, "H", "D")))
        prologue.append(Stmt("var", ("acc", "sbuf f32[128, H, D]", lit(0.0))))
        body.append(Stmt("assign", ("acc", "+=", name("e"))))
        return Function("kernel", "k", dims, params, results,
                        prologue + [loop, Stmt("expr", (E("call", "store", [sl("r2", *((None, None),) * 3), name("acc")]),))])
    return Function("kernel", "k", dims, params, results, prologue + [loop])


def generate_tile3(rng, target):
    return Program([], rank3(rng, target), "tile", target)
