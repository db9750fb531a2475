# test_tune.py: `kiln tune` as a user runs it: cache answers, --tuned replays, two tuners at once, errors.
import json
import sqlite3
import subprocess

from kiln_helpers import EXAMPLES, KILN, requires_kiln

MATMUL = str(EXAMPLES / "matmul.kiln")
SOFTMAX = str(EXAMPLES / "softmax.kiln")
SMALL_MATMUL = ["--dim", "M=128", "--dim", "K=256", "--dim", "N=256"]
SMALL_SOFTMAX = ["--dim", "N=128", "--dim", "D=256"]


def kiln(*args, cache, check=True):
    proc = subprocess.run([KILN, *args], capture_output=True, text=True, env={"KILN_CACHE_DIR": str(cache), "HOME": str(cache)})
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def field(output, name):
    """The value of a `name   value` line of kiln tune's report."""
    for line in output.splitlines():
        if line.startswith(name + " "):
            return line[len(name):].strip()
    raise AssertionError(f"no '{name}' line in:\n{output}")


@requires_kiln
def test_a_second_tune_answers_from_the_cache_and_tuned_replays_the_time(tmp_path):
    first = kiln("tune", MATMUL, *SMALL_MATMUL, "--budget", "6", "--seed", "2", cache=tmp_path)
    assert "stored in" in first.stdout
    second = kiln("tune", MATMUL, *SMALL_MATMUL, "--budget", "6", "--seed", "2", cache=tmp_path)
    assert "cached" in second.stdout
    assert field(second.stdout, "pipeline") == field(first.stdout, "pipeline")
    # `run --tuned` simulates the cached pipeline: exactly the tuned time.
    stats = tmp_path / "stats.json"
    run = kiln("run", MATMUL, *SMALL_MATMUL, "--backend", "sim", "--timing-only", "--tuned", "--stats-json", str(stats),
               cache=tmp_path)
    assert "using the tuned pipeline" in run.stderr
    tuned_ms = float(field(first.stdout, "best").split()[0])
    assert abs(json.loads(stats.read_text())["seconds"] * 1e3 - tuned_ms) < 1e-4
    # `build --tuned` compiles with it; `build --passes PIPELINE` gives the same IR.
    tuned_ir = kiln("build", MATMUL, *SMALL_MATMUL, "--emit", "tile-ir", "--tuned", cache=tmp_path).stdout
    replay_ir = kiln("build", MATMUL, *SMALL_MATMUL, "--emit", "tile-ir", "--passes", field(first.stdout, "pipeline"),
                     cache=tmp_path).stdout
    assert tuned_ir == replay_ir


@requires_kiln
def test_two_tuners_at_once_leave_the_cache_consistent(tmp_path):
    procs = [
        subprocess.Popen([KILN, "tune", MATMUL, *SMALL_MATMUL, "--budget", "5", "--jobs", "1"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env={"KILN_CACHE_DIR": str(tmp_path), "HOME": str(tmp_path)}),
        subprocess.Popen([KILN, "tune", SOFTMAX, *SMALL_SOFTMAX, "--budget", "5", "--jobs", "1"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env={"KILN_CACHE_DIR": str(tmp_path), "HOME": str(tmp_path)}),
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    with sqlite3.connect(tmp_path / "tune.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        kernels = sorted(row[0] for row in db.execute("SELECT kernel FROM tuned"))
    assert kernels == ["matmul", "softmax"]
    listing = kiln("tune", "--show", cache=tmp_path).stdout
    assert "2 entries" in listing and "matmul [M=128,K=256,N=256]" in listing and "softmax [N=128,D=256]" in listing


@requires_kiln
def test_score_batch_scores_pipelines_given_as_json(tmp_path):
    proc = subprocess.run([KILN, "tune", MATMUL, *SMALL_MATMUL, "--score-batch"],
                          input=json.dumps(["inline,fuse,tile,dce,allocate,schedule", "tile{tile_m=999}"]),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    good, bad = json.loads(proc.stdout)
    assert good["seconds"] > 0 and "error" not in good
    assert "seconds" not in bad and "tile_m" in bad["error"]


@requires_kiln
def test_bad_arguments_and_a_bad_cache_are_errors_not_crashes(tmp_path):
    for args in (["--budget", "0"], ["--jobs", "0"], ["--time", "-1"], ["--budget", "3", "--time", "2"], ["--strategy", "magic"]):
        proc = kiln("tune", MATMUL, *args, cache=tmp_path, check=False)
        assert proc.returncode != 0 and "error" in proc.stderr.lower(), (args, proc.stderr)
    (tmp_path / "tune.sqlite3").write_text("not a database, but text long enough to look like a header")
    proc = kiln("tune", MATMUL, *SMALL_MATMUL, "--budget", "2", cache=tmp_path, check=False)
    assert proc.returncode == 1 and "kiln: error:" in proc.stderr and "not a usable database" in proc.stderr
    proc = kiln("tune", MATMUL, *SMALL_MATMUL, "--budget", "2", "--no-cache", "--ray", "127.0.0.1:9", cache=tmp_path, check=False)
    assert proc.returncode == 1 and "kiln: error:" in proc.stderr and "Ray" in proc.stderr
