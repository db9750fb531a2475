# test_cli_regressions.py: CLI behaviour issue 17 found wrong: exit codes and repeated diagnostics.
import subprocess

from kiln_helpers import EXAMPLES, KILN, requires_kiln

pytestmark = requires_kiln


def kiln(*args):
    return subprocess.run([KILN, *map(str, args)], capture_output=True, text=True)


def test_dim_size_beyond_64_bits_is_an_input_error_with_exit_1():
    # Item 18: ArgumentParser used to reject it as a usage error (exit 64).
    proc = kiln("run", EXAMPLES / "add.kiln", "--backend", "ref", "--random", "1", "--dim", "N=100000000000000000000")
    assert proc.returncode == 1, proc.stderr
    assert "--dim N=100000000000000000000: the size does not fit in 64 bits" in proc.stderr


def test_verify_reports_a_front_end_error_once(tmp_path):
    # Item 18: verify ran ref, sim and llvm and printed the same checker error once per backend.
    source = tmp_path / "bad.kiln"
    source.write_text("kernel k<N = 4>(x: f32[N]) -> f32[N] {\n  return y\n}\n")
    proc = kiln("verify", source)
    assert proc.returncode == 1
    assert proc.stderr.count("undefined name 'y'") + proc.stdout.count("undefined name 'y'") == 1, proc.stderr
