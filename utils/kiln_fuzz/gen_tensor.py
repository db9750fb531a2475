"""gen_tensor.py: random well-typed whole-tensor Kiln kernels (elementwise, broadcasting, reductions, matmul, casts,
transposes with a perm and reshapes),
of rank 1 to 4: a kernel may have batch dims (B, H) in front of its matrix dims."""
import itertools

from .gen_layout import LayoutMakers
from .gen_select import SelectMakers
from .program import DTYPES, FLOATS, NUMERIC, E, Function, Param, Program, Stmt, lit, name

DIM_SIZES = [1, 7, 64, 128, 129, 300, 513]
DIM_WEIGHTS = [2, 4, 2, 3, 3, 2, 1]
# Batch dims (the dims before the last two of a rank-3/4 tensor) stay small: each multiplies the work.
BATCH_SIZES = [1, 2, 3]
BATCH_WEIGHTS = [1, 3, 2]
UNARY_FLOAT = ["exp", "log", "tanh", "sigmoid", "relu", "gelu", "silu", "sqrt", "rsqrt", "reciprocal", "abs", "square"]
# The math builtins of the real-kernels issue: trigonometry (RoPE), erf/softplus (activations), exp2, log1p, floor.
UNARY_MORE = ["sin", "cos", "erf", "softplus", "exp2", "log1p", "floor"]
REDUCTIONS = ["sum", "max", "min", "mean"]


def broadcast(a, b):
    """NumPy broadcasting of two shapes (tuples of dim names / ints); None if they do not broadcast."""
    out = []
    for x, y in itertools.zip_longest(reversed(a), reversed(b), fillvalue=1):
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            return None
    return tuple(reversed(out))


def sub_shapes(shape):
    """Shapes that broadcast into `shape`: each dim kept or 1, leading dims dropped, and the scalar."""
    options = set()
    for rank in range(0, len(shape) + 1):
        tail = shape[len(shape) - rank:]
        for mask in itertools.product([0, 1], repeat=rank):
            options.add(tuple(d if keep else 1 for d, keep in zip(tail, mask)))
    return sorted(options, key=lambda s: (len(s), str(s)))


class TensorGen(LayoutMakers, SelectMakers):
    """Builds one kernel body. Values are typed (dtype, shape); leaves are parameters (created on demand),
    earlier `let`s, literals, scalar parameters and dims used as values."""

    def __init__(self, rng, dims, helpers=(), max_params=6, fresh_params=True, prefix="p", allowed=None, batch=()):
        self.rng = rng
        self.dims = dims                   # [(name, size)]
        self.batch = list(batch)           # [(name, size)]: batch dims of rank-3/4 values
        self.params = []
        self.lets = []                     # [(name, dtype, shape)]
        self.helpers = list(helpers)       # [(Function, dtype)]
        self.max_params = max_params
        self.fresh_params = fresh_params
        self.prefix = prefix
        self.counter = itertools.count()
        self.allowed = allowed             # None: every shape (parameters are made on demand)
        self.tiles = False                 # tile operands: no transpose (a whole-tensor operation)

    def ok(self, shape):
        return self.allowed is None or shape == () or shape in self.allowed

    def can_reduce_into(self, shape):
        return any(self.ok(tuple(n if i == a else d for i, d in enumerate(shape)))
                   for a, d in enumerate(shape) if d == 1 for n, _ in self.dims)

    # ---- leaves
    def param(self, dtype, shape, default=None):
        matches = [p for p in self.params if p.dtype == dtype and p.shape == shape]
        if matches and (not self.fresh_params or len(self.params) >= self.max_params or self.rng.random() < 0.7):
            return name(self.rng.choice(matches).name)
        same_shape = [p for p in self.params if p.shape == shape and p.dtype != "bool" and dtype != "bool"]
        if not self.fresh_params or (len(self.params) >= self.max_params and same_shape):
            return E("cast", dtype, [name(self.rng.choice(same_shape).name)]) if same_shape else None
        p = Param(f"{self.prefix}{len(self.params)}", dtype, shape, default)
        self.params.append(p)
        return name(p.name)

    def scalar(self, dtype):
        """A weak scalar usable beside a tensor of `dtype`."""
        r = self.rng.random()
        if dtype == "i32":
            if r < 0.6:
                return lit(self.rng.choice([0, 1, 2, 3, 5, -4]))
            if r < 0.8:
                return name(self.rng.choice(self.dims)[0])
            return self.param("i32", (), default=self.rng.choice([None, 2, -3])) or lit(2)
        if r < 0.04:
            return name("inf") if self.rng.random() < 0.5 else E("neg", None, [name("inf")])   # masks: `-inf`
        if r < 0.6:
            return lit(self.rng.choice([0.5, 2.0, -1.5, 0.25, 3.0, 1e-3, 0.99505, 0.044715, 1.0, 0.0]))
        if r < 0.75:
            p = self.param(self.rng.choice(["f32", "f32", "bf16"]), (), default=self.rng.choice([None, 0.5, 0.99505, -2.0]))
            return p or lit(0.5)
        if r < 0.85:
            return E("cast", "f32", [name(self.rng.choice(self.dims)[0])])
        return name(self.rng.choice(self.dims)[0])

    def leaf(self, dtype, shape):
        if dtype == "i32" and shape != () and not self.tiles and self.rng.random() < 0.2:
            return self.iota(shape)
        if shape == ():
            if dtype == "bool":
                return E("bool", self.rng.random() < 0.5)
            return self.scalar(dtype) if dtype in ("f32", "i32") else E("cast", dtype, [self.scalar("f32")])
        lets = [n for n, d, s in self.lets if d == dtype and s == shape]
        if lets and self.rng.random() < 0.5:
            return name(self.rng.choice(lets))
        p = self.param(dtype, shape)
        if p is not None:
            return p
        if lets:
            return name(self.rng.choice(lets))
        return self.derive(dtype, shape)

    def iota(self, shape):
        """`iota(shape, axis: k)`: positions along one of the last two axes (the checker's rule for rank 3/4)."""
        axis = self.rng.choice(range(max(0, len(shape) - 2), len(shape)))
        if self.rng.random() < 0.3:
            axis -= len(shape)   # negative, from the end
        return E("iota", (tuple(shape), axis))

    def derive(self, dtype, shape):
        """A value of `shape` built from the first (rank-2) parameter, for helpers, which cannot add parameters."""
        base = next((p for p in self.params if p.shape == shape), self.params[0])
        value = name(base.name) if base.dtype == dtype else E("cast", dtype, [name(base.name)])
        if dtype == "bool":
            value = E("bin", ">", [name(base.name), lit(0.0)])
        if shape == base.shape:
            return value
        r, c = base.shape
        if shape == (c, r):
            return E("T", None, [value])
        if value.op == "bin":
            value = E("cast", "f32", [value])
        want = list(shape)
        if want[0] not in (r, 1) or want[1] not in (c, 1):
            value = E("T", None, [value])
            r, c = c, r
        if want[0] == 1:
            value = E("red", ("max", 0), [value])
        if want[1] == 1:
            value = E("red", ("max", 1), [value])
        return E("cast", dtype, [value]) if dtype == "bool" else value

    # ---- expressions
    def expr(self, dtype, shape, depth):
        if depth <= 0 or self.rng.random() < 0.2 or (shape == () and dtype not in ("f32", "i32")):
            return self.leaf(dtype, shape)
        makers = [self.binary, self.binary, self.cast, self.select]
        if dtype in FLOATS:
            makers += [self.unary, self.unary, self.minmax]
        if dtype == "i32":
            makers += [self.unary_int, self.minmax, self.bitwise]
        if dtype == "bool":
            makers = [self.compare, self.compare, self.logic, self.select]
        if dtype in NUMERIC and (1 in shape or shape == (1,)) and self.can_reduce_into(shape):
            makers += [self.reduction, self.reduction]
        if len(shape) >= 2 and dtype in FLOATS and self.allowed is None:
            makers += [self.matmul, self.transpose]
        elif len(shape) == 2 and dtype != "bool" and self.ok((shape[1], shape[0])) and not self.tiles:
            makers += [self.transpose]
        if len(shape) >= 2 and dtype in FLOATS and not self.tiles:
            makers += [self.scan]
        if shape != () and not self.tiles and self.allowed is None:
            makers += [self.slice_of, self.concat, self.strided]
            if shape[-1] == 1 and (dtype in FLOATS or dtype == "i32"):
                makers += [self.topk]
            if len(shape) == 2 and dtype in FLOATS:
                makers += [self.scatter_add]
            if 2 <= len(shape) <= 4:
                makers += [self.gather]
            if dtype != "bool" or self.rng.random() < 0.3:
                makers += [self.broadcast_to]
            if self.rng.random() < 0.5:
                makers += [self.permute, self.reshape]
        if len(shape) == 2 and any(d == dtype for _, d in self.helpers):
            makers += [self.call_helper]
        return self.rng.choice(makers)(dtype, shape, depth - 1)

    def operand_shapes(self, shape, count):
        """`count` shapes from sub_shapes(shape) whose broadcast is `shape` (the first often the full one)."""
        subs = [s for s in sub_shapes(shape) if self.ok(s)]
        for _ in range(20):
            picks = [shape if self.rng.random() < 0.5 else self.rng.choice(subs) for _ in range(count)]
            out = picks[0]
            for s in picks[1:]:
                out = broadcast(out, s)
            if out == shape:
                return picks
        return [shape] * count

    def binary(self, dtype, shape, depth):
        if dtype == "bool":
            return self.logic(dtype, shape, depth)
        op = self.rng.choice(["+", "-", "*", "/", "+", "*", "%"] if self.rng.random() < 0.9 else ["%"])
        ls, rs = self.operand_shapes(shape, 2)
        left, right = self.expr(dtype, ls, depth), self.expr(dtype, rs, depth)
        if op in ("/", "%"):
            right = self.guard_divisor(dtype, right)
        return E("bin", op, [left, right])

    def guard_divisor(self, dtype, e):
        one = lit(1) if dtype == "i32" else lit(1.0)
        return E("bin", "+", [E("call", "abs", [e]), one])

    def unary(self, dtype, shape, depth):
        f = self.rng.choice(UNARY_FLOAT + ["neg"] if self.rng.random() < 0.75 else UNARY_MORE)
        if f == "floor":
            # floor jumps at integers: its argument is an input (times an exact power of two), so every
            # executor floors the same value (a computed argument differs by an ulp between executors).
            p = self.param(dtype, shape)
            if p is None:
                f = "sin"
            else:
                return E("call", "floor", [E("bin", "*", [p, lit(4.0)]) if self.rng.random() < 0.5 else p])
        x = self.expr(dtype, shape, depth)
        if f == "neg":
            return E("neg", None, [x])
        if f == "log1p":
            x = E("call", "abs", [x])
        if f == "exp2":
            # 2^x stays finite up to x = 128, where it turns an ulp of x (a matmul's accumulation order) into
            # ~90 ulps of the result: the argument is bounded so a difference the tolerances allow stays allowed.
            x = E("call", "clamp", [x, lit(-16.0), lit(16.0)])
        if f in ("log", "rsqrt", "reciprocal"):
            x = E("bin", "+", [E("call", "abs", [x]), lit(1.0)])
        elif f == "sqrt":
            x = E("call", "abs", [x])
        return E("call", f, [x])

    def unary_int(self, dtype, shape, depth):
        f = self.rng.choice(["abs", "relu", "neg"])
        x = self.expr(dtype, shape, depth)
        return E("neg", None, [x]) if f == "neg" else E("call", f, [x])

    def bitwise(self, dtype, shape, depth):
        """`bitwise_and/or/xor(a, b)` of i32 operands, or a shift by `abs(n) % 32` bits (kept in 0 ..< 32)."""
        ls, rs = self.operand_shapes(shape, 2)
        a, b = self.expr("i32", ls, depth), self.expr("i32", rs, depth)
        f = self.rng.choice(["bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift"])
        if f.endswith("shift") and self.rng.random() < 0.3:
            # A literal shift: the shifted operand carries the whole shape.
            return E("call", f, [self.expr("i32", shape, depth), lit(self.rng.choice([0, 1, 3, 31]))])
        if f.endswith("shift"):
            b = E("bin", "%", [E("call", "abs", [b]), lit(32)])
        return E("call", f, [a, b])

    def scan(self, dtype, shape, depth):
        """`cumsum(x)` or `scan(a, b)` along the last axis; a decay factor in [0, 1] keeps the recurrence bounded."""
        axis = self.rng.choice([None, -1, len(shape) - 1])
        if self.rng.random() < 0.4:
            args = [self.expr(dtype, shape, depth)]
            f = "cumsum"
        else:
            a_shape, b_shape = self.operand_shapes(shape, 2)
            decay = E("call", self.rng.choice(["sigmoid", "exp"]), [self.expr(dtype, a_shape, depth)])
            if decay.args[0] and decay.val == "exp":
                decay = E("call", "exp", [E("neg", None, [E("call", "abs", [decay.args[0]])])])
            args, f = [decay, self.expr(dtype, b_shape, depth)], "scan"
        return E("scan", (f, axis), args)

    def minmax(self, dtype, shape, depth):
        r = self.rng.random()
        if r < 0.15:
            # clamp(x, lo, hi): the bounds broadcast like the operands of a binary operator.
            xs, los, his = self.operand_shapes(shape, 3)
            return E("call", "clamp", [self.expr(dtype, xs, depth), self.expr(dtype, los, depth), self.expr(dtype, his, depth)])
        if r < 0.25 and dtype in FLOATS:
            # pow(|a| + 1, clamp(b, -3, 3)): a positive base and a bounded exponent keep results finite.
            bs, es = self.operand_shapes(shape, 2)
            base = E("bin", "+", [E("call", "abs", [self.expr(dtype, bs, depth)]), lit(1.0)])
            exponent = E("call", "clamp", [self.expr(dtype, es, depth), lit(-3.0), lit(3.0)])
            return E("call", "pow", [base, exponent])
        ls, rs = self.operand_shapes(shape, 2)
        return E("call", self.rng.choice(["maximum", "minimum"]), [self.expr(dtype, ls, depth), self.expr(dtype, rs, depth)])

    def select(self, dtype, shape, depth):
        cs, ls, rs = self.operand_shapes(shape, 3)
        if shape == ():
            return self.leaf(dtype, shape)
        branches = [self.expr(dtype, ls, depth), self.expr(dtype, rs, depth)]
        if dtype != "i32" and ls == () and rs == ():
            # Two scalar branches give select their dtype: a bare dim (an i32 value) is converted to `dtype`.
            dims = {d for d, _ in self.dims}
            branches = [E("cast", dtype, [b]) if b.op == "name" and b.val in dims else b for b in branches]
        return E("call", self.rng.choice(["select", "select", "where"]), [self.expr("bool", cs, depth)] + branches)

    def cast(self, dtype, shape, depth):
        if dtype in FLOATS and self.rng.random() < 0.1:
            # A round trip through MXFP4's element, f4e2m1fn (a storage dtype only: no arithmetic is generated on
            # it, and the tensor engine has no plain fp4 matmul, K2180): `(x as f4e2m1fn) as dtype`.
            source = self.rng.choice(FLOATS)
            return E("cast", dtype, [E("cast", "f4e2m1fn", [self.expr(source, shape, depth)])])
        source = self.rng.choice([d for d in DTYPES if d != dtype])
        return E("cast", dtype, [self.expr(source, shape, depth)])

    def compare(self, dtype, shape, depth):
        ls, rs = self.operand_shapes(shape, 2)
        if ls == () and rs == ():
            return self.leaf("bool", shape)
        operand = self.rng.choice(NUMERIC)
        op = self.rng.choice(["<", "<=", ">", ">=", "==", "!="] if operand == "i32" else ["<", "<=", ">", ">="])
        return E("bin", op, [self.expr(operand, ls, depth), self.expr(operand, rs, depth)])

    def logic(self, dtype, shape, depth):
        if self.rng.random() < 0.25:
            return E("not", None, [self.expr("bool", shape, depth)])
        ls, rs = self.operand_shapes(shape, 2)
        return E("bin", self.rng.choice(["&&", "||"]), [self.expr("bool", ls, depth), self.expr("bool", rs, depth)])

    def reduction(self, dtype, shape, depth):
        sizes = [n for n, _ in self.dims] + ([1] if self.allowed is None else [])
        # A batch axis reduces a batch dim (small), never a matrix dim.
        batch_sizes = [n for n, _ in self.batch] + [1]
        # Over a batch axis (rank 3/4, one before the last two): float, or i32 without mean (the checker's rule).
        batch_ok = dtype in FLOATS or dtype == "i32"
        options = [(a, n) for a, d in enumerate(shape) if d == 1 and (a >= len(shape) - 2 or batch_ok)
                   for n in (sizes if a >= len(shape) - 2 else batch_sizes)
                   if self.ok(tuple(n if i == a else x for i, x in enumerate(shape)))]
        if not options:
            return self.leaf(dtype, shape)
        axis, size = self.rng.choice(options)
        picks = [(axis, size)]
        others = [(a, n) for a, n in options if a != axis]
        if others and not self.tiles and self.allowed is None and self.rng.random() < 0.3:
            picks.append(self.rng.choice(others))   # several axes at once: `axis: (a, b)`
        source = tuple(next((n for a, n in picks if a == i), x) for i, x in enumerate(shape))
        on_batch = any(a < len(shape) - 2 for a, _ in picks)
        f = self.rng.choice(REDUCTIONS if not on_batch or dtype != "i32" else ["sum", "max", "min"])
        labels = [self.rng.choice([a, a - len(shape)]) for a, _ in picks]
        if len(picks) > 1:
            return E("red", (f, tuple(labels)), [self.expr(dtype, source, depth)])
        label = self.rng.choice([axis, axis - len(shape)] + ([None] if axis == len(shape) - 1 else []))
        if dtype == "i32" and not on_batch and not self.tiles and self.rng.random() < 0.7:
            # argmax / argmin of any numeric operand: the index of the first extreme element (or first NaN).
            operand = self.rng.choice(NUMERIC)
            return E("red", (self.rng.choice(["argmax", "argmin"]), label), [self.expr(operand, source, depth)])
        return E("red", (f, label), [self.expr(dtype, source, depth)])

    def size(self, dim):
        """The bound size of a shape entry (a dim name or an int)."""
        return dim if isinstance(dim, int) else dict(self.dims + self.batch)[dim]

    def bound(self, start, extent):
        """The slice item `start : start + extent` (extent a dim name or an int) as (lo, hi) expressions."""
        if isinstance(extent, int):
            hi = lit(start + extent)
        else:
            hi = name(extent) if start == 0 else E("bin", "+", [lit(start), name(extent)])
        return (lit(start) if start or self.rng.random() < 0.3 else None, hi)

    def slice_of(self, dtype, shape, depth):
        """`x[..., lo : lo + d, ...]`: a block of a bigger value, on one or two axes (a source dim at least as big)."""
        axes = self.rng.sample(range(len(shape)), min(len(shape), self.rng.choice([1, 1, 2])))
        source, items = list(shape), [(None, None)] * len(shape)
        for axis in axes:
            names = [n for n, _ in (self.batch if axis < len(shape) - 2 else self.dims)]
            bigger = [n for n in names if self.size(n) >= self.size(shape[axis])]
            if not bigger:
                continue
            strictly = [n for n in bigger if self.size(n) > self.size(shape[axis])]
            source[axis] = self.rng.choice(strictly if strictly and self.rng.random() < 0.8 else bigger)
            room = self.size(source[axis]) - self.size(shape[axis])
            items[axis] = self.bound(self.rng.choice([0, room, self.rng.randint(0, room)]), shape[axis])
        if all(item == (None, None) for item in items):
            return self.expr(dtype, shape, depth)
        return E("slice", items, [self.expr(dtype, tuple(source), depth)])

    def concat(self, dtype, shape, depth):
        """`concat(a[.., 0 : k], b[.., k : X], ...)`: pieces of full-size values joined back along an axis (the
        RoPE rotate-half pattern when the pieces swap places)."""
        axes = [a for a, d in enumerate(shape) if isinstance(d, str) and self.size(d) >= 2]
        if not axes:
            return self.leaf(dtype, shape)
        axis = self.rng.choice(axes)
        extent = self.size(shape[axis])
        cuts = sorted(self.rng.sample(range(1, extent), min(extent - 1, self.rng.choice([1, 1, 2]))))
        bounds = list(zip([0] + cuts, cuts + [extent]))
        if self.rng.random() < 0.3:
            bounds.reverse()   # a roll: the later block first
        parts = []
        for lo, hi in bounds:
            items = [(None, None)] * len(shape)
            end = name(shape[axis]) if hi == extent else lit(hi)
            items[axis] = (lit(lo) if lo else None, end)
            parts.append(E("slice", items, [self.expr(dtype, shape, depth)]))
        # Joined pieces must give `shape`: swapped pieces still add up to the whole axis.
        label = self.rng.choice([axis, axis - len(shape)] + ([None] if axis == 0 else []))
        return E("concat", label, parts)

    def gather(self, dtype, shape, depth):
        """`gather(table, indices)`: a `[V, shape[-1]]` table (V a dim) and i32 indices of `shape[:-1]`, kept in range
        as `abs(i) % V` (or `clamp(i, 0, V - 1)`), so every index reads a row."""
        rows = self.rng.choice([n for n, _ in self.dims])
        indices = self.expr("i32", tuple(shape[:-1]), depth)
        if self.rng.random() < 0.5:
            indices = E("bin", "%", [E("call", "abs", [indices]), name(rows)])
        else:
            indices = E("call", "clamp", [indices, lit(0), E("bin", "-", [name(rows), lit(1)])])
        # An expression of a size-1 shape may be a scalar (it broadcasts); the indices must be a tensor.
        if all(d == 1 for d in shape[:-1]):
            indices = E("bto", tuple(shape[:-1]), [indices])
        return E("call", "gather", [self.expr(dtype, (rows, shape[-1]), depth), indices])

    def broadcast_to(self, dtype, shape, depth):
        """`broadcast_to(x, shape)` of a shape that broadcasts into it (NumPy's rule)."""
        sub = self.rng.choice([s for s in sub_shapes(shape) if s != ()] or [shape])
        return E("bto", tuple(shape), [self.expr(dtype, sub, depth)])

    def matmul(self, dtype, shape, depth):
        inner = self.rng.choice([n for n, _ in self.dims])
        operand = self.rng.choice(FLOATS) if self.rng.random() < 0.5 else "f32" if dtype == "f32" else dtype
        # Batch dims broadcast like NumPy's matmul: each operand keeps a batch dim, has it as 1, or drops it.
        batch = shape[:-2]
        batch_a, batch_b = self.operand_shapes(batch, 2) if batch else ((), ())
        a = self.expr(operand, tuple(batch_a) + (shape[-2], inner), depth)
        b = self.expr(operand, tuple(batch_b) + (inner, shape[-1]), depth)
        product = E("bin", "@", [a, b]) if self.rng.random() < 0.8 else E("call", "matmul", [a, b])
        return product if dtype == "f32" else E("cast", dtype, [product])

    def transpose(self, dtype, shape, depth):
        return E("T", None, [self.expr(dtype, tuple(shape[:-2]) + (shape[-1], shape[-2]), depth)])

    def call_helper(self, dtype, shape, depth):
        helper = self.rng.choice([h for h, d in self.helpers if d == dtype])
        args = []
        for p in helper.params:
            if p.shape == ():
                args.append(self.scalar("f32"))
            else:
                mapped = tuple(shape[0] if d == "R" else shape[1] if d == "C" else d for d in p.shape)
                args.append(self.expr(p.dtype, mapped, depth))
        return E("call", helper.name, args)

    # ---- statements
    def body(self, results, lets, depth):
        stmts = []
        shapes = [s for s in self.shapes() if self.ok(s)]
        for _ in range(lets):
            dtype, shape = self.rng.choice(DTYPES + ["f32", "f32", "bf16"]), self.rng.choice(shapes)
            n = f"v{next(self.counter)}"
            stmts.append(Stmt("let", (n, self.expr(dtype, shape, depth), None)))
            self.lets.append((n, dtype, shape))
        values = [self.expr(d, s, depth) for _, d, s in results]
        return stmts + [Stmt("return", (values,))]

    def shapes(self):
        names = [n for n, _ in self.dims]
        full = [(a, b) for a in names for b in names]
        matrices = full * 3 + [(a, 1) for a in names] + [(1, b) for b in names] + [(b,) for b in names] + [(1,), (1, 1)]
        if not self.batch:
            return matrices
        # Rank 3/4: the batch dims (each possibly 1) in front of a matrix shape; rank-2 shapes stay, to broadcast.
        lead = tuple(n for n, _ in self.batch)
        batched = [lead + m for m in full] * 3 + [lead + (a, 1) for a in names] + [lead + (1, b) for b in names]
        batched += [(1,) + lead[1:] + m for m in full[:2]]
        return batched * 2 + matrices


def make_helper(rng, index):
    """A helper `fn h<R, C>(a: dt[R, C], b: dt[R, 1] | dt[C], s: f32) -> dt[R, C]`."""
    dtype = rng.choice(["f32", "f32", "bf16", "f16"])
    second = rng.choice([("R", 1), ("C",), ("R", "C")])
    params = [Param("a", dtype, ("R", "C")), Param("b", dtype, second), Param("s", "f32", ())]
    allowed = {("R", "C"), ("C", "R"), ("R", 1), (1, "C"), (1, 1), ("C", 1), (1, "R"), second}
    gen = TensorGen(rng, [("R", 0), ("C", 0)], fresh_params=False, allowed=allowed)
    gen.params = params
    body = gen.body([(None, dtype, ("R", "C"))], rng.randint(0, 2), 3)
    return Function("fn", f"h{index}", [("R", None), ("C", None)], params, [(None, dtype, ("R", "C"))], body), dtype


# Rows wider than a row tile of SBUF holds at once (the tiler then reduces them in chunks, each `dve.reduce` going on
# from the running sum: Docs/numerics.md, "Reduction order"), and rank-1 vectors summed in several 8192-wide chunks.
WIDE_SIZES = [16384, 20001, 40000]


def generate_wide(rng, target):
    """A whole-tensor kernel over `[N, D]` rows with D wider than SBUF holds at once: elementwise chains, row and
    column statistics, rank-1 `[D]` values; no `[D, D]` or `[D, N]` shapes (no matmul over D), so it stays quick."""
    dims = [("N", rng.choice([1, 7, 64, 129])), ("D", rng.choice(WIDE_SIZES))]
    allowed = {("N", "D"), ("N", 1), (1, "D"), ("D",), ("N",), (1,), (1, 1)}
    gen = TensorGen(rng, dims, allowed=allowed)
    shapes = [("N", "D"), ("N", "D"), ("N", 1), ("D",), (1, "D"), (1,)]
    count = rng.choice([1, 2])
    results = [(f"r{i}" if count > 1 else None, rng.choice(["f32", "f32", "bf16", "f16"]), rng.choice(shapes))
               for i in range(count)]
    body = gen.body(results, rng.choice([0, 1, 2]), rng.choice([2, 3]))
    if not any(p.shape for p in gen.params):
        gen.params.append(Param(f"p{len(gen.params)}", "f32", ("N", "D")))
    return Program([], Function("kernel", "k", dims, gen.params, results, body, {}), "tensor", target)


def generate_tensor(rng, target, batched=False):
    dims = [(n, rng.choices(DIM_SIZES, DIM_WEIGHTS)[0]) for n in ["N", "D", "K"][: rng.choice([1, 2, 2, 3, 3])]]
    batch = []
    if batched or rng.random() < 0.3:
        # A batched kernel (rank 3 or 4): smaller matrix dims, so that batch x matrix stays quick to run.
        dims = [(n, min(size, 300)) for n, size in dims]
        batch = [(n, rng.choices(BATCH_SIZES, BATCH_WEIGHTS)[0]) for n in ["B", "H"][: rng.choice([1, 1, 2])]]
    helpers = [make_helper(rng, i) for i in range(rng.choice([0, 0, 0, 1, 2]))]
    gen = TensorGen(rng, dims, helpers, batch=batch)
    count = rng.choice([1, 1, 1, 2, 3])
    shapes = gen.shapes()
    results = []
    for i in range(count):
        results.append((f"r{i}" if count > 1 or rng.random() < 0.2 else None,
                        rng.choice(DTYPES + ["f32"] * 4 + ["bf16"] * 2), rng.choice(shapes)))
    body = gen.body(results, rng.choice([0, 1, 2, 3]), rng.choice([2, 3, 4]))
    if not any(p.shape for p in gen.params):
        gen.params.append(Param(f"p{len(gen.params)}", "f32", (dims[0][0], dims[-1][0])))
    schedule = {}
    if rng.random() < 0.25:
        options = {"tile_m": [32, 64, 128], "tile_n": [128, 256, 512], "tile_k": [32, 64, 128], "bufs": [1, 2, 3]}
        schedule = {k: rng.choice(v) for k, v in options.items() if rng.random() < 0.6}
    kernel = Function("kernel", "k", batch + dims, gen.params, results, body, schedule)
    return Program([h for h, _ in helpers], kernel, "tensor", target)
