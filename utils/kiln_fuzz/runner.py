"""runner.py: runs one generated program through `kiln check`, `kiln verify` and `kiln run`, and classifies the outcome."""
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field

from .numerics import load_output, mismatches
from .numpy_eval import Evaluator

AGREED, REJECTED, COMPILE, DISAGREE, CRASH, HANG = "agreed", "rejected", "compile-failure", "disagreement", "crash", "hang"
BACKENDS = ("ref", "sim", "llvm")


@dataclass
class Outcome:
    """What happened to one program. `signature` identifies the failure for reduction: two programs with
    the same signature fail the same way."""
    kind: str
    signature: tuple = ()
    detail: str = ""
    logs: list = field(default_factory=list)


def run_tool(args, timeout):
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                              env=dict(os.environ, NO_COLOR="1", TERM="dumb"))
        return proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as error:
        out = (error.stdout or b"") + (error.stderr or b"")
        return None, out.decode(errors="replace") if isinstance(out, bytes) else out


def first_error(text):
    """The first error line and its diagnostic id, without the path and numbers (a stable signature)."""
    for line in text.splitlines():
        m = re.search(r"error: (.*?)(?: \[(K\d+)\])?$", line)
        if m and not re.search(r"does not compile to|produced no outputs", line):
            message = re.sub(r"\S*kernel\.kiln(:\d+)*", "kernel.kiln", m.group(1))
            message = re.sub(r"[-+]?\d[\d.e+-]*", "#", re.sub(r"'[^']*'", "'_'", message))
            return m.group(2) or "", message[:120], line.strip()
    return "", "", text.strip().splitlines()[-1] if text.strip() else ""


class Runner:
    def __init__(self, kiln, seed=1, timeout=60.0, numpy_check=True):
        self.kiln = kiln
        self.seed = seed
        self.timeout = timeout
        self.numpy_check = numpy_check

    def classify(self, program, keep_dir=None):
        with tempfile.TemporaryDirectory(prefix="kiln-fuzz-") as work:
            return self._classify(program, keep_dir or work)

    def _abnormal(self, step, code, text, logs):
        """A crash or hang outcome for exit code `code`, or None when `code` is 0 or 1."""
        if code is None:
            return Outcome(HANG, (HANG, step), f"{step}: no exit after {self.timeout:.0f} s", logs)
        if code not in (0, 1):
            tail = text.strip().splitlines()[-1] if text.strip() else ""
            return Outcome(CRASH, (CRASH, step, code), f"{step}: exit {code}: {tail}", logs)
        return None

    def _classify(self, program, work):
        path = os.path.join(work, "kernel.kiln")
        with open(path, "w") as f:
            f.write(program.render())
        logs = []
        dtypes = program.dtype_flags()   # a generic program is checked and run at the dtype it was made for
        code, text = run_tool([self.kiln, "check", "--show-ids", path] + dtypes, self.timeout)
        logs.append(("check", code, text))
        bad = self._abnormal("check", code, text, logs)
        if bad:
            return bad
        if code == 1:
            kid, message, line = first_error(text)
            return Outcome(REJECTED, (REJECTED, kid, message), line, logs)
        target = ["--target", program.target] + dtypes
        code, text = run_tool([self.kiln, "verify", "--show-ids", "--seed", str(self.seed), path] + target + program.pass_flags(),
                              self.timeout * 3)
        logs.append(("verify", code, text))
        if code != 0:
            return self._explain_verify(path, target, code, text, logs, program.pass_flags())
        if program.form == "tensor" and self.numpy_check:
            return self._numpy(program, path, work, logs)
        return Outcome(AGREED, logs=logs)

    def _explain_verify(self, path, target, code, text, logs, passes=()):
        """verify failed: rerun each backend alone to tell a crash, hang or compile failure from a disagreement."""
        for backend in BACKENDS:
            out = os.path.join(os.path.dirname(path), f"out-{backend}")
            args = [self.kiln, "run", "--show-ids", path, "--backend", backend, "--random", str(self.seed),
                    "--output-dir", out] + (target + list(passes) if backend != "ref" else target[2:])
            bcode, btext = run_tool(args, self.timeout)
            logs.append((f"run {backend}", bcode, btext))
            bad = self._abnormal(f"run {backend}", bcode, btext, logs)
            if bad:
                return bad
            if bcode == 1:
                kid, message, line = first_error(btext)
                return Outcome(COMPILE, (COMPILE, backend, kid, message), f"{backend}: {line}", logs)
        bad = self._abnormal("verify", code, text, logs)
        if bad:
            return bad
        pairs = sorted(set(re.findall(r"(ref|sim|llvm) and (ref|sim|llvm)", text)))
        outputs = sorted(set(re.findall(r"output '([^']+)'", text)))
        kid, _, line = first_error(text)
        return Outcome(DISAGREE, (DISAGREE, tuple(pairs)), f"{', '.join(outputs)}: {line}", logs)

    def _numpy(self, program, path, work, logs):
        out = os.path.join(work, "out-ref")
        code, text = run_tool([self.kiln, "run", path, "--backend", "ref", "--random", str(self.seed),
                               "--output-dir", out] + program.dtype_flags(), self.timeout)
        logs.append(("run ref", code, text))
        bad = self._abnormal("run ref", code, text, logs)
        if bad or code == 1:
            return bad or Outcome(COMPILE, (COMPILE, "ref") + first_error(text)[:2], first_error(text)[2], logs)
        expected = Evaluator(program, self.seed).run()
        for result, (values, dtype) in expected.items():
            got = load_output(os.path.join(out, f"{result}.npy"), dtype)
            if got.shape != values.shape:
                return Outcome(DISAGREE, (DISAGREE, ("numpy", "ref"), "shape"),
                               f"{result}: shape {got.shape} vs numpy {values.shape}", logs)
            bad_at = mismatches(values, got, dtype, steps=4.0)
            if len(bad_at):
                i = tuple(int(x) for x in bad_at[0])
                detail = (f"{result} ({dtype}): {len(bad_at)} of {values.size} elements differ; "
                          f"at {list(i)}: numpy {values[i]!r} vs ref {got[i]!r}")
                return Outcome(DISAGREE, (DISAGREE, ("numpy", "ref")), detail, logs)
        return Outcome(AGREED, logs=logs)
