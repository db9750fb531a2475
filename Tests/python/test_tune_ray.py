# test_tune_ray.py: `kiln tune --ray` against a local Ray head with two worker processes: the same best as local.
import os
import shutil
import socket
import subprocess
import sys

import pytest

from kiln_helpers import EXAMPLES, KILN, requires_kiln

MATMUL = str(EXAMPLES / "matmul.kiln")
SMALL = ["--dim", "M=128", "--dim", "K=256", "--dim", "N=256"]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def ray_head(tmp_path):
    """`ray start --head` on the loopback address with two CPUs (two worker processes); stopped afterwards."""
    ray = shutil.which("ray") or os.path.join(os.path.dirname(sys.executable), "ray")
    port = free_port()
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    start = subprocess.run([ray, "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=2",
                            "--include-dashboard=false", "--disable-usage-stats"],
                           capture_output=True, text=True, env=env, timeout=180)
    assert start.returncode == 0, start.stdout + start.stderr
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([ray, "stop", "--force"], capture_output=True, text=True, env=env, timeout=120)


def pipeline_of(output):
    return next(line for line in output.splitlines() if line.startswith("pipeline ")).split(None, 1)[1]


@requires_kiln
def test_ray_finds_the_same_best_schedule_as_local(ray_head, tmp_path):
    args = [KILN, "tune", MATMUL, *SMALL, "--strategy", "anneal", "--budget", "20", "--seed", "4", "--no-cache"]
    env = dict(os.environ, KILN_CACHE_DIR=str(tmp_path))
    local = subprocess.run(args + ["--jobs", "2"], capture_output=True, text=True, env=env, timeout=600)
    assert local.returncode == 0, local.stderr
    distributed = subprocess.run(args + ["--ray", ray_head], capture_output=True, text=True, env=env, timeout=600)
    assert distributed.returncode == 0, distributed.stderr
    assert pipeline_of(distributed.stdout) == pipeline_of(local.stdout)
    best = lambda out: next(line for line in out.splitlines() if line.startswith("best "))
    assert best(distributed.stdout) == best(local.stdout)
