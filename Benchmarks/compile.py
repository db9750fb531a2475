#!/usr/bin/env python3
"""compile.py: compile speed of the whole pipeline (front end, lowering, default passes) per example.

Usage:  python3 Benchmarks/compile.py [--kiln .build/release/kiln] [--runs 5] [--target trn1]
(an example whose header has a `// target: NAME` line, as the MX examples' trn3, compiles for that target)
                                     [--baseline-kiln OTHER/kiln]

For every Examples/*.kiln it runs, in this one script:
  - `kiln check FILE`                       (front end only: the baseline)
  - `kiln build FILE --emit tile-ir --time-passes -o TMP`  (front end + lowering + default pipeline)
  - `kiln check EMPTY.kiln`                 (process start-up alone: the second baseline)
and reports the best wall time of each over --runs runs, the per-pass times kiln itself measured
(--time-passes), the ratio build / check, i.e. what lowering and the passes add on top of parsing,
checking and process start-up, and `compile ms` = build - start-up: the time the compiler spends on the
kernel once the process is up. Target: every example compiles in under 20 ms (judged on `compile ms`;
the whole-process time is printed too, since start-up is paid by every command).

With --baseline-kiln (another build of kiln, e.g. an earlier commit's), the same script also times that
binary's `kiln build` of every example, and this binary's with `--no-verify` when it has the flag, and
prints `build ms` of each and the ratio this / baseline: a before/after comparison in one run, on the same
machine state (the verifier's own cost is build - no-verify).
"""
import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASS_LINE = re.compile(r"^\s*([0-9.]+) ms\s+(?:[0-9.]+%\s+)?(\S+)\s*$")


def target_of(path, default):
    """The target a `// target: NAME` line of the example's header names (the MX examples: trn3, the only target with
    the MX mode; trn1 and trn2 reject them), else `default`."""
    with open(path) as source:
        for line in source.read().splitlines()[:20]:
            if line.startswith("// target: "):
                return line[len("// target: "):].strip()
    return default


def best_time(command, runs, must_succeed=True):
    """Best wall time of `runs` runs in ms, and the last run's stderr (None, stderr when the command fails
    and `must_succeed` is false)."""
    best, stderr = float("inf"), ""
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        elapsed = (time.perf_counter() - start) * 1000
        for path in command[command.index("-o") + 1:command.index("-o") + 2] if "-o" in command else []:
            if os.path.exists(path):
                os.remove(path)  # `-o` replaces files through a rename; start each run from scratch
        if done.returncode != 0:
            if not must_succeed:
                return None, done.stderr
            sys.exit(f"failed: {' '.join(command)}\n{done.stderr}")
        best, stderr = min(best, elapsed), done.stderr
    return best, stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiln", default=os.path.join(ROOT, ".build", "release", "kiln"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--target", default="trn1")
    parser.add_argument("--baseline-kiln", help="another kiln binary to compare `kiln build` times with")
    args = parser.parse_args()
    examples = sorted(f for f in os.listdir(os.path.join(ROOT, "Examples")) if f.endswith(".kiln"))
    print(f"kiln: {args.kiln}   target: {args.target}   best of {args.runs} runs")
    scratch = os.path.join(tempfile.mkdtemp(prefix="kiln-bench-"), "out.tir")
    empty = os.path.join(os.path.dirname(scratch), "empty.kiln")
    open(empty, "w").close()
    startup, _ = best_time([args.kiln, "check", empty], args.runs)
    print(f"process start-up (kiln check on an empty file): {startup:.2f} ms")
    print(f"{'example':<22}{'check ms':>10}{'build ms':>10}{'ratio':>7}{'compile ms':>12}{'passes ms':>11}  slowest pass")
    worst = 0.0
    worst_process = 0.0
    for name in examples:
        path = os.path.join(ROOT, "Examples", name)
        check, _ = best_time([args.kiln, "check", path], args.runs)
        build, stderr = best_time([args.kiln, "build", path, "--emit", "tile-ir", "--target", target_of(path, args.target),
                                   "--time-passes", "-o", scratch], args.runs)
        passes = [(float(m.group(1)), m.group(2)) for m in map(PASS_LINE.match, stderr.splitlines()) if m]
        per_pass = [p for p in passes if p[1] != "total"]
        total = next((t for t, n in passes if n == "total"), 0.0)
        slowest = max(per_pass, default=(0.0, "-"))
        compile_ms = max(0.0, build - startup)
        worst = max(worst, compile_ms)
        worst_process = max(worst_process, build)
        print(f"{name:<22}{check:>10.2f}{build:>10.2f}{build / check:>7.2f}{compile_ms:>12.2f}{total:>11.3f}  "
              f"{slowest[1]} {slowest[0]:.3f} ms")
    print(f"slowest compile: {worst:.2f} ms ({'within' if worst < 20 else 'over'} the 20 ms target); "
          f"slowest whole process: {worst_process:.2f} ms")
    if args.baseline_kiln:
        compare(args, examples, scratch)


def compare(args, examples, scratch):
    """`kiln build` of every example with this kiln (verifying, and with --no-verify) and the baseline, interleaved."""
    no_verify = "--no-verify" in subprocess.run([args.kiln, "build", "--help"], capture_output=True, text=True).stdout
    print(f"\nbaseline: {args.baseline_kiln}")
    print(f"{'example':<22}{'baseline ms':>12}{'this ms':>10}{'ratio':>7}{'no-verify ms':>14}{'verifier ms':>13}")
    ratios, skipped = [], []
    for name in examples:
        path = os.path.join(ROOT, "Examples", name)
        command = ["build", path, "--emit", "tile-ir", "--target", target_of(path, args.target), "-o", scratch]
        if best_time([args.baseline_kiln] + command, 1, must_succeed=False)[0] is None:
            skipped.append(name)  # uses what the baseline's language does not have: nothing to compare
            continue
        base, this, bare = float("inf"), float("inf"), float("inf")
        for _ in range(args.runs):  # interleaved, so that machine load falls on both alike
            base = min(base, best_time([args.baseline_kiln] + command, 1)[0])
            this = min(this, best_time([args.kiln] + command, 1)[0])
            if no_verify:
                bare = min(bare, best_time([args.kiln] + command + ["--no-verify"], 1)[0])
        ratios.append(this / base)
        extra = f"{bare:>14.2f}{this - bare:>13.2f}" if no_verify else f"{'-':>14}{'-':>13}"
        print(f"{name:<22}{base:>12.2f}{this:>10.2f}{this / base:>7.2f}{extra}")
    if skipped:
        print(f"not compared (the baseline cannot build them): {', '.join(skipped)}")
    print(f"this / baseline: worst {max(ratios):.2f}, geometric mean "
          f"{math.exp(sum(map(math.log, ratios)) / len(ratios)):.2f}")


if __name__ == "__main__":
    main()
