"""_kernel.py: kiln.compile / compile_source, a compiled Kernel (call, run, verify) and the Result of a run."""
import collections
import dataclasses
import json
import keyword
import os

from . import _arrays, _errors, _lib


@dataclasses.dataclass(frozen=True)
class Value:
    """A parameter or result: name, dtype name (f32, bf16, ...), dims as declared ("N", "128"), the shape the
    compile's dims and defaults give (None where only inputs bind a dim), and a scalar parameter's default."""
    name: str
    dtype: str
    dims: tuple
    shape: tuple
    default: object = None

    @property
    def is_scalar(self):
        return not self.dims


def _values(handle, count_function, get_function):
    library, info, found = _lib.lib(), _lib.ValueInfo(), []
    for index in range(count_function(handle)):
        if get_function(handle, index, info) != _lib.OK:
            continue
        dims = tuple(_lib.text(info.dims[axis]) for axis in range(info.rank))
        shape = tuple(info.shape[axis] if info.shape[axis] >= 0 else None for axis in range(info.rank))
        default = info.default_value if info.has_default else None
        found.append(Value(_lib.text(info.name), _lib.DTYPE_NAMES.get(info.dtype, "?"), dims, shape, default))
    del library
    return found


def _check(run):
    """Raises the error of a failed run handle (without freeing it)."""
    status = _lib.lib().kiln_run_status(run)
    if status != _lib.OK:
        _errors.raise_for(status, _lib.lib().kiln_run_diagnostics(run))


def _options(dims, target, passes, kernel, dtypes=None):
    dims = dict(dims or {})
    dtypes = {name: _dtype_name(dtype) for name, dtype in dict(dtypes or {}).items()}
    entries = (_lib.Dim * max(1, len(dims)))(*[_lib.Dim(name.encode(), int(size)) for name, size in dims.items()])
    bindings = (_lib.DTypeBinding * max(1, len(dtypes)))(
        *[_lib.DTypeBinding(name.encode(), dtype.encode()) for name, dtype in dtypes.items()])
    options = _lib.CompileOptions(target.encode() if target else None, passes.encode() if passes is not None else None,
                                  kernel.encode() if kernel else None, entries, len(dims), bindings, len(dtypes))
    return options, (entries, bindings)


def _dtype_name(dtype):
    """A dtype as Kiln names it: "bf16", or a NumPy / ml_dtypes dtype ("float16", ml_dtypes.bfloat16, ...)."""
    if isinstance(dtype, str) and dtype in _lib.DTYPE_NAMES.values():
        return dtype
    import numpy
    try:
        name = numpy.dtype(dtype).name
    except TypeError:
        raise _errors.UsageError(f"unknown dtype {dtype!r}; expected one of {', '.join(_lib.DTYPE_NAMES.values())}"
                                 " or a NumPy / ml_dtypes dtype") from None
    return {"float32": "f32", "float64": "f32", "float16": "f16", "bfloat16": "bf16", "float8_e4m3": "f8e4m3",
            "float8_e4m3fn": "f8e4m3fn", "float8_e5m2": "f8e5m2", "float4_e2m1fn": "f4e2m1fn", "int32": "i32", "bool": "bool"}.get(name, name)


def compile(path, dims=None, target="trn1", passes=None, kernel=None, dtypes=None):
    """Compiles a kernel file. `dims` fixes symbolic dims ({"N": 300}); the others are bound at each call from the
    inputs' shapes, then from the kernel's defaults. `dtypes` binds a generic kernel's dtype parameters
    ({"T": "bf16"}, or NumPy dtypes), as `--dtype` does; unlike dims they are fixed here, not by each call's arrays.
    `passes` is a pipeline string (None: the target's default); `kernel` picks one when the file has several.
    Raises CompileError with located diagnostics."""
    options, keep = _options(dims, target, passes, kernel, dtypes)
    handle = _lib.lib().kiln_compile_file(os.fspath(path).encode(), options)
    del keep
    return Kernel._adopt(handle)


def compile_source(text, dims=None, target="trn1", passes=None, kernel=None, path="<source>", dtypes=None):
    """Compiles kernel source text; `path` names it in diagnostics. Otherwise as `compile`."""
    options, keep = _options(dims, target, passes, kernel, dtypes)
    handle = _lib.lib().kiln_compile_source(text.encode(), path.encode(), options)
    del keep
    return Kernel._adopt(handle)


class Kernel:
    """A compiled kernel. `k(*arrays, backend="sim", **named)` runs it and returns its result (a tuple of the
    results in declaration order when it has several); `k.run(...)` returns a Result with outputs and stats;
    `k.verify(...)` checks ref = sim = llvm. Positional arguments are the parameters in order; scalar
    parameters are usually given by keyword and default to their declared values."""

    def __init__(self):
        raise TypeError("use kiln.compile(path) or kiln.compile_source(text)")

    @classmethod
    def _adopt(cls, handle):
        library = _lib.lib()
        kernel = object.__new__(cls)
        kernel._handle = handle
        status = library.kiln_kernel_status(handle)
        diagnostics, _ = _errors.read_diagnostics(library.kiln_kernel_diagnostics(handle))
        kernel.warnings = [d for d in diagnostics if d.severity != "error"]
        if status != _lib.OK:
            try:
                _errors.raise_for(status, library.kiln_kernel_diagnostics(handle))
            finally:
                kernel.close()
        kernel.name = _lib.text(library.kiln_kernel_name(handle))
        kernel.params = _values(handle, library.kiln_kernel_param_count, library.kiln_kernel_param)
        kernel.results = _values(handle, library.kiln_kernel_result_count, library.kiln_kernel_result)
        kernel._params = {param.name: param for param in kernel.params}
        names = [result.name for result in kernel.results]
        usable = all(name.isidentifier() and not keyword.iskeyword(name) for name in names) and len(set(names)) == len(names)
        kernel._tuple = collections.namedtuple(f"{kernel.name}_results", names) if usable and len(names) > 1 else None
        return kernel

    def __repr__(self):
        params = ", ".join(f"{p.name}: {p.dtype}" + (f"[{', '.join(p.dims)}]" if p.dims else "") for p in self.params)
        results = ", ".join(f"{r.name}: {r.dtype}[{', '.join(r.dims)}]" for r in self.results)
        return f"<kiln.Kernel {self.name}({params}) -> ({results})>"

    def __call__(self, *args, backend="sim", strict_dtypes=False, **named):
        """Runs once and returns the result array, or a tuple of them in declaration order."""
        run = self._start(args, named, backend, trace=False, strict_dtypes=strict_dtypes, verify=False)
        try:
            _check(run)
            values = list(_arrays.read_outputs(run).values())
        finally:
            _lib.lib().kiln_run_free(run)
        if len(values) == 1:
            return values[0]
        return self._tuple(*values) if self._tuple else tuple(values)

    def run(self, *args, backend="sim", trace=True, strict_dtypes=False, **named):
        """Runs once: a Result with `.outputs` (name -> array) and, on sim, `.stats` (as `--stats-json`) and, with
        `trace`, `.report(path)`, `.save(path)` (the run record `kiln report` reads) and `.write_trace(path)`."""
        traced = trace and backend == "sim"
        return Result._adopt(self._start(args, named, backend, traced, strict_dtypes, verify=False), traced)

    def verify(self, *args, strict_dtypes=False, **named):
        """Runs on ref, sim and llvm and compares outputs as `kiln verify` does (ref is the oracle). Returns ref's
        Result; raises VerifyError, one diagnostic per output that differs, when they disagree."""
        return Result._adopt(self._start(args, named, "", False, strict_dtypes, verify=True), False)

    def _start(self, args, named, backend, trace, strict_dtypes, verify):
        """The run handle of one call (the caller frees it)."""
        if self._handle is None:
            raise _errors.UsageError(f"kernel '{self.name}' is closed")
        values = self._bind(args, named)
        buffers = _arrays.InputBuffers(values, self._params, _errors.InputError)
        options = _lib.RunOptions(None if verify else backend.encode(), int(trace), int(strict_dtypes))
        library = _lib.lib()
        run = (library.kiln_kernel_verify if verify else library.kiln_kernel_run)(self._handle, buffers.tensors,
                                                                                 buffers.count, options)
        del buffers
        return run

    def _bind(self, args, named):
        if len(args) > len(self.params):
            raise _errors.InputError(f"kernel '{self.name}' takes {len(self.params)} parameters, {len(args)} were given")
        values = {param.name: value for param, value in zip(self.params, args)}
        for name, value in named.items():
            if name in values:
                raise _errors.InputError(f"parameter '{name}' of kernel '{self.name}' is given twice")
            values[name] = value
        return values

    def close(self):
        """Frees the compiled kernel now (it is freed when collected otherwise)."""
        handle, self._handle = getattr(self, "_handle", None), None
        if handle is not None and _lib._library is not None:
            _lib._library.kiln_kernel_free(handle)

    def __del__(self):
        self.close()


class Result:
    """One run: `outputs` (results by name, declaration order), `stats` (sim: the `--stats-json` dict, else None),
    `backend`, and `diagnostics` (notes such as inputs rounded to their parameter's dtype)."""

    @classmethod
    def _adopt(cls, handle, traced):
        library = _lib.lib()
        result = object.__new__(cls)
        result._handle = handle
        try:
            _check(handle)
        finally:
            if library.kiln_run_status(handle) != _lib.OK:
                result.close()
        result.backend = _lib.text(library.kiln_run_backend(handle))
        result.diagnostics, _ = _errors.read_diagnostics(library.kiln_run_diagnostics(handle))
        result.outputs = _arrays.read_outputs(handle)
        stats = library.kiln_run_stats_json(handle)
        result.stats = json.loads(stats) if stats else None
        if not (traced and stats):
            result.close()
        return result

    def __repr__(self):
        outputs = ", ".join(f"{name}: {a.dtype}{list(a.shape)}" for name, a in self.outputs.items())
        time = f", {self.stats['seconds'] * 1e6:.3f} us simulated" if self.stats else ""
        return f"<kiln.Result {self.backend}: {outputs}{time}>"

    def _traced_handle(self, what):
        if self._handle is None:
            raise _errors.UsageError(f"{what} needs a run on the sim backend with trace=True (k.run(..., trace=True))")
        return self._handle

    def report_html(self):
        """The HTML report (timelines per engine and DMA queue, utilization, roofline, top instructions)."""
        return _lib.text(_lib.lib().kiln_run_report_html(self._traced_handle("a report")))

    def report(self, path):
        """Writes the HTML report to `path` (one self-contained file)."""
        _errors.check_io(_lib.lib().kiln_run_write_report(self._traced_handle("a report"), os.fspath(path).encode()), "report")

    def save(self, path):
        """Writes the run record (RUN.json) that `kiln report RUN.json -o report.html` reads."""
        record = _lib.text(_lib.lib().kiln_run_record_json(self._traced_handle("a run record")))
        with open(path, "w", encoding="utf-8") as file:
            file.write(record)

    def write_trace(self, path):
        """Writes the Chrome Trace Event JSON timeline (as `kiln run --trace`)."""
        _errors.check_io(_lib.lib().kiln_run_write_trace(self._traced_handle("a trace"), os.fspath(path).encode()), "trace")

    def _repr_html_(self):
        return self.report_html() if self._handle is not None else None

    def close(self):
        handle, self._handle = getattr(self, "_handle", None), None
        if handle is not None and _lib._library is not None:
            _lib._library.kiln_run_free(handle)

    def __del__(self):
        self.close()
