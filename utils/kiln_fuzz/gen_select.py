"""gen_select.py: the generator's `topk` / `argtopk` makers, mixed into TensorGen."""
from .program import FLOATS, E, lit

# max8 reads 8 to 16,384 elements per partition: the rows `topk` searches (language.md).
ROW_RANGE = (8, 16384)


class SelectMakers:
    """Makers of `topk(x, k)` and `argtopk(x, k)` for TensorGen (uses its rng, dims, expr, leaf). The result's last dim
    is k, a literal the generator's shapes (dim names and 1) do not have, so a value of last dim 1 is made as k = 1,
    as one column `[..., j : j + 1]` of k, or as the sum of the k along the last axis."""

    def topk(self, dtype, shape, depth):
        rows = [n for n, size in self.dims if ROW_RANGE[0] <= size <= ROW_RANGE[1]]
        if not rows or not shape or shape[-1] != 1:
            return self.leaf(dtype, shape)
        source = tuple(shape[:-1]) + (self.rng.choice(rows),)
        indices = dtype == "i32"
        x = self.expr(self.rng.choice(FLOATS) if indices else dtype, source, depth)
        k = self.rng.randint(1, 8)
        call = E("call", "argtopk" if indices else "topk", [x, lit(k)])
        form = self.rng.choice(["one", "column", "sum"]) if k > 1 else "one"
        if form == "one" or k == 1:
            return E("call", "argtopk" if indices else "topk", [x, lit(1)])
        if form == "column":
            j = self.rng.randint(0, k - 1)
            items = [(None, None)] * (len(shape) - 1) + [(lit(j) if j else None, lit(j + 1))]
            return E("slice", items, [call])
        return E("red", ("sum", self.rng.choice([-1, len(shape) - 1, None])), [call])
