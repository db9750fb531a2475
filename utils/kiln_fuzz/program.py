"""program.py: the fuzzer's Kiln syntax tree (expressions, statements, kernels), its printer and tree walks."""
from dataclasses import dataclass, field, replace
from typing import Optional

FLOATS = ["f32", "bf16", "f16", "f8e4m3", "f8e4m3fn", "f8e5m2"]
NUMERIC = FLOATS + ["i32"]
DTYPES = NUMERIC + ["bool"]


@dataclass
class E:
    """One expression. `op` is name | int | float | bool | bin | neg | not | call | red | cast | T | slice | iota |
    scan | concat | bto | act | perm | reshape;
    `val` holds the name, literal, operator, callee, (reduction, axis), target dtype, (shape, axis) of an iota or (cumsum | scan, axis),
    the axis (or None) of a concat, the target shape of a broadcast_to (`bto`) or of a `reshape` (entries may be
    "2 * D"), the axes of a `transpose(x, perm:)` (`perm`), (function, scale or None) of a
    tile-level `activation` (`act`: args are the tile, if any the bias, and for scale "tile" the scale tile);
    `args` the operands.
    For `slice`, `val` is a list of (lo, hi) pairs of E or None (None, None meaning `:`; hi False: the index lo), or
    (lo, hi, step) triples for a strided item."""
    op: str
    val: object = None
    args: list = field(default_factory=list)

    def render(self) -> str:
        op, v, a = self.op, self.val, self.args
        if op == "name":
            return v
        if op == "int":
            return str(v)
        if op == "float":
            return float_literal(v)
        if op == "bool":
            return "true" if v else "false"
        if op == "bin":
            return f"({a[0].render()} {v} {a[1].render()})"
        if op == "neg":
            return f"(-{a[0].render()})"
        if op == "not":
            return f"(!{a[0].render()})"
        if op == "call":
            return f"{v}({', '.join(x.render() for x in a)})"
        if op == "red":
            name, axis = v
            label = "" if axis is None else f", axis: {axis}"
            return f"{name}({a[0].render()}{label})"
        if op == "cast":
            return f"({a[0].render()} as {v})"
        if op == "T":
            return f"{a[0].render()}.T" if a[0].op in ("name", "call") else f"transpose({a[0].render()})"
        if op == "scan":   # cumsum(x) / scan(a, b), with an optional axis; a tile scan's last arg may be `initial:`
            name, axis = v[0], v[1]
            initial = len(v) > 2 and v[2]
            operands = a[:-1] if initial else a
            label = ("" if axis is None else f", axis: {axis}") + (f", initial: {a[-1].render()}" if initial else "")
            return f"{name}({', '.join(x.render() for x in operands)}{label})"
        if op == "iota":
            shape, axis = v
            dims = ", ".join(str(d) for d in shape)
            text = dims if len(shape) == 1 else f"({dims})"
            return f"iota({text}, axis: {axis})"
        if op == "concat":
            label = "" if v is None else f", axis: {v}"
            return f"concat({', '.join(x.render() for x in a)}{label})"
        if op == "act":   # scale "tile": the last operand is a per-partition [P, 1] scale tile
            function, scale = v
            operands = list(a)
            scale_text = operands.pop().render() if scale == "tile" else scale
            labels = (([f"bias: {operands[1].render()}"] if len(operands) > 1 else [])
                      + ([f"scale: {scale_text}"] if scale_text else []))
            return f"activation({', '.join([function, operands[0].render()] + labels)})"
        if op == "perm":   # transpose(x, perm: ...): `perm: 0` for rank 1
            axes = ", ".join(str(p) for p in v)
            return f"transpose({a[0].render()}, perm: {axes if len(v) == 1 else '(' + axes + ')'})"
        if op == "reshape":   # entries: dim names, ints, or "2 * D"
            dims = ", ".join(str(d) for d in v)
            return f"reshape({a[0].render()}, {dims if len(v) == 1 else '(' + dims + ')'})"
        if op == "bto":
            dims = ", ".join(str(d) for d in v)
            return f"broadcast_to({a[0].render()}, {dims if len(v) == 1 else '(' + dims + ')'})"
        if op == "slice":
            items = []
            for lo, hi, *step in v:
                if hi is False:   # a plain index: `x[b, ...]`
                    items.append(lo.render())
                    continue
                item = f"{lo.render() if lo else ''} : {hi.render() if hi else ''}".strip() if (lo or hi) else ":"
                items.append(item + (f" : {step[0].render()}" if step else ""))
            return f"{a[0].render()}[{', '.join(items)}]"
        raise ValueError(op)

    def size(self) -> int:
        return 1 + sum(x.size() for x in self.args)


def float_literal(value: float) -> str:
    text = repr(float(value))
    if "e" in text or "E" in text:
        mantissa, exponent = text.lower().split("e")
        if "." not in mantissa:
            mantissa += ".0"
        return f"{mantissa}e{int(exponent)}"
    return text if "." in text else text + ".0"


def name(n):
    return E("name", n)


def lit(v):
    return E("float", float(v)) if isinstance(v, float) else E("int", int(v))


@dataclass
class Param:
    name: str
    dtype: str
    shape: tuple          # () for a scalar; entries are dim names or ints
    default: Optional[float] = None

    def render(self) -> str:
        text = f"{self.name}: {type_text(self.dtype, self.shape)}"
        if self.default is not None:
            text += f" = {float_literal(self.default) if self.dtype != 'i32' else int(self.default)}"
        return text


def type_text(dtype, shape, space=None) -> str:
    prefix = f"{space} " if space else ""
    return prefix + dtype + (f"[{', '.join(str(d) for d in shape)}]" if shape else "")


@dataclass
class Stmt:
    """kind: let | var | assign | for | if | expr | return. let: (name, expr, annotation); var: (name, type text,
    init or None); assign: (name or a slice E of a var's window, op, expr); for: (var, lo, hi, step, body); if: (condition, then, otherwise or
    None), the branches statement lists; expr: (expr,); return: (exprs,)."""
    kind: str
    parts: tuple

    def render(self, indent: int) -> list:
        pad = "  " * indent
        k, p = self.kind, self.parts
        if k == "let":
            annot = f": {p[2]}" if p[2] else ""
            return [f"{pad}let {p[0]}{annot} = {p[1].render()}"]
        if k == "var":
            init = f" = {p[2].render()}" if p[2] is not None else ""
            return [f"{pad}var {p[0]}: {p[1]}{init}"]
        if k == "assign":
            target = p[0].render() if isinstance(p[0], E) else p[0]
            return [f"{pad}{target} {p[1]} {p[2].render()}"]
        if k == "expr":
            return [f"{pad}{p[0].render()}"]
        if k == "return":
            return [f"{pad}return {', '.join(e.render() for e in p[0])}"]
        if k == "for":
            var, lo, hi, step, body = p
            step_text = f" step {step}" if step != 1 else ""
            lines = [f"{pad}for {var} in {lo.render()} ..< {hi.render()}{step_text} {{"]
            for s in body:
                lines += s.render(indent + 1)
            return lines + [f"{pad}}}"]
        if k == "if":
            condition, then, otherwise = p
            lines = [f"{pad}if {condition.render()} {{"]
            for s in then:
                lines += s.render(indent + 1)
            if otherwise is not None:
                lines.append(f"{pad}}} else {{")
                for s in otherwise:
                    lines += s.render(indent + 1)
            return lines + [f"{pad}}}"]
        raise ValueError(k)


@dataclass
class Function:
    """A kernel (results: [(name or None, dtype, shape)]) or a helper fn (one unnamed result)."""
    keyword: str
    name: str
    dims: list            # [(name, default or None)]
    params: list
    results: list
    body: list
    schedule: dict = field(default_factory=dict)
    dtype_params: list = field(default_factory=list)   # [(name, bound, default or None)], before the dims

    def render(self) -> str:
        lines = []
        if self.schedule:
            args = ", ".join(f"{k}: {v}" for k, v in self.schedule.items())
            lines.append(f"@schedule({args})")
        dims = ""
        entries = [f"{n}: {b}" + ("" if d is None else f" = {d}") for n, b, d in self.dtype_params]
        entries += [n if d is None else f"{n} = {d}" for n, d in self.dims]
        if entries:
            dims = "<" + ", ".join(entries) + ">"
        params = ", ".join(p.render() for p in self.params)
        if len(self.results) == 1 and self.results[0][0] is None:
            result = type_text(self.results[0][1], self.results[0][2])
        else:
            result = "(" + ", ".join(f"{n}: {type_text(d, s)}" for n, d, s in self.results) + ")"
        lines.append(f"{self.keyword} {self.name}{dims}({params}) -> {result} {{")
        for s in self.body:
            lines += s.render(1)
        lines.append("}")
        return "\n".join(lines)


@dataclass
class Program:
    """form: 'tensor' (whole-tensor, checked against numpy too) or 'tile'; target: trn1 | trn2; `generic`: how
    gen_generic renders it over dtype parameters (None: as it is)."""
    helpers: list
    kernel: Function
    form: str
    target: str = "trn1"
    generic: Optional[dict] = None
    # The pass pipeline sim and llvm compile it with (None: the default one): a schedule variant.
    passes: Optional[str] = None

    def render(self) -> str:
        header = f"// kiln-fuzz: {self.form} form, target {self.target}" + (f", passes {self.passes}" if self.passes else "") + "\n"
        if self.generic:
            from .gen_generic import render_generic
            return header + "\n\n".join(render_generic(self)) + "\n"
        return header + "\n\n".join([h.render() for h in self.helpers] + [self.kernel.render()]) + "\n"

    def pass_flags(self) -> list:
        """`--passes PIPELINE` for a schedule variant, else []."""
        return ["--passes", self.passes] if self.passes else []

    def dtype_flags(self) -> list:
        """`--dtype T=...` for a generic program bound by flag, else []."""
        from .gen_generic import dtype_flags
        return dtype_flags(self)

    def dim_sizes(self) -> dict:
        return {n: d for n, d in self.kernel.dims}


def copy_program(p: Program) -> Program:
    import copy
    return copy.deepcopy(p)


def walk(e):
    """Every node of expression `e` in pre-order: its operands, and the bounds of a slice."""
    yield e
    for x in e.args:
        yield from walk(x)
    if e.op == "slice":
        for item in e.val:
            for b in item:
                if isinstance(b, E):   # hi is False for a plain index (`x[b, ...]`), None for an open bound
                    yield from walk(b)


def uses(stmts, wanted: str) -> bool:
    """Whether any expression in `stmts` (recursively) names `wanted`."""
    found = []

    def visit(e):
        found.extend(n for n in walk(e) if n.op == "name" and n.val == wanted)
    for s in stmts:
        for e in stmt_exprs(s):
            visit(e)
        if s.kind == "assign" and (s.parts[0] == wanted or (isinstance(s.parts[0], E) and s.parts[0].args[0].val == wanted)):
            found.append(s)
        if s.kind == "for" and uses(s.parts[4], wanted):
            return True
        if s.kind == "if" and (uses(s.parts[1], wanted) or uses(s.parts[2] or [], wanted)):
            return True
    return bool(found)


def stmt_exprs(s: Stmt) -> list:
    if s.kind == "let":
        return [s.parts[1]]
    if s.kind == "var":
        return [s.parts[2]] if s.parts[2] is not None else []
    if s.kind == "assign":
        return [s.parts[0], s.parts[2]] if isinstance(s.parts[0], E) else [s.parts[2]]
    if s.kind == "expr":
        return [s.parts[0]]
    if s.kind == "return":
        return list(s.parts[0])
    if s.kind == "for":
        return [s.parts[1], s.parts[2]]
    if s.kind == "if":
        return [s.parts[0]]
    return []


__all__ = ["E", "Param", "Stmt", "Function", "Program", "FLOATS", "NUMERIC", "DTYPES", "name", "lit",
           "type_text", "float_literal", "copy_program", "uses", "stmt_exprs", "replace"]
