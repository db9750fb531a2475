"""gen_mx.py: random MX (block-scaled) tile kernels for trn3: quantize_mx / scale_mx on the fly, nc_matmul_mx over K."""
from .gen_tile import block, rng_dim, sl
from .program import E, Function, Param, Program, Stmt, lit, name

MX_ELEMENTS = ["f8e4m3fn", "f8e5m2", "f4e2m1fn"]
# Contraction sizes at the block edges: one block, a slab, a slab and a block, several slabs and a partial one.
K_BLOCKS = [1, 2, 3, 4, 5, 8, 9, 12, 16]


def generate_mx(rng):
    """out[M, N] = (a quantized)[M, K] @ (bt quantized)[N, K]^T on trn3, K = 32 KB: per 128 x 128 output tile, K in
    slabs of 128 (4 blocks; the last slab holds what is left, down to one block), each slab's rows of a and bt loaded,
    quantized to an MX element type (each operand its own: MXFP8 and MXFP4 may meet), the elements and the scales
    transposed on the tensor engine (K onto the partitions), and accumulated by nc_matmul_mx into PSUM. M and N are
    any size (remainder tiles); sometimes the quantized elements or scales are stored too."""
    kb, m, n = rng.choice(K_BLOCKS), rng_dim(rng), rng_dim(rng)
    dtype = rng.choice(["bf16", "bf16", "f32", "f16"])
    ea, eb = rng.choice(MX_ELEMENTS), rng.choice(MX_ELEMENTS)
    out_dtype = rng.choice(["f32", "f32", "bf16"])
    params = [Param("a", dtype, ("M", "32 * KB")), Param("bt", dtype, ("N", "32 * KB"))]
    k_rows = (E("bin", "*", [lit(32), name("kb")]), E("bin", "+", [E("bin", "*", [lit(32), name("kb")]), lit(128)]))
    body = [
        Stmt("let", ("ta", E("call", "load", [sl("a", block("m", 128), k_rows)]), None)),
        Stmt("let", ("tb", E("call", "load", [sl("bt", block("n", 128), k_rows)]), None)),
    ]
    for tile, element, q, s in (("ta", ea, "qa", "sa"), ("tb", eb, "qb", "sb")):
        body.append(Stmt("let", (q, E("call", "copy", [E("call", "nc_transpose", [E("call", "quantize_mx", [name(tile), name(element)])])]), None)))
        body.append(Stmt("let", (s, E("call", "copy", [E("call", "nc_transpose", [E("call", "scale_mx", [name(tile), name(element)])])]), None)))
    body.append(Stmt("assign", ("acc", "+=", E("call", "nc_matmul_mx", [name("qa"), name("qb"), name("sa"), name("sb")]))))
    result = name("r") if out_dtype == "f32" else E("cast", out_dtype, [name("r")])
    inner = [Stmt("var", ("acc", "psum f32[128, 128]", lit(0.0))),
             Stmt("for", ("kb", lit(0), name("KB"), 4, body)),
             Stmt("let", ("r", E("call", "copy", [name("acc")]), None)),
             Stmt("expr", (E("call", "store", [sl("out", block("m", 128), block("n", 128)), result]),))]
    results = [(None, out_dtype, ("M", "N"))]
    outer = [Stmt("for", ("n", lit(0), name("N"), 128, inner))]
    if rng.random() < 0.4:
        # The quantized rows of a (the first K slab) and their scales as outputs too.
        first = sl("a", block("m", 128), (lit(0), lit(32 * min(kb, 4))))
        outer += [Stmt("let", ("t0", E("call", "load", [first]), None)),
                  Stmt("expr", (E("call", "store", [sl("q0", block("m", 128), (None, None)),
                                                    E("call", "quantize_mx", [name("t0"), name(ea)])]),)),
                  Stmt("expr", (E("call", "store", [sl("s0", block("m", 128), (None, None)),
                                                    E("call", "scale_mx", [name("t0"), name(ea)])]),))]
        results = [("out", out_dtype, ("M", "N")), ("q0", ea, ("M", 32 * min(kb, 4))), ("s0", "f32", ("M", min(kb, 4)))]
    loop = Stmt("for", ("m", lit(0), name("M"), 128, outer))
    kernel = Function("kernel", "k", [("KB", kb), ("M", m), ("N", n)], params, results, [loop])
    return Program([], kernel, "tile", "trn3")
