"""reduce.py: greedy delta debugging of a failing program: drop results, statements and lets, replace
expressions by their operands or by leaves, shrink dims; a candidate is kept when it fails the same way."""
import copy
import time

from .program import E, lit, name, stmt_exprs, uses, walk


def expressions(program):
    """Every expression node of the program (helpers, then the kernel), in a fixed pre-order."""
    out = []
    visit = lambda e: out.extend(walk(e))  # noqa: E731

    for fn in program.helpers + [program.kernel]:
        for block in blocks(fn.body):
            for s in block:
                for e in stmt_exprs(s):
                    visit(e)
    return out


def blocks(body):
    """The statement lists of a body, outermost first."""
    out = [body]
    for s in body:
        if s.kind == "for":
            out += blocks(s.parts[4])
        if s.kind == "if":
            out += blocks(s.parts[1]) + (blocks(s.parts[2]) if s.parts[2] is not None else [])
    return out


def substitute(e, wanted, replacement):
    if e.op == "name" and e.val == wanted:
        return copy.deepcopy(replacement)
    e.args = [substitute(x, wanted, replacement) for x in e.args]
    if e.op == "slice":
        e.val = [tuple(substitute(b, wanted, replacement) if isinstance(b, E) else b for b in pair) for pair in e.val]
    return e


def candidates(program):
    """Smaller variants of `program`, biggest cuts first (each a fresh copy)."""
    kernel = program.kernel
    # 0. Smaller dims, no schedule, trn1, no unused parameters or helpers.
    for i, (dname, size) in enumerate(kernel.dims):
        for smaller in (1, 7, 64, 128, 129):
            if size is not None and smaller < size:
                p = copy.deepcopy(program)
                p.kernel.dims[i] = (dname, smaller)
                yield p
    if kernel.schedule:
        p = copy.deepcopy(program)
        p.kernel.schedule = {}
        yield p
    if program.target != "trn1":
        p = copy.deepcopy(program)
        p.target = "trn1"
        yield p
    for i, q in enumerate(kernel.params):
        if not uses(kernel.body, q.name):
            p = copy.deepcopy(program)
            p.kernel.params.pop(i)
            yield p
    for i, h in enumerate(program.helpers):
        p = copy.deepcopy(program)
        p.helpers.pop(i)
        yield p
    # 1. Drop a result (with its return value or its stores).
    if len(kernel.results) > 1:
        for i, (rname, _, _) in enumerate(kernel.results):
            p = copy.deepcopy(program)
            p.kernel.results.pop(i)
            for block in blocks(p.kernel.body):
                for s in list(block):
                    if s.kind == "return":
                        s.parts[0].pop(i)
                    if s.kind == "expr" and s.parts[0].op == "call" and s.parts[0].args \
                            and s.parts[0].args[0].op == "slice" and s.parts[0].args[0].args[0].val == rname:
                        block.remove(s)
            if len(p.kernel.results) == 1 and program.form == "tensor":
                p.kernel.results[0] = (None,) + p.kernel.results[0][1:]
            yield p
    # 2. Delete a statement; inline a let.
    for fi, fn in enumerate(program.helpers + [kernel]):
        for bi, block in enumerate(blocks(fn.body)):
            for si, s in enumerate(block):
                if s.kind == "return":
                    continue
                p = copy.deepcopy(program)
                target_block = blocks((p.helpers + [p.kernel])[fi].body)[bi]
                removed = target_block.pop(si)
                if removed.kind == "let":
                    rest = target_block[si:]
                    for t in rest:
                        for b in blocks([t]):
                            for u in b:
                                parts = list(u.parts)
                                for k, part in enumerate(parts):
                                    if isinstance(part, E):
                                        parts[k] = substitute(part, removed.parts[0], removed.parts[1])
                                    elif isinstance(part, list) and part and isinstance(part[0], E):
                                        parts[k] = [substitute(x, removed.parts[0], removed.parts[1]) for x in part]
                                u.parts = tuple(parts)
                yield p
                if s.kind == "for":
                    p = copy.deepcopy(program)
                    target_block = blocks((p.helpers + [p.kernel])[fi].body)[bi]
                    loop = target_block.pop(si)
                    for t in reversed(loop.parts[4]):
                        for u in blocks([t]):
                            for w in u:
                                w.parts = tuple(substitute(x, loop.parts[0], loop.parts[1]) if isinstance(x, E) else x
                                                for x in w.parts)
                        target_block.insert(si, t)
                    yield p
    # 3. Replace an expression by an operand, or by a parameter or a literal.
    leaves = [name(q.name) for q in kernel.params] + [lit(1.0), lit(1), E("bool", True)]
    count = len(expressions(program))
    for index in range(count):
        node = expressions(program)[index]
        options = [copy.deepcopy(a) for a in node.args] + ([] if node.op in ("name", "int", "float", "bool", "slice")
                                                          else [copy.deepcopy(x) for x in leaves])
        if node.op == "call" and node.val in ("load", "store", "nc_matmul", "copy"):
            options = [a for a in options if a.op not in ("slice", "name") or node.val == "copy"]
        for option in options:
            p = copy.deepcopy(program)
            target = expressions(p)[index]
            target.op, target.val, target.args = option.op, option.val, option.args
            yield p


def reduce_program(program, still_fails, budget_tests=400, budget_seconds=300.0):
    """Greedy fixpoint: take the first candidate that still fails, restart; stop when none does or the budget ends."""
    current, tests, start = program, 0, time.monotonic()
    seen = {program.render()}
    index, progress = 0, False
    while True:
        options = list(candidates(current))
        if index >= len(options):
            if not progress:
                return current, tests
            index, progress = 0, False
            continue
        candidate = options[index]
        text = candidate.render()
        if text in seen:
            index += 1
            continue
        seen.add(text)
        if tests >= budget_tests or time.monotonic() - start > budget_seconds:
            return current, tests
        tests += 1
        if still_fails(candidate):
            current, progress = candidate, True
        else:
            index += 1
