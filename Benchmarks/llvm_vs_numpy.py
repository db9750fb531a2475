#!/usr/bin/env python3
"""llvm_vs_numpy.py: the llvm backend's host code (`kiln bench --backend llvm`) against numpy, in one run.

Run by hand (never part of the test suite):

    make build      # kiln and libKilnLLVMBackend.so, the llvm backend kiln loads from its own folder
    python3 Benchmarks/llvm_vs_numpy.py [--kiln PATH] [--iterations 7] [--quick]

Kernels (all f32, written by this script to a temporary folder): add, gelu (exact erf form), softmax,
layernorm and rmsnorm at 4096x4096, matmul at 1024^3 and 2048^3 (--quick: 1024x1024 and 512^3 only).
For each one it runs `kiln bench FILE --backend llvm --json` (the JIT-compiled kernel alone, compile
excluded, median of --iterations calls after a warm-up; Kiln's tensor-level pipeline) and times the same
computation in numpy in this process (median of as many calls after a warm-up, outputs preallocated where
numpy allows it). The two alternate for --rounds rounds per kernel (default 3) and each side's best round
median is kept, so a burst of load from other processes on a shared machine hits both sides alike. numpy's BLAS runs with as many threads as Kiln's kernels use (one): OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS and MKL_NUM_THREADS are set to 1 before numpy is imported. It prints both medians and the
ratio numpy / kiln (above 1: Kiln is faster) against the targets: fused kernels (gelu, softmax, layernorm,
rmsnorm) >= 2x, elementwise (add) >= 1x, matmul >= 0.5x. Exit 1 if a kernel fails to run (not on a missed
target: the numbers are for people to read).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

THREADS = "1"
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = THREADS

import numpy as np  # noqa: E402  (after the thread settings, which numpy reads when it loads its BLAS)

try:
    from scipy.special import erf as scipy_erf
except ImportError:
    scipy_erf = None

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

KERNELS = {
    "add": ("elementwise", "kernel add<N, D>(a: f32[N, D], b: f32[N, D]) -> f32[N, D] {\n  return a + b\n}\n"),
    "gelu": ("fused", "kernel gelu<N, D>(x: f32[N, D]) -> f32[N, D] {\n  return gelu(x)\n}\n"),
    "softmax": ("fused", "kernel softmax<N, D>(x: f32[N, D]) -> f32[N, D] {\n  let m = max(x, axis: 1)\n"
                         "  let e = exp(x - m)\n  return e / sum(e, axis: 1)\n}\n"),
    "layernorm": ("fused", "kernel layernorm<N, D>(x: f32[N, D], gamma: f32[D], beta: f32[D], eps: f32 = 1e-5) -> f32[N, D] {\n"
                           "  let mu = mean(x, axis: 1)\n  let xc = x - mu\n  let variance = mean(square(xc), axis: 1)\n"
                           "  return xc * rsqrt(variance + eps) * gamma + beta\n}\n"),
    "rmsnorm": ("fused", "kernel rmsnorm<N, D>(x: f32[N, D], w: f32[D], eps: f32 = 1e-6) -> f32[N, D] {\n"
                         "  let ms = mean(square(x), axis: 1)\n  return x * rsqrt(ms + eps) * w\n}\n"),
    "matmul": ("matmul", "kernel matmul<M, K, N>(a: f32[M, K], b: f32[K, N]) -> f32[M, N] {\n  return a @ b\n}\n"),
}
TARGETS = {"elementwise": 1.0, "fused": 2.0, "matmul": 0.5}


def numpy_case(name, dims, rng):
    """A closure computing the kernel in numpy on fresh random f32 inputs of the bound dims."""
    if name == "matmul":
        a = rng.uniform(-1, 1, (dims["M"], dims["K"])).astype(np.float32)
        b = rng.uniform(-1, 1, (dims["K"], dims["N"])).astype(np.float32)
        out = np.empty((dims["M"], dims["N"]), np.float32)
        return lambda: np.matmul(a, b, out=out)
    n, d = dims["N"], dims["D"]
    x = rng.uniform(-1, 1, (n, d)).astype(np.float32)
    y = rng.uniform(-1, 1, (n, d)).astype(np.float32)
    row = rng.uniform(-1, 1, d).astype(np.float32)
    out = np.empty((n, d), np.float32)
    if name == "add":
        return lambda: np.add(x, y, out=out)
    if name == "gelu":
        def gelu():
            np.multiply(x, np.float32(0.7071067811865476), out=out)
            scipy_erf(out, out=out)
            np.add(out, np.float32(1), out=out)
            np.multiply(out, x, out=out)
            np.multiply(out, np.float32(0.5), out=out)
        return gelu
    if name == "softmax":
        def softmax():
            np.subtract(x, x.max(axis=1, keepdims=True), out=out)
            np.exp(out, out=out)
            np.divide(out, out.sum(axis=1, keepdims=True), out=out)
        return softmax
    if name == "layernorm":
        def layernorm():
            np.subtract(x, x.mean(axis=1, keepdims=True), out=out)
            variance = np.mean(np.square(out), axis=1, keepdims=True)
            np.multiply(out, 1 / np.sqrt(variance + np.float32(1e-5)), out=out)
            np.multiply(out, row, out=out)
            np.add(out, row, out=out)
        return layernorm
    if name == "rmsnorm":
        def rmsnorm():
            ms = np.mean(np.square(x), axis=1, keepdims=True)
            np.multiply(x, 1 / np.sqrt(ms + np.float32(1e-6)), out=out)
            np.multiply(out, row, out=out)
        return rmsnorm
    raise ValueError(name)


def numpy_median(function, iterations):
    function()
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def kiln_median(kiln, path, dims, iterations):
    command = [kiln, "bench", path, "--backend", "llvm", "--json", "--iterations", str(iterations)]
    for name, size in dims.items():
        command += ["--dim", f"{name}={size}"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiln", default=os.path.join(ROOT, ".build", "release", "kiln"))
    parser.add_argument("--iterations", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3, help="alternate kiln and numpy this many times per kernel")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    if scipy_erf is None:
        sys.exit("llvm_vs_numpy.py needs scipy (scipy.special.erf is numpy's side of gelu)")
    square = 1024 if args.quick else 4096
    cases = [(name, {"N": square, "D": square}) for name in ("add", "gelu", "softmax", "layernorm", "rmsnorm")]
    cases += [("matmul", {"M": n, "K": n, "N": n}) for n in ((512,) if args.quick else (1024, 2048))]
    rng = np.random.default_rng(1)
    failed = False
    print(f"kiln: {args.kiln}   numpy {np.__version__}   threads {THREADS}   "
          f"best of {args.rounds} alternating rounds, each the median of {args.iterations} runs")
    print(f"{'kernel':<10}{'size':>16}{'kiln ms':>10}{'numpy ms':>10}{'numpy/kiln':>12}{'target':>8}  ")
    with tempfile.TemporaryDirectory() as folder:
        for name, dims in cases:
            kind, text = KERNELS[name]
            path = os.path.join(folder, f"{name}.kiln")
            with open(path, "w") as file:
                file.write(text)
            size = "x".join(str(v) for v in dims.values())
            case = numpy_case(name, dims, rng)
            kiln_times, numpy_times = [], []
            try:
                for _ in range(args.rounds):
                    kiln_times.append(kiln_median(args.kiln, path, dims, args.iterations)["median_seconds"])
                    numpy_times.append(numpy_median(case, args.iterations))
            except RuntimeError as error:
                print(f"{name:<10}{size:>16}  FAILED\n{error}")
                failed = True
                continue
            kiln, reference = min(kiln_times), min(numpy_times)
            ratio = reference / kiln
            target = TARGETS[kind]
            verdict = "ok" if ratio >= target else "below target"
            print(f"{name:<10}{size:>16}{kiln * 1e3:>10.2f}{reference * 1e3:>10.2f}{ratio:>11.2f}x{target:>7.1f}x  {verdict}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
