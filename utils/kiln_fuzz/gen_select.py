"""gen_select.py: the generator's `topk` / `argtopk` and `scatter_add` makers, mixed into TensorGen."""
from .program import FLOATS, E, lit, name

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

    def scatter_add(self, dtype, shape, depth):
        """`scatter_add(table, indices, values)` of a `[V, D]` float value: i32 indices of rank 1 or 2 (a dim, or a batch
        dim and a dim) kept in range as gather's are (`abs(i) % V` or `clamp(i, 0, V - 1)`), so rows repeat and their
        adds accumulate in order, and values of the indices' shape plus D."""
        if len(shape) != 2 or dtype not in FLOATS:
            return self.leaf(dtype, shape)
        rows = shape[0]
        bound = name(rows) if isinstance(rows, str) else lit(rows)
        index_shape = (self.rng.choice([n for n, _ in self.dims]),)
        if self.batch and self.rng.random() < 0.3:
            index_shape = (self.rng.choice([n for n, _ in self.batch]),) + index_shape
        indices = self.expr("i32", index_shape, depth)
        if self.rng.random() < 0.5:
            indices = E("bin", "%", [E("call", "abs", [indices]), bound])
        else:
            indices = E("call", "clamp", [indices, lit(0), E("bin", "-", [bound, lit(1)])])
        if all(d == 1 for d in index_shape):
            indices = E("bto", index_shape, [indices])
        values = self.expr(dtype, index_shape + (shape[1],), depth)
        return E("call", "scatter_add", [self.expr(dtype, shape, depth), indices, values])
