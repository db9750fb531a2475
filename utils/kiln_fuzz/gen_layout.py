"""gen_layout.py: the generator's layout makers, `transpose(x, perm:)`, `reshape` and strided slices, mixed into TensorGen."""
from .program import E, lit, name

# The most work a permute may put in front of the matrix dims (each leading index is a loop in the tiled kernel).
MAX_LEADING = 16


class LayoutMakers:
    """Makers of `transpose(x, perm: ...)` and `reshape(x, shape)` for TensorGen (uses its rng, expr, size, leaf)."""

    def permute(self, dtype, shape, depth):
        """`transpose(x, perm: p)` of an x whose axes are `shape`'s in another order (result axis i is x's axis
        p[i]); the dims x has in front of its last two stay small. Axes are sometimes written negative."""
        rank = len(shape)
        for _ in range(6):
            perm = list(range(rank))
            self.rng.shuffle(perm)
            source = [None] * rank
            for i, p in enumerate(perm):
                source[p] = shape[i]
            leading = 1
            for d in source[:-2]:
                leading *= self.size(d)
            if leading <= MAX_LEADING:
                break
        else:
            return self.leaf(dtype, shape)
        written = tuple(p - rank if self.rng.random() < 0.2 else p for p in perm)
        return E("perm", written, [self.expr(dtype, tuple(source), depth)])

    def reshape(self, dtype, shape, depth):
        """`reshape(x, shape)` that the checker accepts: a size-1 dim added or dropped, or a dim d of `shape` split
        as (2, d) out of `concat(a, b, axis)` (whose dim is 2 * d) and then reduced, sliced to one or merged back and
        sliced to d."""
        names = [i for i, d in enumerate(shape) if isinstance(d, str)]
        if names and len(shape) <= 3 and self.rng.random() < 0.6:
            axis = self.rng.choice(names)
            d = shape[axis]
            doubled = tuple(shape[:axis]) + (f"2 * {d}",) + tuple(shape[axis + 1:])
            joined = E("concat", axis, [self.expr(dtype, shape, depth), self.expr(dtype, shape, depth)])
            split = E("reshape", tuple(shape[:axis]) + (2, d) + tuple(shape[axis + 1:]), [joined])
            r = self.rng.random()
            if r < 0.4 and dtype not in ("bool", "i32", "f8e4m3", "f8e4m3fn", "f8e5m2"):
                kept = E("red", (self.rng.choice(["sum", "max", "min"]), axis), [split])
            elif r < 0.7:
                items = [(None, None)] * (len(shape) + 1)
                index = self.rng.choice([0, 1])
                items[axis] = (lit(index) if index else None, lit(index + 1))
                kept = E("slice", items, [split])
            else:
                items = [(None, None)] * len(shape)
                start = self.rng.choice([0, self.size(d)])
                items[axis] = (lit(start) if start else None,
                               name(d) if start == 0 else E("bin", "+", [lit(start), name(d)]))
                return E("slice", items, [E("reshape", doubled, [split])])
            return E("reshape", tuple(shape), [kept])
        ones = [i for i, d in enumerate(shape) if d == 1]
        if ones and (len(shape) == 4 or self.rng.random() < 0.5) and len(shape) > 1:
            drop = self.rng.choice(ones)
            source = tuple(shape[:drop]) + tuple(shape[drop + 1:])
        elif len(shape) < 4:
            at = self.rng.randint(0, len(shape))
            source = tuple(shape[:at]) + (1,) + tuple(shape[at:])
        else:
            return self.leaf(dtype, shape)
        return E("reshape", tuple(shape), [self.expr(dtype, source, depth)])

    def strided(self, dtype, shape, depth):
        """`x[..., lo : lo + s * d : s, ...]`: every s-th element (s 2 or 3) of a bigger value on one or two axes,
        whose size is d as the checker computes it (ceil of the extent over the step; the extent is s times the
        dim, so the size stays a dim expression), the last element read inside the source dim (the end may pass
        it: only the elements read must be inside). A size-1 dim is sometimes `0 : X : X` (a symbolic step)."""
        axes = self.rng.sample(range(len(shape)), min(len(shape), self.rng.choice([1, 1, 2])))
        source, items = list(shape), [(None, None)] * len(shape)
        for axis in axes:
            names = [n for n, _ in (self.batch if axis < len(shape) - 2 else self.dims)]
            step = self.rng.choice([2, 3])
            size = self.size(shape[axis])
            fits = [n for n in names if self.size(n) >= (size - 1) * step + 1]
            if not fits:
                continue
            source[axis] = self.rng.choice(fits)
            if shape[axis] == 1 and self.rng.random() < 0.3:   # the literal 1: `0 : X : X` has size 1, not a dim's
                items[axis] = (None, name(source[axis]), name(source[axis]))
                continue
            lo = self.rng.choice([0, self.rng.randint(0, self.size(source[axis]) - (size - 1) * step - 1)])
            extent = lit(step * shape[axis]) if isinstance(shape[axis], int) else E("bin", "*", [lit(step), name(shape[axis])])
            hi = extent if lo == 0 else E("bin", "+", [lit(lo), extent])
            items[axis] = (lit(lo) if lo or self.rng.random() < 0.3 else None, hi, lit(step))
        if all(item == (None, None) for item in items):
            return self.expr(dtype, shape, depth)
        return E("slice", items, [self.expr(dtype, tuple(source), depth)])
