#!/usr/bin/env python3
"""sim_speed.py: wall time of the functional simulator (numerics on) against numpy doing the same math.

Usage:  python3 Benchmarks/sim_speed.py [--kiln .build/release/kiln] [--runs 3]

For each workload, in this one script:
  - `kiln build Examples/X.kiln --emit bytecode --dim ...`   (compiled once, not timed)
  - `kiln sim X.kbc --input ... --output-dir DIR --stats-json S`, timed two ways:
      process: the whole command from outside (process start, .npy read, simulation, .npy write);
      simulate: the simulation's own wall time as kiln measures it (`host_seconds`: program set-up, HBM set-up,
                every instruction with its numerics and the race / uninitialised / bounds checks, outputs
                collected), which is what numpy's figure covers too: inputs in memory to outputs in memory
  - numpy on the same inputs: the same math in float32       (timed in-process: the baseline)
and prints the best of --runs runs of each and the ratios to numpy (target: simulate / numpy <= 3).
Workloads: matmul 1024 x 1024 x 1024 with bf16 inputs (numpy: float32 matmul of the bf16 values) and
softmax over 4096 x 4096 float32 rows. Each run's outputs are checked against numpy (a wrong answer fast
would be no result), so the benchmark also fails loudly if the simulator's numerics break.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def bf16_bits(x):
    """float32 -> bfloat16 bit patterns (uint16), round to nearest even."""
    bits = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


def bf16_values(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def best(function, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def run(command):
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{done.stderr}")
    return done


def workload(kiln, scratch, name, example, dims, inputs, reference, runs):
    kbc = os.path.join(scratch, f"{name}.kbc")
    dim_flags = [flag for dim, size in dims.items() for flag in ("--dim", f"{dim}={size}")]
    run([kiln, "build", os.path.join(ROOT, "Examples", example), "--emit", "bytecode", "-o", kbc] + dim_flags)
    flags = []
    for input_name, array in inputs.items():
        path = os.path.join(scratch, f"{name}_{input_name}.npy")
        np.save(path, array)
        flags += ["--input", f"{input_name}={path}"]
    out_dir = os.path.join(scratch, f"{name}_out")
    os.makedirs(out_dir, exist_ok=True)
    stats_path = os.path.join(scratch, f"{name}_stats.json")
    process_times, host_times = [], []
    for _ in range(runs):
        start = time.perf_counter()
        run([kiln, "sim", kbc, "--output-dir", out_dir, "--stats-json", stats_path] + flags)
        process_times.append(time.perf_counter() - start)
        with open(stats_path) as stats:
            host_times.append(json.load(stats)["host_seconds"])
    numpy_time, expected = best(reference, runs)
    got = np.load(os.path.join(out_dir, "out.npy"))
    error = float(np.max(np.abs(got.astype(np.float64) - expected.astype(np.float64))))
    scale = float(np.max(np.abs(expected)))
    if not error <= 1e-4 * max(scale, 1.0):
        sys.exit(f"{name}: the simulator's output differs from numpy by {error} (scale {scale})")
    return min(process_times), min(host_times), numpy_time, error


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiln", default=os.path.join(ROOT, ".build", "release", "kiln"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="kiln-sim-speed-")
    rng = np.random.default_rng(0)

    a = bf16_bits(rng.uniform(-1, 1, (1024, 1024)))
    b = bf16_bits(rng.uniform(-1, 1, (1024, 1024)))
    a_values, b_values = bf16_values(a), bf16_values(b)
    x = rng.standard_normal((4096, 4096)).astype(np.float32)

    def softmax():
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    rows = [
        ("matmul 1024^3 bf16", *workload(args.kiln, scratch, "matmul", "matmul.kiln", {"M": 1024, "K": 1024, "N": 1024},
                                         {"a": a, "b": b}, lambda: a_values @ b_values, args.runs)),
        ("softmax 4096x4096 f32", *workload(args.kiln, scratch, "softmax", "softmax.kiln", {"N": 4096, "D": 4096},
                                            {"x": x}, softmax, args.runs)),
    ]
    print(f"kiln: {args.kiln}   best of {args.runs} runs   (numerics and checks on)")
    print(f"{'workload':<24}{'simulate s':>11}{'process s':>11}{'numpy s':>10}{'simulate/numpy':>16}"
          f"{'process/numpy':>15}{'max |diff|':>12}")
    for name, process_time, host_time, numpy_time, error in rows:
        print(f"{name:<24}{host_time:>11.3f}{process_time:>11.3f}{numpy_time:>10.4f}{host_time / numpy_time:>16.1f}"
              f"{process_time / numpy_time:>15.1f}{error:>12.2e}")
    worst = max(host_time / numpy_time for _, _, host_time, numpy_time, _ in rows)
    print(f"worst simulate/numpy ratio {worst:.1f}x (target <= 3x)")


if __name__ == "__main__":
    main()
