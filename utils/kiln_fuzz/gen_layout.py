"""gen_layout.py: the generator's layout makers, `transpose(x, perm:)` and `reshape`, mixed into TensorGen."""
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
