"""kiln: compile Kiln kernels and run them on numpy arrays in-process (ref, sim, llvm), through libKiln's C API.

    import kiln, numpy as np
    k = kiln.compile("Examples/softmax.kiln", dims={"N": 300})
    y = k(x)                          # sim by default; backend="llvm" | "ref"
    r = k.run(x)                      # r.outputs, r.stats, r.report("report.html")
    k.verify(x)                       # ref = sim = llvm, or kiln.VerifyError
"""
from ._errors import CompileError, Diagnostic, FileError, InputError, KilnError, RunError, UsageError, VerifyError
from ._kernel import Kernel, Result, Value, compile, compile_source
from ._lib import library_path

__all__ = ["compile", "compile_source", "Kernel", "Result", "Value", "Diagnostic", "KilnError", "CompileError",
           "InputError", "RunError", "VerifyError", "UsageError", "FileError", "library_path"]
__version__ = "0.1.0"
