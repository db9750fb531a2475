"""gen_tile.py: random tile-level Kiln kernels: loops, load/store, nc_matmul accumulation, copy, var buffers."""
from .gen_tensor import DIM_SIZES, DIM_WEIGHTS, TensorGen
from .program import FLOATS, E, Function, Param, Program, Stmt, lit, name


def rng_dim(rng):
    return rng.choices(DIM_SIZES, DIM_WEIGHTS)[0]


def sl(base, *items):
    return E("slice", list(items), [name(base)])


def block(var, size):
    """`var : var + size`"""
    return (name(var), E("bin", "+", [name(var), lit(size)]))


def tile_expr(rng, tiles, width, dtype, depth, scalars=(), rows=()):
    """An expression over sbuf tiles `tiles` ([(name, dtype)], all [128, width]) and one-partition row tiles `rows`
    ([1, width], broadcast across partitions), of `dtype` and shape [128, width]."""
    shape = (128, width)
    allowed = {shape, (128, 1)} | ({(1, width)} if rows else set())
    gen = TensorGen(rng, [(width, 0)] if isinstance(width, str) else [("D", 0)], fresh_params=False,
                    allowed=set(allowed))
    gen.tiles = True
    gen.params = ([Param(n, d, shape) for n, d in tiles] + [Param(n, d, (1, width)) for n, d in rows]
                  + [Param(s, "f32", ()) for s in scalars])
    gen.dims = [(width, 0)] if isinstance(width, str) else []
    if not gen.dims:
        gen.dims = [("_w", 0)]
        gen.allowed = set(allowed)
        gen.reduction = lambda dt, sh, d: E("red", (rng.choice(["sum", "max", "min", "mean"]), 1), [gen.expr(dt, shape, d)])
        gen.scalar = lambda dt: lit(rng.choice([0.5, 2.0, -1.5, 0.25])) if dt != "i32" else lit(rng.choice([1, 2, 3]))
    return gen.expr(dtype, shape, depth), gen


def rowwise(rng, target):
    """Rows in tiles of 128 (a remainder tile when N % 128 != 0), optionally columns in tiles too; an
    elementwise chain with row statistics; a second result holding a row reduction."""
    n, d = rng_dim(rng), rng_dim(rng)
    dtype = rng.choice(["f32", "f32", "bf16", "f16"])
    params = [Param("x", dtype, ("N", "D")), Param("y", dtype, ("N", "D"))]
    out_dtype = rng.choice(["f32", dtype, "bf16"])
    col_step = rng.choice([None, None, 64, 128, 512])
    width = "D" if col_step is None else col_step
    inner = []
    cols = (None, None) if col_step is None else block("j", col_step)
    inner.append(Stmt("let", ("t", E("call", "load", [sl("x", block("i", 128), cols)]), None)))
    if rng.random() < 0.5:
        inner.append(Stmt("var", ("u", f"sbuf {dtype}[128, {width}]", None)))
        inner.append(Stmt("assign", ("u", "=", E("call", "load", [sl("y", block("i", 128), cols)]))))
    else:
        inner.append(Stmt("let", ("u", E("call", "load", [sl("y", block("i", 128), cols)]), None)))
    rows = []
    if rng.random() < 0.3:
        # A [1, width] row (a bias, a gamma) broadcast across the partitions of the row tiles.
        params.append(Param("g", dtype, (1, "D")))
        inner.append(Stmt("let", ("row", E("call", "load", [sl("g", (None, None), cols)]), None)))
        rows = [("row", dtype)]
    value, _ = tile_expr(rng, [("t", dtype), ("u", dtype)], width, out_dtype, rng.choice([2, 3]), rows=rows)
    inner.append(Stmt("let", ("e", value, None)))
    results = [("out" if col_step else "r0", out_dtype, ("N", "D"))]
    inner.append(Stmt("expr", (E("call", "store", [sl(results[0][0], block("i", 128), cols), name("e")]),)))
    body = inner
    if col_step:
        body = [Stmt("for", ("j", lit(0), name("D"), col_step, inner))]
    elif rng.random() < 0.6:
        reduction = rng.choice(["sum", "max", "min", "mean"])
        results.append(("r1", "f32", ("N", 1)))
        source = name("e") if out_dtype == "f32" else E("cast", "f32", [name("e")])
        inner.append(Stmt("let", ("s", E("red", (reduction, rng.choice([1, -1, None])), [source]), None)))
        inner.append(Stmt("expr", (E("call", "store", [sl("r1", block("i", 128), (None, None)), name("s")]),)))
    loop = Stmt("for", ("i", lit(0), name("N"), 128, body))
    if rng.random() < 0.3:
        # Row blocks: an inner loop whose bounds move with the outer one (`i in i0 ..< i0 + B`). A block of 256
        # only where its second row tile still starts inside N (a slice may not start past its dim).
        blocks = [128] + ([256] if n % 256 == 0 or n % 256 > 128 else [])
        size = rng.choice(blocks)
        inner_loop = Stmt("for", ("i", name("i0"), E("bin", "+", [name("i0"), lit(size)]), 128, body))
        loop = Stmt("for", ("i0", lit(0), name("N"), size, [inner_loop]))
    if col_step:
        results = [(None, out_dtype, ("N", "D"))]
    return Function("kernel", "k", [("N", n), ("D", d)], params, results, [loop])


def matmul(rng, target):
    """out[M, N] = a_t^T @ b by tiles: PSUM accumulation over K with `+=` (from `= 0.0`, or from a first
    `acc = nc_matmul(...)`), or one `nc_matmul` when K fits in 128 partitions; copy, an epilogue, store."""
    k, m, n = rng_dim(rng), rng_dim(rng), rng_dim(rng)
    dtype = rng.choice(FLOATS)
    tn = rng.choice([128, 256, 512])
    params = [Param("a_t", dtype, ("K", "M")), Param("b", dtype, ("K", "N"))]
    out_dtype = rng.choice(["f32", "f32", "bf16"])
    mode = rng.choice(["zero", "zero", "first", "single"] if k > 128 else ["zero", "single", "single"])

    def loads(kvar_or_lo):
        rows = block(kvar_or_lo, 128) if isinstance(kvar_or_lo, str) else (lit(0), lit(128))
        at = E("call", "load", [sl("a_t", rows, block("m", 128))])
        bt = E("call", "load", [sl("b", rows, block("n", tn))])
        return at, bt

    inner = []
    if mode == "single":
        at, bt = loads(0)
        if rng.random() < 0.5:
            inner += [Stmt("let", ("at", at, None)), Stmt("let", ("bt", bt, None))]
            at, bt = name("at"), name("bt")
        inner.append(Stmt("let", ("acc", E("call", "nc_matmul", [at, bt]), None)))
    else:
        init = lit(0.0) if mode == "zero" else None
        inner.append(Stmt("var", ("acc", f"psum f32[128, {tn}]", init)))
        start = lit(0)
        if mode == "first":
            at, bt = loads(0)
            inner.append(Stmt("assign", ("acc", "=", E("call", "nc_matmul", [at, bt]))))
            start = lit(128)
        at, bt = loads("kk")
        body = [Stmt("let", ("at", at, None)), Stmt("let", ("bt", bt, None)),
                Stmt("assign", ("acc", "+=", E("call", "nc_matmul", [name("at"), name("bt")])))]
        inner.append(Stmt("for", ("kk", start, name("K"), 128, body)))
    inner.append(Stmt("let", ("r", E("call", "copy", [name("acc")]), None)))
    value = name("r")
    if rng.random() < 0.6:
        value, _ = tile_expr(rng, [("r", "f32")], tn, out_dtype, 2)
    elif out_dtype != "f32":
        value = E("cast", out_dtype, [value])
    inner.append(Stmt("let", ("o", value, None)))
    inner.append(Stmt("expr", (E("call", "store", [sl("out", block("m", 128), block("n", tn)), name("o")]),)))
    loop = Stmt("for", ("m", lit(0), name("M"), 128, [Stmt("for", ("n", lit(0), name("N"), tn, inner))]))
    return Function("kernel", "k", [("K", k), ("M", m), ("N", n)], params, [(None, out_dtype, ("M", "N"))], [loop])


def accumulate(rng, target):
    """A `var` SBUF buffer accumulating row blocks: out[128, D] = sum over blocks of x (rows past N clip)."""
    n, d = rng.choice([128, 256, 384, 129, 300]), rng_dim(rng)
    dtype = "f32"
    params = [Param("x", dtype, ("N", "D"))]
    body = [Stmt("var", ("acc", f"sbuf f32[128, D]", lit(0.0))),
            Stmt("for", ("i", lit(0), name("N"), 128,
                         [Stmt("assign", ("acc", "+=", E("call", "load", [sl("x", block("i", 128), (None, None))])))])),
            Stmt("expr", (E("call", "store", [sl("out", (lit(0), lit(128)), (None, None)), name("acc")]),))]
    return Function("kernel", "k", [("N", n), ("D", d)], params, [(None, dtype, (128, "D"))], body)


# Scalar-engine functions whose argument needs no domain (a NaN from log(-1) would agree too, but says nothing).
ACTIVATIONS = ["exp", "tanh", "sigmoid", "relu", "silu", "gelu", "square", "abs", "sin", "softplus", "erf"]


def activations(rng, target):
    """The NKI tile forms: `activation(f, x, bias:, scale:)` on an SBUF or PSUM tile, its bias a per-partition
    [128, 1] tile, a scalar parameter or a literal, its scale a constant expression or a per-partition [128, 1]
    tile (NKI's `scale=A_i`); `nc_transpose` of a tile into
    PSUM, copied back (D <= 128: D becomes the partitions); rows past N clip (a remainder tile)."""
    n, d = rng_dim(rng), rng.choice([1, 7, 64, 100, 128])
    dtype = rng.choice(["f32", "f32", "bf16", "f16"])
    batched = rng.random() < 0.3   # x, y and t of rank 3, a tile per batch element: load(x[b, i : i + 128, :])
    lead = ("B",) if batched else ()
    params = [Param("x", dtype, lead + ("N", "D")), Param("b", "f32", ("N", 1)), Param("s", "f32", (), default=0.25)]
    out_dtype = rng.choice(["f32", dtype])
    rows = block("i", 128)

    def at(base, *items):
        return sl(base, *(((name("bb"), False),) if batched else ()), *items)

    inner = [Stmt("let", ("xt", E("call", "load", [at("x", rows, (None, None))]), None))]
    source = name("xt")
    if rng.random() < 0.3:
        # A PSUM operand: the tile transposed twice.
        inner.append(Stmt("let", ("back", E("call", "nc_transpose", [E("call", "copy", [E("call", "nc_transpose", [source])])]), None)))
        source = name("back")
    bias_kind = rng.choice(["tile", "param", "literal", None])
    args = [source]
    if bias_kind == "tile":
        inner.append(Stmt("let", ("bt", E("call", "load", [sl("b", rows, (None, None))]), None)))
        args.append(name("bt"))
    elif bias_kind == "param":
        args.append(name("s"))
    elif bias_kind == "literal":
        args.append(lit(rng.choice([0.5, -0.125, 1.0])))
    scale = rng.choice([None, "0.5", "-1.0 / 3.0", "2.0", "0.125", "tile", "tile"])
    if scale == "tile":
        params.append(Param("g", "f32", ("N", 1)))
        inner.append(Stmt("let", ("gt", E("call", "load", [sl("g", rows, (None, None))]), None)))
        args.append(name("gt"))
    value = E("act", (rng.choice(ACTIVATIONS), scale), args)
    if out_dtype != dtype:
        value = E("cast", out_dtype, [value])
    inner.append(Stmt("let", ("e", value, None)))
    inner.append(Stmt("expr", (E("call", "store", [at("y", rows, (None, None)), name("e")]),)))
    results = [("y", out_dtype, lead + ("N", "D"))]
    if rng.random() < 0.6:
        transposed = E("call", "nc_transpose", [rng.choice([name("xt"), name("e")]) if out_dtype == dtype else name("xt")])
        inner.append(Stmt("expr", (E("call", "store", [at("t", (None, None), rows), E("call", "copy", [transposed])]),)))
        results.append(("t", dtype, lead + ("D", "N")))
    loop = Stmt("for", ("i", lit(0), name("N"), 128, inner))
    dims = [("N", n), ("D", d)]
    if batched:
        loop = Stmt("for", ("bb", lit(0), name("B"), 1, [loop]))
        dims = [("B", rng.choice([1, 2]))] + dims
    return Function("kernel", "k", dims, params, results, [loop])


def online(rng, target):
    """Loop-carried state as flash attention keeps it: per block of 128 rows, a running row max `m` and a running
    sum `l` of exp(x - m) over column blocks (a remainder block when D % C != 0), rescaled when the max grows; the
    vars are filled with constants and read before their first write, and a remainder row tile meets them."""
    n, d = rng_dim(rng), rng_dim(rng)
    dtype = rng.choice(["f32", "bf16"])
    cols = rng.choice([64, 128, 512])
    params = [Param("x", dtype, ("N", "D"))]
    rows = block("i", 128)
    t = E("call", "load", [sl("x", rows, block("j", cols))])
    if dtype != "f32":
        t = E("cast", "f32", [t])
    exp_shifted = (E("act", ("exp", None), [name("t"), E("neg", None, [name("m_new")])]) if rng.random() < 0.5
                   else E("call", "exp", [E("bin", "-", [name("t"), name("m_new")])]))
    body = [Stmt("let", ("t", t, None)),
            Stmt("let", ("m_new", E("call", "maximum", [name("m"), E("red", ("max", 1), [name("t")])]), None)),
            Stmt("assign", ("l", "=", E("bin", "+", [E("bin", "*", [name("l"), E("call", "exp", [E("bin", "-", [name("m"), name("m_new")])])]),
                                                       E("red", ("sum", 1), [exp_shifted])]))),
            Stmt("assign", ("m", "=", name("m_new")))]
    inner = [Stmt("var", ("m", "sbuf f32[128, 1]", lit(-1.0e30))),
             Stmt("var", ("l", "sbuf f32[128, 1]", lit(0.0))),
             Stmt("for", ("j", lit(0), name("D"), cols, body)),
             Stmt("expr", (E("call", "store", [sl("r0", rows, (None, None)), name("m")]),)),
             Stmt("expr", (E("call", "store", [sl("r1", rows, (None, None)), name("l")]),))]
    loop = Stmt("for", ("i", lit(0), name("N"), 128, inner))
    return Function("kernel", "k", [("N", n), ("D", d)], params, [("r0", "f32", ("N", 1)), ("r1", "f32", ("N", 1))], [loop])


def scans(rng, target):
    """Tile scans (one `dve.tensor_scan`): `scan(a, b, initial:)` / `cumsum(x, initial:)` along the free axis of row
    tiles (rows past N clip), the decay a full tile (sigmoid or exp(-|x|): bounded), a per-partition [128, 1] tile or
    a literal, the initial a literal, a scalar parameter or a [128, 1] tile; or a row scanned in column chunks
    (a remainder chunk when D % C != 0), the carry a [128, 1] var read before its first write and passed through
    `initial:`."""
    n, d = rng_dim(rng), rng_dim(rng)
    dtype = rng.choice(["f32", "f32", "bf16", "f16"])
    params = [Param("x", dtype, ("N", "D")), Param("y", dtype, ("N", "D")), Param("c", "f32", ("N", 1)),
              Param("s", "f32", (), default=0.5)]
    rows = block("i", 128)
    if rng.random() < 0.35:
        step = rng.choice([64, 128, 256])
        chunk = E("call", "load", [sl("x", rows, block("j", step))])
        if dtype != "f32" and rng.random() < 0.5:
            chunk = E("cast", "f32", [chunk])
        body = [Stmt("let", ("t", chunk, None)),
                Stmt("expr", (E("call", "store", [sl("r0", rows, block("j", step)),
                                                  E("scan", ("cumsum", None, True), [name("t"), name("carry")])]),)),
                Stmt("assign", ("carry", "=", E("bin", "+", [name("carry"), E("red", ("sum", 1), [E("cast", "f32", [name("t")])])])))]
        inner = [Stmt("var", ("carry", "sbuf f32[128, 1]", lit(rng.choice([0.0, 1.5])))),
                 Stmt("for", ("j", lit(0), name("D"), step, body))]
        results = [("r0", rng.choice(["f32", dtype]), ("N", "D"))]
    else:
        xt = E("call", "load", [sl("x", rows, (None, None))])
        yt = E("call", "load", [sl("y", rows, (None, None))])
        inner = [Stmt("let", ("xt", xt, None)), Stmt("let", ("yt", yt, None))]
        decay = rng.choice(["sigmoid", "exp", "column", "literal"])
        if decay == "sigmoid":
            a = E("call", "sigmoid", [name("xt")])
        elif decay == "exp":
            a = E("call", "exp", [E("neg", None, [E("call", "abs", [name("xt")])])])
        elif decay == "column":
            inner.append(Stmt("let", ("ct", E("call", "load", [sl("c", rows, (None, None))]), None)))
            a = E("call", "sigmoid", [name("ct")])
            if dtype != "f32":
                a = E("cast", dtype, [a])   # tiles of two dtypes do not mix
        else:
            a = lit(rng.choice([0.5, 0.9, -0.75, 1.0]))
        initial = rng.choice(["none", "literal", "param", "tile"])
        init_args = []
        if initial == "literal":
            init_args = [lit(rng.choice([0.5, -2.0, 1.0]))]
        elif initial == "param":
            init_args = [name("s")]
        elif initial == "tile":
            init_args = [E("call", "load", [sl("c", rows, (None, None))])]
        if rng.random() < 0.3:
            value = E("scan", ("cumsum", None, bool(init_args)), [name("yt")] + init_args)
        else:
            drive = rng.choice([name("yt"), E("bin", "*", [name("yt"), name("xt")]), E("bin", "-", [name("yt"), lit(0.25)])])
            value = E("scan", ("scan", None, bool(init_args)), [a, drive] + init_args)
        inner.append(Stmt("expr", (E("call", "store", [sl("r0", rows, (None, None)), value]),)))
        results = [("r0", rng.choice(["f32", dtype]), ("N", "D"))]
    loop = Stmt("for", ("i", lit(0), name("N"), 128, inner))
    return Function("kernel", "k", [("N", n), ("D", d)], params, results, [loop])


def affine_condition(rng, var):
    """A random `if` condition affine in the loop variable `var` and the dim N: comparisons joined by && || !."""
    def comparison():
        lhs = rng.choice([name(var), E("bin", "+", [name(var), lit(128)]), E("bin", "*", [name(var), lit(2)])])
        rhs = rng.choice([lit(0), lit(128), lit(256), name("N"), E("bin", "-", [name("N"), lit(128)])])
        return E("bin", rng.choice(["==", "!=", "<", "<=", ">", ">="]), [lhs, rhs])
    condition = comparison()
    for _ in range(rng.choice([0, 0, 1, 2])):
        other = comparison() if rng.random() < 0.8 else E("bool", rng.random() < 0.5)
        condition = E("bin", rng.choice(["&&", "||"]), [condition, other])
    return E("not", None, [condition]) if rng.random() < 0.2 else condition


def control(rng, target):
    """Control flow decided at compile time: per row block i, a triangular loop over the blocks j <= i (or j < i)
    accumulating them (its trip count grows with i, so the loop over i is unrolled); `if` / `else` on affine
    conditions of i and N choosing what a block stores; the loop variables as values (`i as f32`); `iota` tiles of
    positions masking the diagonal block (a remainder block meets full position tiles) and stored as i32."""
    n, d = rng_dim(rng), rng_dim(rng)
    dtype = rng.choice(["f32", "f32", "bf16"])
    params = [Param("x", dtype, ("N", "D"))]
    rows = block("i", 128)
    upper = E("bin", "+", [name("i"), lit(128)]) if rng.random() < 0.6 else name("i")
    load_j = E("call", "load", [sl("x", block("j", 128), (None, None))])
    if dtype != "f32":
        load_j = E("cast", "f32", [load_j])
    term = load_j if rng.random() < 0.5 else E("bin", "*", [load_j, E("bin", "*", [E("cast", "f32", [name("j")]), lit(0.01)])])
    t = E("call", "load", [sl("x", rows, (None, None))])
    if dtype != "f32":
        t = E("cast", "f32", [t])
    inner = [Stmt("var", ("acc", "sbuf f32[128, D]", lit(rng.choice([0.0, 1.0])))),
             Stmt("for", ("j", lit(0), upper, 128, [Stmt("assign", ("acc", "+=", term))])),
             Stmt("expr", (E("call", "store", [sl("r0", rows, (None, None)), name("acc")]),)),
             Stmt("let", ("t", t, None))]
    rows_pos = E("bin", "+", [E("iota", ((128, "D"), 0)), name("i")])
    cols_pos = E("iota", ((128, "D"), 1))
    masked = E("call", "select", [E("bin", rng.choice(["<=", "<", ">="]), [cols_pos, rows_pos]), name("t"),
                                  lit(rng.choice([0.0, -1.0e30]))])
    branches = [E("bin", "*", [name("t"), lit(2.0)]), masked,
                E("bin", "+", [name("t"), E("bin", "*", [E("cast", "f32", [name("i")]), lit(0.001)])]), name("t")]
    rng.shuffle(branches)

    def store(value):
        return Stmt("expr", (E("call", "store", [sl("r1", rows, (None, None)), value]),))
    otherwise = [store(branches[2])]
    if rng.random() < 0.5:
        otherwise = [Stmt("if", (affine_condition(rng, "i"), [store(branches[1])], [store(branches[2])]))]
    inner.append(Stmt("if", (affine_condition(rng, "i"), [store(branches[0])], otherwise)))
    positions = E("bin", "+", [E("bin", "*", [rows_pos, name("D")]), cols_pos])
    inner.append(Stmt("expr", (E("call", "store", [sl("r2", rows, (None, None)), positions]),)))
    results = [("r0", "f32", ("N", "D")), ("r1", "f32", ("N", "D")), ("r2", "i32", ("N", "D"))]
    if d >= 2:
        # Tile slices as values: columns 0..c as they are, then the rest in pieces of c (a loop whose variable is in
        # the slice bounds, unrolled) scaled, the last piece clipped at D.
        c = rng.randint(1, d - 1)
        pieces = (d - 1) // c + 1
        inner.append(Stmt("expr", (E("call", "store", [sl("r3", rows, (lit(0), lit(c))), E("slice", [(None, None), (lit(0), lit(c))], [name("t")])]),)))
        lo = E("bin", "*", [name("q"), lit(c)])
        hi = E("bin", "+", [lo, lit(c)])
        piece = E("slice", [(None, None), (lo, hi)], [name("t")])
        body = [Stmt("expr", (E("call", "store", [sl("r3", rows, (lo, hi)), E("bin", "*", [piece, lit(0.5)])]),))]
        inner.append(Stmt("for", ("q", lit(1), lit(pieces), 1, body)))
        results.append(("r3", "f32", ("N", "D")))
    loop = Stmt("for", ("i", lit(0), name("N"), 128, inner))
    return Function("kernel", "k", [("N", n), ("D", d)], params, results, [loop])


def windows(rng, target):
    """Windows of an sbuf `var` written in place (views of the buffer): a matmul whose N columns are split in windows
    of w, each accumulated over K tiles into its window of an f32 SBUF buffer (K blocking's SBUF accumulation), with
    the moving operand a slice of one loaded [128, N] tile (a view); and a row tile assembled from column windows
    by `=` (the first into a buffer declared without a fill, which takes a remainder block's rows) and `+=`."""
    m, k, d = rng_dim(rng), rng_dim(rng), rng_dim(rng)
    w, nw = rng.choice([16, 32, 64, 128]), rng.choice([1, 2, 3, 4])
    dtype = rng.choice(["bf16", "f32"])
    params = [Param("a_t", dtype, ("K", "M")), Param("b", dtype, ("K", "N")), Param("x", "f32", ("M", "D"))]
    rows = block("m", 128)
    lo = E("bin", "*", [name("j"), lit(w)])
    window = [(None, None), (lo, E("bin", "+", [lo, lit(w)]))]
    product = E("call", "copy", [E("call", "nc_matmul", [name("at"), E("slice", window, [name("bt")])])])
    k_loop = Stmt("for", ("kk", lit(0), name("K"), 128, [
        Stmt("let", ("at", E("call", "load", [sl("a_t", block("kk", 128), rows)]), None)),
        Stmt("let", ("bt", E("call", "load", [sl("b", block("kk", 128), (None, None))]), None)),
        Stmt("for", ("j", lit(0), lit(nw), 1, [Stmt("assign", (E("slice", window, [name("res")]), "+=", product))]))]))
    inner = [Stmt("var", ("res", "sbuf f32[128, N]", lit(rng.choice([0.0, 1.0])))), k_loop,
             Stmt("expr", (E("call", "store", [sl("c", rows, (None, None)), name("res")]),)),
             Stmt("let", ("xt", E("call", "load", [sl("x", rows, (None, None))]), None))]
    filled = rng.random() < 0.3
    inner.append(Stmt("var", ("y", "sbuf f32[128, D]", lit(0.5) if filled else None)))
    cut = rng.randint(1, d - 1) if d >= 2 else d
    first = E("slice", [(None, None), (lit(0), lit(cut))], [name("y")])
    inner.append(Stmt("assign", (first, "=", E("bin", "*", [E("slice", [(None, None), (lit(0), lit(cut))], [name("xt")]), lit(2.0)]))))
    if cut < d:
        rest = [(None, None), (lit(cut), name("D"))]
        inner.append(Stmt("assign", (E("slice", rest, [name("y")]), "=",
                                     E("call", "exp", [E("bin", "*", [E("slice", rest, [name("xt")]), lit(0.1)])]))))
    a = rng.randint(0, d - 1)
    b = rng.randint(a + 1, d)
    addend = lit(1.5) if rng.random() < 0.5 else E("slice", [(None, None), (lit(a), lit(b))], [name("xt")])
    inner.append(Stmt("assign", (E("slice", [(None, None), (lit(a), lit(b))], [name("y")]), "+=", addend)))
    inner.append(Stmt("expr", (E("call", "store", [sl("r", rows, (None, None)), name("y")]),)))
    loop = Stmt("for", ("m", lit(0), name("M"), 128, inner))
    results = [("c", "f32", ("M", "N")), ("r", "f32", ("M", "D"))]
    return Function("kernel", "k", [("M", m), ("K", k), ("N", w * nw), ("D", d)], params, results, [loop])


def statistics(rng, target):
    """The vector engine's statistics (`bn_stats` / `bn_aggr`): per row tile (rows past N clip), an elementwise tile
    expression cut into column chunks of at most 512, the last one narrower when D is not a multiple of the chunk;
    each chunk's bn_stats written into its window of a [128, 6 C] buffer, bn_aggr of the whole buffer (or of its
    first chunks), and optionally the row normalised by the mean and variance, or one chunk's raw statistics."""
    n, d = rng_dim(rng), rng_dim(rng)
    dtype = rng.choice(["f32", "f32", "bf16", "f16"])
    chunk = rng.choice([c for c in (1, 7, 64, 128, 256, 512) if -(-d // c) <= 8] or [512])
    chunks = -(-d // chunk)
    params = [Param("x", dtype, ("N", "D"))]
    rows = block("i", 128)
    inner = [Stmt("let", ("t", E("call", "load", [sl("x", rows, (None, None))]), None))]
    edtype = dtype
    if rng.random() < 0.5:
        edtype = rng.choice(["f32", dtype])
        value, _ = tile_expr(rng, [("t", dtype)], "D", edtype, rng.choice([1, 2]))
        inner.append(Stmt("let", ("e", value, None)))
    else:
        inner.append(Stmt("let", ("e", name("t"), None)))
    inner.append(Stmt("var", ("st", f"sbuf f32[128, {6 * chunks}]", None)))
    for c in range(chunks):
        columns = (lit(c * chunk), lit(min(d, (c + 1) * chunk)))
        window = E("slice", [(None, None), (lit(6 * c), lit(6 * c + 6))], [name("st")])
        inner.append(Stmt("assign", (window, "=", E("call", "bn_stats", [E("slice", [(None, None), columns], [name("e")])]))))
    used = chunks if rng.random() < 0.7 else rng.randint(1, chunks)
    whole = name("st") if used == chunks else E("slice", [(None, None), (lit(0), lit(6 * used))], [name("st")])
    inner.append(Stmt("let", ("mv", E("call", "bn_aggr", [whole]), None)))
    inner.append(Stmt("expr", (E("call", "store", [sl("r0", rows, (None, None)), name("mv")]),)))
    results = [("r0", "f32", ("N", 2))]
    extra = rng.choice(["normalise", "stats", "none"])
    if extra == "normalise":
        mean = E("slice", [(None, None), (lit(0), lit(1))], [name("mv")])
        var = E("slice", [(None, None), (lit(1), lit(2))], [name("mv")])
        source = name("e") if edtype == "f32" else E("cast", "f32", [name("e")])
        scale = E("call", "rsqrt", [E("bin", "+", [var, lit(1.0e-5)])])
        inner.append(Stmt("expr", (E("call", "store", [sl("r1", rows, (None, None)),
                                                        E("bin", "*", [E("bin", "-", [source, mean]), scale])]),)))
        results.append(("r1", "f32", ("N", "D")))
    elif extra == "stats":
        inner.append(Stmt("expr", (E("call", "store", [sl("r1", rows, (None, None)),
                                                        E("call", "bn_stats", [E("slice", [(None, None), (lit(0), lit(min(d, chunk)))], [name("e")])])]),)))
        results.append(("r1", "f32", ("N", 6)))
    loop = Stmt("for", ("i", lit(0), name("N"), 128, inner))
    return Function("kernel", "k", [("N", n), ("D", d)], params, results, [loop])


def generate_tile(rng, target, control_flow=False):
    """A tile-level kernel; `control_flow` (drawn by the campaign from a stream of its own) makes it `control`'s."""
    if control_flow:
        return Program([], control(rng, target), "tile", target)
    from .gen_tile_ops import gathers, masks, strided
    maker = rng.choices([rowwise, matmul, accumulate, activations, online, scans, windows, gathers, masks, strided, statistics],
                        [5, 4, 1, 2, 1, 2, 2, 2, 2, 2, 2])[0]
    return Program([], maker(rng, target), "tile", target)
