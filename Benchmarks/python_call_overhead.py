#!/usr/bin/env python3
"""python_call_overhead.py: `k(x)` from Python (libKiln in-process) against the CLI round trip, same kernel and input.

Usage:  python3 Benchmarks/python_call_overhead.py [--kiln .build/release/kiln] [--library PATH/libKiln.so] [--calls 50]

Workload: Examples/softmax.kiln on a 128 x 512 float32 input, on the simulator (the default backend of both).
  - in-process: k = kiln.compile(...) once, one untimed call, then --calls calls of k(x), each timed: binding the
    input, the simulation (the bytecode compiled on the first call is reused), the output as a numpy array;
  - CLI round trip (the baseline, in this same script): what a Python user of the CLI does per call: np.save the
    input, `kiln run Examples/softmax.kiln --backend sim --input x=x.npy --output-dir DIR`, np.load the output;
    the process alone is printed too.
  They alternate in blocks of ten calls, so both see the same load when the machine is shared.
Prints the median of each and the ratio CLI / in-process (target: >= 10). Both outputs are checked to be equal.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "Examples", "softmax.kiln")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kiln", default=os.path.join(ROOT, ".build", "release", "kiln"))
    parser.add_argument("--library", help="libKiln.so (default: next to --kiln, else $KILN_LIBRARY)")
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    library = args.library or os.path.join(os.path.dirname(os.path.abspath(args.kiln)), "libKiln.so")
    if not os.path.isfile(library):
        sys.exit(f"python_call_overhead: no libKiln at {library}: swift build -c release --product Kiln (or --library)")
    os.environ["KILN_LIBRARY"] = library
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import kiln

    x = np.random.default_rng(1).standard_normal((128, 512)).astype(np.float32)
    k = kiln.compile(EXAMPLE)
    expected = k(x)
    in_process, round_trip, process = [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        path, out = os.path.join(scratch, "x.npy"), os.path.join(scratch, "out")
        command = [args.kiln, "run", EXAMPLE, "--backend", "sim", "--input", f"x={path}", "--output-dir", out]
        # Blocks of ten calls of each, alternating, so both see the same load when the machine is shared, while
        # k(x) still runs as a loop of calls does (warm caches, the simulator's helper threads awake).
        for block in range(0, args.calls, 10):
            for _ in range(min(10, args.calls - block)):
                start = time.perf_counter()
                y = k(x)
                in_process.append(time.perf_counter() - start)
            for _ in range(min(10, args.calls - block)):
                start = time.perf_counter()
                np.save(path, x)
                begun = time.perf_counter()
                done = subprocess.run(command, capture_output=True, text=True)
                process.append(time.perf_counter() - begun)
                if done.returncode != 0:
                    sys.exit(f"failed: {' '.join(command)}\n{done.stderr}")
                cli = np.load(os.path.join(out, "out.npy"))
                round_trip.append(time.perf_counter() - start)
    np.testing.assert_array_equal(y, expected)
    np.testing.assert_array_equal(cli, expected)

    fast, slow = statistics.median(in_process), statistics.median(round_trip)
    print(f"softmax 128x512 f32 on sim, median of {args.calls} calls each ({library})")
    print(f"  k(x) in-process      {fast * 1e3:9.3f} ms")
    print(f"  CLI round trip       {slow * 1e3:9.3f} ms   (kiln run process alone {statistics.median(process) * 1e3:.3f} ms)")
    print(f"  ratio CLI / k(x)     {slow / fast:9.1f}x   (target >= 10x: {'met' if slow / fast >= 10 else 'NOT met'})")


if __name__ == "__main__":
    main()
