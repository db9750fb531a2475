#!/usr/bin/env python3
"""tune_ray.py: wall time of a 2,000-candidate `kiln tune` sweep on local cores against the same sweep on Ray.

Usage:  python3 Benchmarks/tune_ray.py [--kiln .build/release/kiln] [--budget 2000] [--ray ADDRESS]

In this one script:
  - local:  `kiln tune Examples/matmul.kiln --dim M=1024 --dim K=2048 --dim N=2048 --strategy random
             --budget 2000 --seed 11 --no-cache` on every core of this machine (the baseline);
  - ray:    the same command with `--ray ADDRESS`; without --ray the script starts a Ray head on the loopback
            address with as many CPUs as this machine has (`ray start --head`) and stops it afterwards;
and prints both wall times, their ratio, and whether both found the same best schedule (they must: the
search depends only on the seed). On one machine Ray adds overhead (one `kiln` process per share and batch);
its point is a cluster of many machines, where the same command scales with the cluster's CPUs.
Not a timed test: it reports, it does not assert a speed.
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tune(kiln, extra, cache):
    args = [kiln, "tune", os.path.join(ROOT, "Examples", "matmul.kiln"), "--dim", "M=1024", "--dim", "K=2048",
            "--dim", "N=2048", "--strategy", "random", "--seed", "11", "--no-cache"] + extra
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ, KILN_CACHE_DIR=cache))
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"kiln tune failed: {done.stderr}")
    lines = dict(line.split(None, 1) for line in done.stdout.splitlines() if " " in line)
    return elapsed, lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiln", default=os.path.join(ROOT, ".build", "release", "kiln"))
    parser.add_argument("--budget", type=int, default=2000)
    parser.add_argument("--ray", help="a running cluster's address; default: start a local head")
    args = parser.parse_args()
    kiln = os.path.abspath(args.kiln)
    cores = os.cpu_count() or 1
    ray = shutil.which("ray") or os.path.join(os.path.dirname(sys.executable), "ray")
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    address, started_head = args.ray, False
    if address is None:
        port = free_port()
        subprocess.run([ray, "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}", f"--num-cpus={cores}",
                        "--include-dashboard=false", "--disable-usage-stats"], check=True, capture_output=True, env=env)
        address, started_head = f"127.0.0.1:{port}", True
    try:
        with tempfile.TemporaryDirectory() as cache:
            budget = ["--budget", str(args.budget)]
            local_s, local = tune(kiln, budget + ["--jobs", str(cores)], cache)
            ray_s, distributed = tune(kiln, budget + ["--ray", address], cache)
    finally:
        if started_head:
            subprocess.run([ray, "stop", "--force"], capture_output=True, env=env)
    print(f"sweep: {local['searched'].split(',')[0]}, Examples/matmul.kiln M=1024 K=2048 N=2048, trn1, "
          f"{cores} core(s) on this machine")
    print(f"local ({cores} threads)       {local_s:8.2f} s   best {local['best']}")
    print(f"ray   ({address})  {ray_s:8.2f} s   best {distributed['best']}")
    print(f"ray / local wall time: {ray_s / local_s:.2f}x")
    same = local["pipeline"] == distributed["pipeline"]
    print(f"same best schedule: {'yes' if same else 'NO'}  ({local['pipeline']})")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
