#!/usr/bin/env python3
"""update-golden.py: regenerate the FileCheck lines of Kiln golden tests from kiln's actual output, on purpose.

Usage
-----
    utils/update-golden.py [--kiln PATH] [--check] FILE_OR_DIR...
    make golden-update FILES="Tests/golden/diagnostics/unknown-name.kiln Tests/golden/ast"

Review the result with `git diff` before committing: the point of golden tests is
that a changed output is seen and judged by a person, never accepted blindly.

For each test file (directories are searched for *.kiln, *.tir and *.test files
that have a `RUN:` line), every RUN line that pipes into FileCheck is run with
the pipe into FileCheck removed:

  - substitutions: %kiln (from --kiln, $KILN, or .build/{debug,release}/kiln),
    %examples, %s, %S, %p, %t, %T, %%; a leading `not` is dropped (the exit
    code is not checked here, lit checks it);
  - the command runs under bash from the test's directory; its stdout (the RUN
    line's own `2>&1` decides whether stderr is included) becomes the new checks.

The check prefix is the one the RUN line gives FileCheck (`--check-prefix=P`,
the first of `--check-prefixes=P,Q`), else CHECK. Two schemes, chosen by the
output's first non-empty line:

  Diagnostics (it looks like `path:L:C: error: msg`): one plain check per
  diagnostic header line (errors, warnings, notes), in order, with the directory
  replaced by {{.*}}:
        // CHECK: {{.*}}unknown-name.kiln:3:9: error: unknown name 'y'
  The echoed source line and caret line under each are not checked.

  Dumps (anything else: AST, tile IR, disassembly): the first line as
  `CHECK:`, every following line as `CHECK-NEXT:` (empty lines `CHECK-EMPTY:`),
  so the whole output is pinned line by line. Absolute paths of the test's
  folder and of the repository become {{.*}}.

Text that FileCheck would read as a regex or variable (`{{`, `[[`) is escaped.
The new checks replace the old ones of that prefix where the first old one
stood, or are appended at the end of the file (which keeps the line numbers of
a diagnostics test stable). Every other line is kept as it is. Because adding or
removing lines can move the source a diagnostic points at, the command is run
again until the file no longer changes (at most 3 rounds).

Hand-written directives (-NOT, -DAG, -LABEL, -SAME, -COUNT) of a prefix cannot
be regenerated: such a file is left alone (an error if it was named explicitly;
use another prefix for the generated checks, or edit it by hand).

Prints `updated:`, `unchanged:` or `skipped:` per file; exits 1 if a file
could not be processed, or with --check if any file would change.
"""

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
TEST_SUFFIXES = (".kiln", ".tir", ".test")
RUN_RE = re.compile(r"^\s*(?P<comment>//|#|;)\s*RUN:\s?(?P<cmd>.*)$")
DIAG_RE = re.compile(
    r"^(?P<path>\S*?)(?P<base>[^/\s:]+):(?:(?P<line>\d+):(?P<col>\d+):)? "
    r"(?P<sev>error|warning|note|remark): (?P<msg>.*)$"
)
FILECHECK_RE = re.compile(r"^\s*(?:\S*/)?FileCheck(?:\s|$)")
OWNED_SUFFIXES = ("", "-NEXT", "-EMPTY")
HAND_SUFFIXES = ("-NOT", "-DAG", "-LABEL", "-SAME", "-COUNT")


class GoldenError(Exception):
    pass


class HandWritten(GoldenError):
    """The file's checks are hand-written; skipped quietly when it was found by a folder walk."""


def find_kiln(explicit):
    if explicit:
        return os.path.abspath(explicit)
    if os.environ.get("KILN"):
        return os.path.abspath(os.environ["KILN"])
    for config in ("debug", "release"):
        candidate = os.path.join(REPO_ROOT, ".build", config, "kiln")
        if os.access(candidate, os.X_OK):
            return candidate
    raise GoldenError("no kiln binary: pass --kiln PATH or set KILN (make golden-update does this)")


def collect(paths):
    """Returns (path, named) pairs: named is True for a file given on the command line."""
    files = []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d != "Output")
                for name in sorted(names):
                    full = os.path.join(root, name)
                    if name.endswith(TEST_SUFFIXES) and has_run_line(full):
                        files.append((full, False))
        elif os.path.isfile(path):
            files.append((path, True))
        else:
            raise GoldenError(f"{path}: no such file or directory")
    return files


def has_run_line(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return any(RUN_RE.match(line) for line in f)


def run_lines(lines):
    """Yields (comment marker, command) for each RUN command, joining `\\` continuations."""
    pending, marker = None, None
    for line in lines:
        m = RUN_RE.match(line)
        if not m:
            continue
        cmd = m.group("cmd").rstrip()
        pending = cmd if pending is None else pending + " " + cmd
        marker = marker or m.group("comment")
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
            continue
        yield marker, pending
        pending, marker = None, None


def split_filecheck(command):
    """Splits `cmd | FileCheck args` into (cmd, prefix); None if the command does not end in FileCheck."""
    parts = command.split("|")
    if len(parts) < 2 or not FILECHECK_RE.match(parts[-1]):
        return None
    prefix = "CHECK"
    for arg in shlex.split(parts[-1])[1:]:
        m = re.match(r"--?check-prefix(?:es)?=(.+)", arg)
        if m:
            prefix = m.group(1).split(",")[0]
    return "|".join(parts[:-1]).strip(), prefix


def substitute(command, path, kiln, tmpdir):
    command = re.sub(r"^\s*not\s+(--crash\s+)?", "", command)
    test_dir = os.path.dirname(path)
    tmp = os.path.join(tmpdir, os.path.basename(path) + ".tmp")
    table = {
        "%kiln": kiln, "%examples": os.path.join(REPO_ROOT, "Examples"),
        "%s": path, "%S": test_dir, "%p": test_dir, "%t": tmp, "%T": tmpdir, "%%": "%",
    }
    pattern = re.compile("|".join(re.escape(k) for k in sorted(table, key=len, reverse=True)))
    return pattern.sub(lambda m: table[m.group(0)], command)


def escape(text):
    """Makes literal text safe as a FileCheck pattern."""
    text = text.replace("{{", "{{[{][{]}}").replace("[[", "{{[[][[]}}")
    return text


def checks_for(output, prefix, marker, path):
    lines = output.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    first = next((l for l in lines if l.strip()), None)
    if first is None:
        raise GoldenError(f"{path}: the command printed nothing; write a check for empty output by hand")
    if DIAG_RE.match(first):
        out = []
        for line in lines:
            m = DIAG_RE.match(line)
            if not m:
                continue  # the echoed source line and the caret line
            where = f"{m.group('base')}:{m.group('line')}:{m.group('col')}" if m.group("line") else m.group("base")
            pattern = "{{.*}}" + escape(f"{where}: {m.group('sev')}: {m.group('msg')}")
            out.append(f"{marker} {prefix}: {pattern}")
        return out
    roots = sorted({os.path.dirname(os.path.abspath(path)), REPO_ROOT}, key=len, reverse=True)
    out = []
    for i, line in enumerate(lines):
        text = escape(line.rstrip())
        for root in roots:
            text = text.replace(root + "/", "{{.*}}")
        if i == 0:
            out.append(f"{marker} {prefix}: {text}" if text.strip() else f"{marker} {prefix}: {{{{^$}}}}")
        elif not line.strip():
            out.append(f"{marker} {prefix}-EMPTY:")
        else:
            out.append(f"{marker} {prefix}-NEXT: {text}")
    return out


def directive_re(prefix, suffixes):
    alternatives = "|".join(re.escape(s) for s in suffixes)
    return re.compile(rf"^\s*(//|#|;)\s*{re.escape(prefix)}(?:{alternatives}):")


def rewrite(lines, prefix, new_checks):
    owned = directive_re(prefix, OWNED_SUFFIXES)
    kept, insert_at = [], None
    for line in lines:
        if owned.match(line):
            if insert_at is None:
                insert_at = len(kept)
            continue
        kept.append(line)
    block = [c + "\n" for c in new_checks]
    if insert_at is None:
        if kept and not kept[-1].endswith("\n"):
            kept[-1] += "\n"
        return kept + block
    return kept[:insert_at] + block + kept[insert_at:]


def update_once(path, kiln):
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    commands = []
    for marker, command in run_lines(lines):
        split = split_filecheck(command)
        if split:
            commands.append((marker, split[0], split[1]))
    if not commands:
        raise GoldenError(f"{path}: no RUN line pipes into FileCheck")
    seen = {}
    for marker, command, prefix in commands:
        hand = directive_re(prefix, HAND_SUFFIXES)
        if any(hand.match(line) for line in lines):
            raise HandWritten(f"{path}: has hand-written {prefix}-NOT/-DAG/-LABEL/-SAME/-COUNT lines; edit it by hand")
        with tempfile.TemporaryDirectory(prefix="kiln-golden-") as tmpdir:
            shell = substitute(command, os.path.abspath(path), kiln, tmpdir)
            result = subprocess.run(["bash", "-c", shell], cwd=os.path.dirname(os.path.abspath(path)),
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    timeout=120)
        if result.returncode >= 128 or result.returncode < 0:
            raise GoldenError(f"{path}: `{shell}` crashed (exit {result.returncode}): {result.stderr.decode(errors='replace')[:400]}")
        new_checks = checks_for(result.stdout.decode("utf-8", errors="replace"), prefix, marker, path)
        if prefix in seen and seen[prefix] != new_checks:
            raise GoldenError(f"{path}: two RUN lines check prefix {prefix} with different outputs; give them distinct prefixes")
        seen[prefix] = new_checks
        lines = rewrite(lines, prefix, new_checks)
    return "".join(lines)


def write_atomically(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".golden-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def update(path, kiln, check_only):
    """Runs rounds until the checks settle; the file ends as it was (check_only, or on error) or updated."""
    with open(path, encoding="utf-8") as f:
        original = f.read()
    current = original
    try:
        for _ in range(3):
            if current != original:
                write_atomically(path, current)  # the commands must see the lines as they will be
            updated = update_once(path, kiln)
            if updated == current:
                break
            current = updated
        else:
            raise GoldenError(f"{path}: checks do not settle after 3 rounds (does the output depend on them?)")
    except BaseException:
        if current != original:
            write_atomically(path, original)  # never leave a half-updated file behind
        raise
    if check_only and current != original:
        write_atomically(path, original)
    return current != original


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="FILE_OR_DIR", help="golden test files or folders of them")
    parser.add_argument("--kiln", help="kiln binary (default: $KILN, else .build/debug/kiln or .build/release/kiln)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if any file would change")
    args = parser.parse_args(argv)
    try:
        kiln = find_kiln(args.kiln)
        if not os.access(kiln, os.X_OK):
            raise GoldenError(f"{kiln}: not an executable kiln binary")
        files = collect(args.paths)
    except GoldenError as e:
        print(f"update-golden: error: {e}", file=sys.stderr)
        return 1
    failed = changed = hand = 0
    for path, named in files:
        try:
            did_change = update(path, kiln, args.check)
        except HandWritten as e:
            if named:
                print(f"skipped: {e}", file=sys.stderr)
                failed += 1
            else:
                print(f"hand-written, left alone: {path}")
                hand += 1
            continue
        except GoldenError as e:
            print(f"skipped: {e}", file=sys.stderr)
            failed += 1
            continue
        except (OSError, subprocess.TimeoutExpired) as e:
            print(f"skipped: {path}: {e}", file=sys.stderr)
            failed += 1
            continue
        changed += did_change
        verb = ("would update" if args.check else "updated") if did_change else "unchanged"
        print(f"{verb}: {path}")
    print(f"{changed} changed, {len(files) - changed - failed - hand} unchanged, {hand} hand-written, {failed} skipped")
    if not args.check and changed:
        print("review with: git diff -- " + " ".join(args.paths))
    return 1 if failed or (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
