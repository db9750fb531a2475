"""campaign.py: generates N programs from a seed, runs them in parallel, counts outcomes, reduces and saves findings."""
import argparse
import collections
import concurrent.futures
import hashlib
import os
import random
import sys
import time

from .gen_generic import make_generic
from .gen_attention import generate_attention, online_variant
from .gen_tensor import generate_tensor, generate_wide
from .gen_mx import generate_mx
from .gen_tile import generate_tile
from .gen_tile3 import generate_tile3
from .reduce import reduce_program
from .runner import AGREED, COMPILE, CRASH, DISAGREE, HANG, REJECTED, Runner

FAILURES = (DISAGREE, COMPILE, CRASH, HANG)


def program_for(seed, index, batched=False, control_flow=False, attention=False):
    """Program `index` of campaign `seed`: 60% whole-tensor, 40% tile-level (a tenth of all, drawn first from their
    own stream, tile-level on rank-3 tiles); a quarter target trn2; a fifth of them (of any form) rendered generic
    over a dtype (gen_generic). `batched`: every program is whole-tensor with batch dims (rank 3 and 4).
    `control_flow`: every program is a tile-level kernel with control flow decided at compile time (gen_tile.control).
    `attention`: every program is a matmul -> row softmax -> matmul chain (gen_attention)."""
    if attention:
        rng = random.Random(f"kiln-fuzz-attention-only:{seed}:{index}")
        return with_online_variant(generate_attention(rng, "trn2" if rng.random() < 0.25 else "trn1"), seed, index)
    if control_flow:
        rng = random.Random(f"kiln-fuzz-control-only:{seed}:{index}")
        target = "trn2" if rng.random() < 0.25 else "trn1"
        return generate_tile(rng, target, control_flow=True)
    program = concrete_program_for(seed, index, batched)
    # Generic or not comes from its own stream, after the program: every program stays the one it was.
    choice = random.Random(f"kiln-fuzz-generic:{seed}:{index}")
    if choice.random() < 0.2:
        make_generic(program, choice)
    # A third of whole-tensor programs with a matmul compile with a schedule variant (their own stream): the
    # K-blocked matmul schedule and stores on queues of their own, which the default pipeline never takes.
    variant = random.Random(f"kiln-fuzz-schedule:{seed}:{index}")
    if program.form == "tensor" and " @ " in program.render() and variant.random() < 0.33:
        program.passes = schedule_variant(variant)
    return program


def with_online_variant(program, seed, index):
    """A third of attention programs compile with their chain streamed by online softmax (their own stream, so the
    programs stay the ones they were)."""
    variant = random.Random(f"kiln-fuzz-online:{seed}:{index}")
    if variant.random() < 0.33:
        program.passes = online_variant(variant)
    return program


def schedule_variant(rng):
    """The default pipeline (PassPipeline.defaultPipeline) with random K-blocked matmul blocks and store queues."""
    blocks = ",".join(f"block_{axis}={rng.choice(values)}" for axis, values in
                      (("k", [1, 2, 4]), ("m", [1, 2, 3]), ("n", [1, 2])) if rng.random() < 0.8) or "block_k=1"
    stores = f"{{store_queues={rng.choice([1, 2, 4])}}}" if rng.random() < 0.5 else ""
    return (f"inline,canonicalize,cse,fuse,tile{{{blocks}}},canonicalize,cse,dce,assign-engines,double-buffer,"
            f"allocate,schedule{stores}")


def concrete_program_for(seed, index, batched):
    if batched:
        rng = random.Random(f"kiln-fuzz-batched:{seed}:{index}")
        target = "trn2" if rng.random() < 0.25 else "trn1"
        return generate_tensor(rng, target, batched=True)
    rng = random.Random(f"kiln-fuzz:{seed}:{index}")
    target = "trn2" if rng.random() < 0.25 else "trn1"
    if random.Random(f"kiln-fuzz-wide:{seed}:{index}").random() < 0.03:
        # Rows too wide for one pass (their own stream, so the other programs of a campaign stay as they were).
        return generate_wide(rng, target)
    if random.Random(f"kiln-fuzz-attention:{seed}:{index}").random() < 0.04:
        # matmul -> row softmax -> matmul chains, which `tile` keeps on chip (their own stream, as above).
        return with_online_variant(generate_attention(rng, target), seed, index)
    mx = random.Random(f"kiln-fuzz-mx:{seed}:{index}")
    if mx.random() < 0.05:
        # MX tile kernels on trn3 (quantize_mx, nc_matmul_mx), from their own stream as the ones above.
        return generate_mx(mx)
    tile3 = random.Random(f"kiln-fuzz-tile3:{seed}:{index}")
    if tile3.random() < 0.1:
        # Tiles with several free dims ([128, H, D]), from their own stream like the wide rows above.
        return generate_tile3(tile3, target)
    if rng.random() < 0.6:
        return generate_tensor(rng, target)
    # Control flow decided at compile time: 15% of tile-level programs, from a stream of their own.
    return generate_tile(rng, target, control_flow=random.Random(f"kiln-fuzz-control:{seed}:{index}").random() < 0.15)


def input_seed(seed, index):
    return (seed * 1_000_003 + index) % 2 ** 31


def slug(signature):
    return signature[0] + "-" + hashlib.sha1(repr(signature).encode()).hexdigest()[:10]


def save_finding(folder, outcome, program, reduced, tests, seed, index, kiln_seed):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "original.kiln"), "w") as f:
        f.write(program.render())
    if reduced is not None:
        with open(os.path.join(folder, "reduced.kiln"), "w") as f:
            f.write(reduced.render())
    with open(os.path.join(folder, "report.txt"), "w") as f:
        f.write(f"class: {outcome.kind}\nsignature: {outcome.signature!r}\ndetail: {outcome.detail}\n")
        f.write(f"program: campaign seed {seed}, index {index}; inputs --random {kiln_seed} (verify --seed {kiln_seed}), "
                f"target {program.target}\n")
        if reduced is not None:
            f.write(f"reduced with {tests} tests\n")
        flags = "".join(" " + flag for flag in program.dtype_flags()) + (f" --passes '{program.passes}'" if program.passes else "")
        f.write("reproduce: kiln verify --seed {0} --target {1}{2} reduced.kiln\n\n".format(kiln_seed, program.target, flags))
        for step, code, text in outcome.logs:
            f.write(f"--- {step}: exit {code}\n{text}\n")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="kiln-fuzz", description=__doc__)
    parser.add_argument("--kiln", required=True, help="the kiln binary")
    parser.add_argument("-n", "--count", type=int, default=2000, help="how many programs")
    parser.add_argument("--seed", type=int, default=1, help="campaign seed")
    parser.add_argument("--start", type=int, default=0, help="first program index")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per kiln command before it counts as a hang")
    parser.add_argument("--findings", default="fuzz-findings", help="folder for failing programs")
    parser.add_argument("--no-reduce", action="store_true", help="save failures without reducing them")
    parser.add_argument("--reduce-budget", type=int, default=300, help="most tests per reduction")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--batched", action="store_true",
                        help="only whole-tensor programs with batch dims (rank-3/4 tensors)")
    parser.add_argument("--attention", action="store_true",
                        help="every program is an attention-shaped chain (matmul -> row softmax -> matmul; gen_attention)")
    parser.add_argument("--control-flow", action="store_true",
                        help="every program a tile-level kernel with triangular loops, if, loop variables as values, "
                             "iota tiles and tile slices (gen_tile.control)")
    args = parser.parse_args(argv)

    counts = collections.Counter()
    first_of = {}
    failures = []
    started = time.monotonic()

    def job(index):
        program = program_for(args.seed, index, batched=args.batched, control_flow=args.control_flow,
                              attention=args.attention)
        runner = Runner(args.kiln, seed=input_seed(args.seed, index), timeout=args.timeout)
        return index, program, runner.classify(program)

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for index, program, outcome in pool.map(job, range(args.start, args.start + args.count)):
            counts[outcome.kind] += 1
            if outcome.kind in FAILURES or outcome.kind == REJECTED:
                failures.append((index, program, outcome))
                first_of.setdefault(outcome.signature, (index, program, outcome))
                if not args.quiet:
                    print(f"[{index}] {outcome.kind}: {outcome.detail[:200]}", file=sys.stderr, flush=True)

    for signature, (index, program, outcome) in sorted(first_of.items(), key=lambda kv: kv[1][0]):
        if outcome.kind == REJECTED and args.no_reduce:
            continue
        folder = os.path.join(args.findings, slug(signature))
        kiln_seed = input_seed(args.seed, index)
        reduced, tests = None, 0
        if not args.no_reduce and outcome.kind != REJECTED:
            runner = Runner(args.kiln, seed=kiln_seed, timeout=args.timeout)
            reduced, tests = reduce_program(program, lambda p: runner.classify(p).signature == signature,
                                            budget_tests=args.reduce_budget)
        save_finding(folder, outcome, program, reduced, tests, args.seed, index, kiln_seed)
        hits = [i for i, _, o in failures if o.signature == signature]
        with open(os.path.join(folder, "report.txt"), "a") as f:
            f.write(f"\nprograms with this signature ({len(hits)}): {hits[:50]}\n")

    generated = sum(counts.values())
    compiled = counts[AGREED] + counts[DISAGREE]
    print(f"kiln-fuzz: seed {args.seed}, programs {args.start}..{args.start + args.count - 1}, "
          f"{time.monotonic() - started:.0f} s")
    print(f"  generated         {generated}")
    print(f"  checker-rejected  {counts[REJECTED]}")
    print(f"  compiled          {compiled}")
    print(f"  agreed            {counts[AGREED]}")
    print(f"  disagreed         {counts[DISAGREE]}")
    print(f"  compile failures  {counts[COMPILE]}")
    print(f"  crashes           {counts[CRASH]}")
    print(f"  hangs             {counts[HANG]}")
    print(f"  distinct failure signatures {len([s for s in first_of if s[0] != REJECTED])}; findings in {args.findings}/")
    return 0 if all(counts[k] == 0 for k in FAILURES) else 1
