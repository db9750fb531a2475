"""gen_generic.py: dtype-generic programs: a kernel over `T: float` (bound by --dtype or a default), generic helpers."""
import copy
import re

from .program import FLOATS, stmt_exprs, walk

KERNEL_PARAM, HELPER_PARAM = "T", "U"


def make_generic(program, rng):
    """Marks `program` (in place) to be rendered generic: its kernel over `T: float` standing for the dtype of its
    first float tensor parameter, bound by `--dtype T=...` or by a default in the `<...>` list (`mode`), and each
    helper over `U: float` with a chance of one half (its calls infer U). The program itself keeps its concrete
    dtypes, so evaluation and reduction see the same program; `render` writes the generic text, which each
    binding specialises back to exactly the concrete one. Returns whether the program became generic."""
    dtype = next((p.dtype for p in program.kernel.params if p.shape and p.dtype in FLOATS), None)
    if dtype is None:
        return False
    mode = rng.choice(["flag", "flag", "default"])
    helpers = {h.name: h.results[0][1] for h in program.helpers if h.results[0][1] in FLOATS and rng.random() < 0.5}
    program.generic = {"dtype": dtype, "mode": mode, "helpers": helpers}
    return True


def dtype_flags(program):
    """The `--dtype` flags a generic program is compiled with."""
    generic = program.generic
    if not generic or generic["mode"] != "flag":
        return []
    return ["--dtype", f"{KERNEL_PARAM}={generic['dtype']}"]


def generic_function(fn, dtype, param, default=None):
    """A copy of `fn` generic over `param`: every written `dtype` (parameter and result types of tensors, casts,
    `let`/`var` annotations) becomes `param`, which its `<...>` list declares first (`T: float` or `= default`)."""
    fn = copy.deepcopy(fn)
    for p in fn.params:
        if p.dtype == dtype and (p.shape or fn.keyword == "kernel"):
            p.dtype = param
    fn.results = [(n, param if d == dtype else d, s) for n, d, s in fn.results]
    word = re.compile(rf"\b{re.escape(dtype)}\b")

    def rewrite(stmts):
        for s in stmts:
            for e in stmt_exprs(s):
                for node in walk(e):
                    if node.op == "cast" and node.val == dtype:
                        node.val = param
            if s.kind == "let" and s.parts[2]:
                s.parts = (s.parts[0], s.parts[1], word.sub(param, s.parts[2]))
            elif s.kind == "var":
                s.parts = (s.parts[0], word.sub(param, s.parts[1]), s.parts[2])
            elif s.kind == "for":
                rewrite(s.parts[4])
            elif s.kind == "if":
                rewrite(s.parts[1])
                rewrite(s.parts[2] or [])
    rewrite(fn.body)
    fn.dtype_params = [(param, "float", default)]
    return fn


def render_generic(program):
    """The text of a program marked by `make_generic`."""
    generic = program.generic
    default = generic["dtype"] if generic["mode"] == "default" else None
    helpers = [generic_function(h, generic["helpers"][h.name], HELPER_PARAM) if h.name in generic["helpers"] else h
               for h in program.helpers]
    kernel = generic_function(program.kernel, generic["dtype"], KERNEL_PARAM, default)
    return [h.render() for h in helpers] + [kernel.render()]
