# test_capi.py: builds Tests/capi/kiln_capi_test.c with `cc` against kiln.h and libKiln.so, and runs it.
import os
import pathlib
import shutil
import subprocess

import pytest

import kiln
from api_support import EXAMPLES, REPO, requires_library

pytestmark = [requires_library, pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler (cc)")]


def test_c_program_compiles_and_runs_kernels(tmp_path):
    library = kiln.library_path().resolve()
    program = tmp_path / "kiln_capi_test"
    build = subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", str(REPO / "Sources/CKiln/include"),
                            str(REPO / "Tests/capi/kiln_capi_test.c"), "-L", str(library.parent), "-lKiln",
                            f"-Wl,-rpath,{library.parent}", "-lpthread", "-lm", "-o", str(program)],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    environment = {key: value for key, value in os.environ.items() if key != "KILN_LLVM_BACKEND"}
    run = subprocess.run([str(program), str(EXAMPLES), str(tmp_path)], capture_output=True, text=True, env=environment,
                         timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 failure(s)" in run.stdout and run.stdout.count("\nok ") >= 50, run.stdout
    report = pathlib.Path(tmp_path / "capi_report.html").read_text()
    assert "kiln-track" in report and (tmp_path / "capi_trace.json").stat().st_size > 0
