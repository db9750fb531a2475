# lit.cfg.py: lit configuration for Kiln's golden tests (lit + FileCheck, RUN lines in each test file).
#
# Run:  lit -v Tests/golden --param kiln=/path/to/kiln      (or KILN=/path/to/kiln lit -v Tests/golden)
# `make test` builds kiln and passes its path. Substitutions available in RUN lines:
#   %kiln      the kiln binary under test         %examples  the repo's Examples/ folder
#   FileCheck  LLVM 19's FileCheck      not   LLVM 19's `not` (inverts an exit code)
#   %s, %t, %S ... the usual lit ones
import os

import lit.formats

config.name = "kiln-golden"
config.test_format = lit.formats.ShTest(execute_external=False)
# Every .kiln/.tir/.test file under here is a test (it needs a RUN line); files a test only reads
# go in an Inputs/ folder, which lit skips.
config.suffixes = [".kiln", ".tir", ".test"]
config.excludes = ["Output", "Inputs", "lit.cfg.py", "README.md"]

config.test_source_root = os.path.dirname(os.path.abspath(__file__))
repo_root = os.path.abspath(os.path.join(config.test_source_root, "..", ".."))
# Keep Output/ scratch dirs and lit's timing file out of the source tree.
config.test_exec_root = os.path.join(repo_root, ".build", "golden")

llvm_bin = lit_config.params.get("llvm_bin", os.environ.get("LLVM_BIN", "/usr/lib/llvm-19/bin"))


def require_tool(path, what, hint):
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        lit_config.fatal(f"{what} not found at {path}; {hint}")
    return path


kiln = lit_config.params.get("kiln") or os.environ.get("KILN")
if not kiln:
    lit_config.fatal("no kiln binary given: run `make test`, or pass --param kiln=PATH (or set KILN=PATH)")
kiln = require_tool(os.path.abspath(kiln), "kiln", "build it with `swift build --product kiln`")
filecheck = require_tool(os.path.join(llvm_bin, "FileCheck"), "FileCheck", "run `make deps`")
not_tool = require_tool(os.path.join(llvm_bin, "not"), "not", "run `make deps`")

config.substitutions.append(("%kiln", kiln))
config.substitutions.append(("%examples", os.path.join(repo_root, "Examples")))
# `FileCheck` and `not` in RUN lines resolve to LLVM 19's tools, whatever PATH holds. `not` is
# replaced only where it starts a command (line start, after lit's %dbg(...) marker, `| `, `; `, `&& `),
# so the word inside a quoted string or a CHECK pattern is left alone.
config.substitutions.append((r"(?<![\w./-])FileCheck(?![\w.-])", filecheck))
config.substitutions.append((r"(?:^|(?<=\))|(?<=\|)|(?<=;)|(?<=&))\s*not(?=\s)", " " + not_tool))

# A stable environment: no colour, fixed locale; keep PATH for the shell builtins.
config.environment["PATH"] = os.pathsep.join([llvm_bin, os.environ.get("PATH", "")])
config.environment["LC_ALL"] = "C"
config.environment["NO_COLOR"] = "1"
config.environment["TERM"] = "dumb"
