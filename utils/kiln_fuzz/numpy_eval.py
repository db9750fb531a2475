"""numpy_eval.py: an independent numpy evaluation of whole-tensor kernels, following Docs/numerics.md."""
import numpy as np

from .numerics import erf, random_tensor, store, wrap_i32

FLOATS = ("f32", "bf16", "f16", "f8e4m3", "f8e4m3fn", "f8e5m2")



def sequential_matmul(a, b):
    """a @ b with broadcast batch dims, as Docs/numerics.md ("Matmul accumulation order") says: each product rounded
    to f32 and added to the element's f32 running sum in order k = 0, 1, ... (numpy's float32 operations round to
    nearest even, one operation at a time)."""
    a32, b32 = np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32)
    shape = np.broadcast_shapes(a32.shape[:-2], b32.shape[:-2]) + (a32.shape[-2], b32.shape[-1])
    out = np.zeros(shape, dtype=np.float32)
    with np.errstate(all="ignore"):
        for k in range(a32.shape[-1]):
            out = out + a32[..., :, k:k + 1] * b32[..., k:k + 1, :]
    return out

def sequential_sum(a, axes):
    """A float sum as Docs/numerics.md ("Reduction order") says: in f32, one axis at a time (the last listed first),
    each output element's running sum starting at +0 and adding the elements in index order. numpy's float32
    `cumsum` is that loop; its last element is the sum (+0 added turns a -0 start into +0). Returns f64."""
    out = np.asarray(a, dtype=np.float32)
    with np.errstate(all="ignore"):
        for axis in sorted(set(axes), reverse=True):
            running = np.cumsum(out, axis=axis, dtype=np.float32)
            out = np.take(running, [-1], axis=axis) + np.float32(0)
    return out.astype(np.float64)


class V:
    """A value: f64 array (values exactly representable in `dtype`), its dtype, and whether it is a weak scalar."""
    __slots__ = ("a", "dtype", "weak")

    def __init__(self, a, dtype, weak=False):
        self.a, self.dtype, self.weak = np.asarray(a, np.float64), dtype, weak


def promote(*values):
    """Result dtype of an elementwise operation (language.md §6): tensors agree; weak scalars follow them."""
    strong = [v.dtype for v in values if not v.weak]
    if strong:
        return strong[0]
    return "i32" if all(v.dtype == "i32" for v in values) else "f32" if any(v.dtype != "bool" for v in values) else "bool"


UNARY = {
    "exp": np.exp, "log": np.log, "tanh": np.tanh, "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "relu": lambda x: np.where(np.isnan(x), x, np.where(x > 0, x, 0.0)),
    "gelu": lambda x: 0.5 * x * (1.0 + erf(x / np.sqrt(2.0))), "silu": lambda x: x / (1.0 + np.exp(-x)),
    "sqrt": np.sqrt, "rsqrt": lambda x: 1.0 / np.sqrt(x), "reciprocal": lambda x: 1.0 / x, "abs": np.abs,
    "square": lambda x: x * x,
    "sin": np.sin, "cos": np.cos, "erf": erf, "softplus": lambda x: np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x))),
    "exp2": np.exp2, "log1p": np.log1p, "floor": np.floor,
}


def dim_size(d, dims):
    """The size of a shape entry: an int, a dim name, or "k * name"."""
    if isinstance(d, int):
        return d
    if "*" in d:
        factor, dim = d.split("*")
        return int(factor) * dims[dim.strip()]
    return dims[d]


class Evaluator:
    def __init__(self, program, seed):
        self.program = program
        self.dims = program.dim_sizes()
        self.seed = seed
        self.helpers = {h.name: h for h in program.helpers}

    def inputs(self):
        env = {}
        for p in self.program.kernel.params:
            shape = tuple(self.dims[d] if isinstance(d, str) else d for d in p.shape)
            if p.shape == () and p.default is not None:
                value = store(p.default, p.dtype)
            else:
                value = random_tensor(self.seed, p.name, p.dtype, shape)
            env[p.name] = V(value, p.dtype, weak=p.shape == ())
        return env

    def run(self):
        """{result name: (values, dtype)} for the kernel (unnamed result: 'out')."""
        kernel = self.program.kernel
        values = self.block(kernel.body, self.inputs(), self.dims)
        return {(n or "out"): (v.a, d) for (n, d, _), v in zip(kernel.results, values)}

    def block(self, stmts, env, dims):
        env = dict(env)
        for s in stmts:
            if s.kind == "let":
                env[s.parts[0]] = self.eval(s.parts[1], env, dims)
            elif s.kind == "return":
                return [self.eval(e, env, dims) for e in s.parts[0]]
            else:
                raise ValueError(f"numpy evaluation of a '{s.kind}' statement")
        raise ValueError("no return")

    def eval(self, e, env, dims):
        op, v = e.op, e.val
        ev = lambda x: self.eval(x, env, dims)
        if op == "name":
            if v in env:
                return env[v]
            if v == "inf":
                return V(np.inf, "f32", True)
            return V(dims[v], "i32", True)
        if op == "int":
            return V(v, "i32", True)
        if op == "float":
            return V(store(v, "f32"), "f32", True)
        if op == "bool":
            return V(1.0 if v else 0.0, "bool", True)
        if op == "neg":
            x = ev(e.args[0])
            return V(wrap_i32(-x.a) if x.dtype == "i32" else -x.a, x.dtype, x.weak)
        if op == "not":
            x = ev(e.args[0])
            return V(1.0 - x.a, "bool", x.weak)
        if op == "cast":
            x = ev(e.args[0])
            return V(store(x.a, v), v, x.weak)
        if op == "T":
            x = ev(e.args[0])
            return V(np.swapaxes(x.a, -1, -2), x.dtype)   # `.T` swaps the last two dims
        if op == "bin":
            return self.binary(v, ev(e.args[0]), ev(e.args[1]))
        if op == "red":
            return self.reduce(v, ev(e.args[0]))
        if op == "call":
            return self.call(v, [ev(x) for x in e.args], dims)
        if op == "scan":
            return self.scan(v[0], [ev(x) for x in e.args])
        if op == "slice":   # a whole-tensor slice: constant and dim bounds, never clipped (language.md)
            x = ev(e.args[0])
            index = []
            for (lo, hi, *step), size in zip(v, x.a.shape):
                start = int(ev(lo).a) if lo is not None else 0
                end = int(ev(hi).a) if hi is not None else size
                stride = int(ev(step[0]).a) if step else 1
                # A strided item's end may pass the dim; the elements it reads may not (language.md).
                last = start + (-(-(end - start) // stride) - 1) * stride
                assert 0 <= start < end and last < size and (stride > 1 or end <= size), "in-bounds slices"
                index.append(slice(start, end, stride))
            return V(x.a[tuple(index)], x.dtype)
        if op == "concat":
            parts = [ev(x) for x in e.args]
            axis = 0 if v is None else v
            return V(np.concatenate([p.a for p in parts], axis=axis), parts[0].dtype)
        if op == "bto":
            x = ev(e.args[0])
            sizes = tuple(dims[d] if isinstance(d, str) else d for d in v)
            return V(np.broadcast_to(x.a, sizes).copy(), x.dtype)
        if op == "perm":   # NumPy's transpose(x, perm)
            x = ev(e.args[0])
            return V(np.transpose(x.a, [p % x.a.ndim for p in v]), x.dtype)
        if op == "reshape":   # NumPy's reshape of the row-major elements; entries may be "2 * D"
            x = ev(e.args[0])
            return V(np.reshape(x.a, tuple(dim_size(d, dims) for d in v)), x.dtype)
        if op == "iota":   # positions along one axis (language.md, `iota`)
            shape, axis = v
            sizes = tuple(dims[d] if isinstance(d, str) else d for d in shape)
            return V(np.indices(sizes)[axis].astype(np.float64), "i32")
        raise ValueError(op)

    def binary(self, op, x, y):
        weak = x.weak and y.weak
        a, b = x.a, y.a
        if op in ("&&", "||"):
            return V(np.logical_and(a, b) if op == "&&" else np.logical_or(a, b), "bool", weak)
        if op in ("<", "<=", ">", ">=", "==", "!="):
            f = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
                 "==": np.equal, "!=": np.not_equal}[op]
            return V(f(a, b), "bool", weak)
        if op == "@":
            return V(sequential_matmul(a, b).astype(np.float64), "f32")
        dtype = promote(x, y)
        with np.errstate(all="ignore"):
            if dtype == "i32":
                ia, ib = a.astype(np.int64), b.astype(np.int64)
                if op in ("/", "%"):
                    q = np.sign(ia) * np.sign(ib) * (np.abs(ia) // np.abs(ib))
                    r = q if op == "/" else ia - ib * q
                else:
                    r = {"+": ia + ib, "-": ia - ib, "*": ia * ib}[op]
                return V(wrap_i32(r), dtype, weak)
            r = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "%": np.fmod}[op](a, b)
        return V(store(r, dtype), dtype, weak)

    def reduce(self, spec, x):
        name, axis = spec
        if axis is None:
            axis = x.a.ndim - 1
        elif isinstance(axis, tuple):   # several axes: `axis: (0, -1)`
            axis = tuple(a % x.a.ndim for a in axis)
        else:
            axis = axis % x.a.ndim
        count = int(np.prod([x.a.shape[a] for a in (axis if isinstance(axis, tuple) else (axis,))]))
        if name in ("argmax", "argmin"):   # NumPy's rule is the language's: the first extreme, or the first NaN
            return V((np.argmax if name == "argmax" else np.argmin)(x.a, axis=axis, keepdims=True).astype(np.float64), "i32")
        axes = axis if isinstance(axis, tuple) else (axis,)
        with np.errstate(all="ignore"):
            if x.dtype == "i32" and name in ("sum", "mean"):
                r = np.sum(x.a, axis=axis, keepdims=True)
                if name == "mean":
                    r = np.trunc(r / count)
            elif name == "sum":
                r = sequential_sum(x.a, axes)
            elif name == "mean":
                r = sequential_sum(x.a, axes) / count   # one division of the f32 sum, rounded by `store`
            else:
                r = (np.max if name == "max" else np.min)(x.a, axis=axis, keepdims=True)
        if x.dtype == "i32" and name == "sum":
            return V(wrap_i32(r), "i32")
        return V(store(r, x.dtype), x.dtype)

    def scan(self, name, args):
        """cumsum / scan along the last axis (numerics.md): h = f32(f32(a * h) + b) from 0, operands in the
        result's dtype, each h stored to the dtype while the state stays f32."""
        if name == "cumsum":
            args = [V(1.0, "f32", True), args[0]]
        dtype = promote(*args)
        a, b = np.broadcast_arrays(store(args[0].a, dtype), store(args[1].a, dtype))
        a32, b32 = a.astype(np.float32), b.astype(np.float32)
        state = np.zeros(a.shape[:-1], np.float32)
        out = np.empty(a.shape, np.float64)
        with np.errstate(all="ignore"):
            for t in range(a.shape[-1]):
                state = (a32[..., t] * state).astype(np.float32) + b32[..., t]
                out[..., t] = store(state, dtype)
        return V(out, dtype)

    def call(self, f, args, dims):
        if f in UNARY:
            x = args[0]
            dtype = "f32" if x.dtype == "i32" and x.weak and f not in ("abs", "relu") else x.dtype
            with np.errstate(all="ignore"):
                if dtype == "i32":
                    r = np.minimum(np.abs(x.a), 2.0 ** 31 - 1) if f == "abs" else np.maximum(x.a, 0)
                    return V(r, dtype, x.weak)
                return V(store(UNARY[f](x.a), dtype), dtype, x.weak)
        if f in ("maximum", "minimum"):
            dtype = promote(*args)
            r = (np.maximum if f == "maximum" else np.minimum)(args[0].a, args[1].a)
            return V(store(r, dtype), dtype, args[0].weak and args[1].weak)
        if f == "pow":
            dtype = promote(*args)
            dtype = "f32" if dtype == "i32" else dtype
            with np.errstate(all="ignore"):
                r = np.power(args[0].a, args[1].a)
            return V(store(r, dtype), dtype, args[0].weak and args[1].weak)
        if f == "clamp":
            x, lo, hi = args
            dtype = promote(x, lo, hi)
            r = np.minimum(np.maximum(x.a, lo.a), hi.a)
            return V(store(r, dtype), dtype, x.weak and lo.weak and hi.weak)
        if f in ("select", "where"):
            c, a, b = args
            dtype = promote(a, b)
            return V(store(np.where(c.a != 0, a.a, b.a), dtype), dtype, c.weak and a.weak and b.weak)
        if f == "matmul":
            return self.binary("@", *args)
        if f in ("bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift"):
            x, y = (a.a.astype(np.int64).astype(np.int32) for a in args)   # values are exact i32
            with np.errstate(all="ignore"):
                if f == "left_shift":
                    r = np.left_shift(x, y & 31)
                elif f == "right_shift":
                    r = np.right_shift(x, y & 31)
                else:
                    r = {"bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or, "bitwise_xor": np.bitwise_xor}[f](x, y)
            return V(r.astype(np.float64), "i32", args[0].weak and args[1].weak)
        if f == "gather":   # NumPy's take along axis 0; the generator keeps every index in range
            table, indices = args
            return V(np.take(table.a, indices.a.astype(np.int64), axis=0), table.dtype)
        if f == "scatter_add":   # row by row in index order: an f32 add, rounded to the table's dtype (language.md)
            table, indices, values = args
            out = table.a.copy()
            rows = values.a.reshape(-1, out.shape[1])
            for n, row in enumerate(indices.a.reshape(-1).astype(np.int64)):
                with np.errstate(all="ignore"):
                    total = out[row].astype(np.float32) + rows[n].astype(np.float32)
                out[row] = store(total.astype(np.float64), table.dtype)
            return V(out, table.dtype)
        if f in ("topk", "argtopk"):   # a stable sort, larger first, NaN first of all (TopKOrder in KilnMachine)
            x, k = args[0], int(args[1].a)
            order = np.lexsort((-x.a, ~np.isnan(x.a)), axis=-1)[..., :k]
            if f == "argtopk":
                return V(order.astype(np.float64), "i32")
            return V(np.take_along_axis(x.a, order, axis=-1), x.dtype)
        if f == "transpose":
            return V(args[0].a.T, args[0].dtype)
        helper = self.helpers[f]
        env = {p.name: a for p, a in zip(helper.params, args)}
        local = dict(dims)
        for p, a in zip(helper.params, args):
            for d, size in zip(p.shape, a.a.shape):
                if isinstance(d, str):
                    local[d] = size
        return self.block(helper.body, env, local)[0]
