"""gen_tile_ops.py: random tile-level Kiln kernels on NKI's indirect DMA, gpsimd and strided access patterns:
`load(table[idx, lo : hi])`, `affine_select`, stepped tile slices `t[:, lo : hi : s]`."""
from .gen_tile import block, sl, tile_expr
from .program import E, Function, Param, Stmt, lit, name


def gathers(rng, target):
    """Rows of a table chosen by an index tile (NKI's indirect DMA): `idx = abs(load(ids[...])) % V` (any i32 input lands
    in a row; V small so rows repeat), or `load(ids) + 8` when V > 16 (the runs' i32 inputs are in [-8, 8]); the row
    tile's columns `c : c + W` (all of them or a window), then an elementwise chain and a store."""
    n, v = rng.choice([1, 7, 128, 130, 300]), rng.choice([1, 5, 17, 40, 300])
    d = rng.choice([1, 16, 33, 100, 256])
    dtype = rng.choice(["f32", "bf16", "f16", "i32"])
    params = [Param("table", dtype, ("V", "D")), Param("ids", "i32", ("N", 1)), Param("y", "f32", ("N", "W"))]
    c = 0 if rng.random() < 0.5 else rng.randint(0, d - 1)
    w = d - c if rng.random() < 0.5 else rng.randint(1, d - c)
    columns = (lit(c), E("bin", "+", [lit(c), name("W")]))
    rows = block("i", 128)
    raw = E("call", "load", [sl("ids", rows, (None, None))])
    index = E("bin", "+", [raw, lit(8)]) if v > 16 and rng.random() < 0.5 else E("bin", "%", [E("call", "abs", [raw]), name("V")])
    body = [Stmt("let", ("idx", index, None)),
            Stmt("let", ("e", E("call", "load", [E("slice", [(name("idx"), False), columns], [name("table")])]), None)),
            Stmt("let", ("u", E("call", "load", [sl("y", rows, (None, None))]), None))]
    source = name("e") if dtype == "f32" else E("cast", "f32", [name("e")])
    body.append(Stmt("let", ("ef", source, None)))
    value, _ = tile_expr(rng, [("ef", "f32"), ("u", "f32")], "W", "f32", rng.choice([1, 2]))
    body.append(Stmt("let", ("r", value, None)))
    body.append(Stmt("expr", (E("call", "store", [sl("out", rows, (None, None)), name("r")]),)))
    loop = Stmt("for", ("i", lit(0), name("N"), 128, body))
    return Function("kernel", "k", [("N", n), ("V", v), ("D", d), ("W", w)], params, [(None, "f32", ("N", "W"))], [loop])


def masks(rng, target):
    """NKI's affine_select on row tiles: `affine_select(e, fill, partition: a, free: b, offset: c)` with small
    coefficients (zero ones left out), an offset in the row loop's variable and literals, a fill of -inf (then an
    exp, as a softmax does, or a max) or a finite one, on an f32 chain or an i32 tile; the masked tile stored."""
    n, d = rng.choice([1, 7, 128, 130, 300]), rng.choice([1, 16, 33, 100, 256])
    dtype = rng.choice(["f32", "f32", "bf16", "i32"])
    params = [Param("x", dtype, ("N", "D")), Param("y", "f32", ("N", "D"))]
    rows = block("i", 128)
    body = [Stmt("let", ("t", E("call", "load", [sl("x", rows, (None, None))]), None))]
    if dtype == "i32":
        source = name("t")
    else:
        body.append(Stmt("let", ("u", E("call", "load", [sl("y", rows, (None, None))]), None)))
        source, _ = tile_expr(rng, [("t", dtype), ("u", "f32")] if dtype == "f32" else [("u", "f32")], "D", "f32", 1)
    body.append(Stmt("let", ("e", source, None)))
    labels = []
    for label in ("partition", "free"):
        coefficient = rng.choice([0, 1, -1, 2, -3])
        if coefficient:
            labels.append((label, lit(coefficient)))
    shift = lit(rng.randint(-200, 200))
    offset = rng.choice([shift, E("bin", "+", [name("i"), shift]), E("bin", "-", [shift, name("i")]), None])
    if offset is not None:
        labels.append(("offset", offset))
    infinite = dtype != "i32" and rng.random() < 0.5
    fill = E("neg", None, [name("inf")]) if infinite else lit(rng.choice([0.0, 2.5, -7.0]) if dtype != "i32" else rng.choice([0, 5, -3]))
    masked = E("asel", labels, [name("e"), fill])
    if infinite:
        masked = E("call", "exp", [masked]) if rng.random() < 0.5 else E("red", ("max", 1), [masked])
    body.append(Stmt("let", ("r", masked, None)))
    out_width = 1 if infinite and masked.op == "red" else "D"
    body.append(Stmt("expr", (E("call", "store", [sl("out", rows, (None, None)), name("r")]),)))
    loop = Stmt("for", ("i", lit(0), name("N"), 128, body))
    out_dtype = "i32" if dtype == "i32" else "f32"
    return Function("kernel", "k", [("N", n), ("D", d)], params, [(None, out_dtype, ("N", out_width))], [loop])


def strided(rng, target):
    """Stepped slices of row tiles (`t[:, lo : hi : s]`, one `dve.copy_strided` each): one or two slices of the same
    size K from a loaded [128, D] tile (every s-th column from lo, the last inside D), an elementwise chain over them
    and a store of the [128, K] result."""
    n, d = rng.choice([1, 7, 128, 130, 300]), rng.choice([2, 9, 33, 100, 256])
    dtype = rng.choice(["f32", "f32", "bf16", "i32"])
    params = [Param("x", dtype, ("N", "D"))]
    rows = block("i", 128)
    body = [Stmt("let", ("t", E("call", "load", [sl("x", rows, (None, None))]), None))]
    step = rng.choice([2, 3, 4, 7])
    count = rng.randint(1, max(1, (d - 1) // step + 1))

    def stepped(label):
        lo = rng.randint(0, d - 1 - (count - 1) * step) if d - 1 - (count - 1) * step >= 0 else 0
        body.append(Stmt("let", (label, E("slice", [(None, None), (lit(lo), lit(lo + count * step), lit(step))],
                                          [name("t")]), None)))
    stepped("a")
    tiles = [("a", dtype)]
    if rng.random() < 0.6:
        stepped("b")
        tiles.append(("b", dtype))
    if dtype == "i32":
        value = E("bin", rng.choice(["+", "-", "*"]), [name("a"), name(tiles[-1][0])])
        out_dtype = "i32"
    else:
        value, _ = tile_expr(rng, tiles, count, "f32", rng.choice([1, 2]))
        out_dtype = "f32"
    body.append(Stmt("let", ("r", value, None)))
    body.append(Stmt("expr", (E("call", "store", [sl("out", rows, (None, None)), name("r")]),)))
    loop = Stmt("for", ("i", lit(0), name("N"), 128, body))
    return Function("kernel", "k", [("N", n), ("D", d)], params, [(None, out_dtype, ("N", count))], [loop])
