"""_lib.py: loading libKiln with ctypes and declaring the C API of kiln.h (structs, functions, status codes)."""
import ctypes
import os
import pathlib
import sys
import threading

API_VERSION = 1

# kiln_status
OK, ERROR_USAGE, ERROR_COMPILE, ERROR_INPUT, ERROR_RUN, ERROR_VERIFY, ERROR_IO = range(7)
# kiln_dtype
F32, BF16, F16, F8E4M3, F8E5M2, I32, BOOL, F64, I64, F8E4M3FN, F4E2M1FN = range(11)
DTYPE_NAMES = {F32: "f32", BF16: "bf16", F16: "f16", F8E4M3: "f8e4m3", F8E4M3FN: "f8e4m3fn", F8E5M2: "f8e5m2", F4E2M1FN: "f4e2m1fn",
               I32: "i32", BOOL: "bool"}
SEVERITIES = {0: "note", 1: "warning", 2: "error"}


class Diagnostic(ctypes.Structure):
    _fields_ = [("id", ctypes.c_char_p), ("name", ctypes.c_char_p), ("severity", ctypes.c_int),
                ("message", ctypes.c_char_p), ("path", ctypes.c_char_p), ("line", ctypes.c_int32),
                ("column", ctypes.c_int32)]


class Dim(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("size", ctypes.c_int64)]


class DTypeBinding(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_char_p)]


class CompileOptions(ctypes.Structure):
    _fields_ = [("target", ctypes.c_char_p), ("passes", ctypes.c_char_p), ("kernel", ctypes.c_char_p),
                ("dims", ctypes.POINTER(Dim)), ("dim_count", ctypes.c_size_t),
                ("dtypes", ctypes.POINTER(DTypeBinding)), ("dtype_count", ctypes.c_size_t)]


class ValueInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int), ("rank", ctypes.c_int32),
                ("dims", ctypes.POINTER(ctypes.c_char_p)), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("has_default", ctypes.c_int32), ("default_value", ctypes.c_double)]


class Tensor(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int), ("rank", ctypes.c_int32),
                ("shape", ctypes.POINTER(ctypes.c_int64)), ("data", ctypes.c_void_p)]


class RunOptions(ctypes.Structure):
    _fields_ = [("backend", ctypes.c_char_p), ("trace", ctypes.c_int32), ("strict_dtypes", ctypes.c_int32)]


_HANDLE = ctypes.c_void_p
_SIGNATURES = {
    "kiln_api_version": (ctypes.c_uint32, []),
    "kiln_last_error": (ctypes.c_char_p, []),
    "kiln_diagnostics_count": (ctypes.c_size_t, [_HANDLE]),
    "kiln_diagnostics_get": (ctypes.c_int, [_HANDLE, ctypes.c_size_t, ctypes.POINTER(Diagnostic)]),
    "kiln_diagnostics_text": (ctypes.c_char_p, [_HANDLE]),
    "kiln_compile_file": (_HANDLE, [ctypes.c_char_p, ctypes.POINTER(CompileOptions)]),
    "kiln_compile_source": (_HANDLE, [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(CompileOptions)]),
    "kiln_kernel_status": (ctypes.c_int, [_HANDLE]),
    "kiln_kernel_diagnostics": (_HANDLE, [_HANDLE]),
    "kiln_kernel_free": (None, [_HANDLE]),
    "kiln_kernel_name": (ctypes.c_char_p, [_HANDLE]),
    "kiln_kernel_dim_count": (ctypes.c_size_t, [_HANDLE]),
    "kiln_kernel_dim": (ctypes.c_int, [_HANDLE, ctypes.c_size_t, ctypes.POINTER(Dim)]),
    "kiln_kernel_param_count": (ctypes.c_size_t, [_HANDLE]),
    "kiln_kernel_param": (ctypes.c_int, [_HANDLE, ctypes.c_size_t, ctypes.POINTER(ValueInfo)]),
    "kiln_kernel_result_count": (ctypes.c_size_t, [_HANDLE]),
    "kiln_kernel_result": (ctypes.c_int, [_HANDLE, ctypes.c_size_t, ctypes.POINTER(ValueInfo)]),
    "kiln_kernel_run": (_HANDLE, [_HANDLE, ctypes.POINTER(Tensor), ctypes.c_size_t, ctypes.POINTER(RunOptions)]),
    "kiln_kernel_verify": (_HANDLE, [_HANDLE, ctypes.POINTER(Tensor), ctypes.c_size_t, ctypes.POINTER(RunOptions)]),
    "kiln_run_status": (ctypes.c_int, [_HANDLE]),
    "kiln_run_diagnostics": (_HANDLE, [_HANDLE]),
    "kiln_run_backend": (ctypes.c_char_p, [_HANDLE]),
    "kiln_run_output_count": (ctypes.c_size_t, [_HANDLE]),
    "kiln_run_output": (ctypes.c_int, [_HANDLE, ctypes.c_size_t, ctypes.POINTER(ValueInfo)]),
    "kiln_run_read_output": (ctypes.c_int, [_HANDLE, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t]),
    "kiln_run_stats_json": (ctypes.c_char_p, [_HANDLE]),
    "kiln_run_write_trace": (ctypes.c_int, [_HANDLE, ctypes.c_char_p]),
    "kiln_run_record_json": (ctypes.c_char_p, [_HANDLE]),
    "kiln_run_report_html": (ctypes.c_char_p, [_HANDLE]),
    "kiln_run_write_report": (ctypes.c_int, [_HANDLE, ctypes.c_char_p]),
    "kiln_run_free": (None, [_HANDLE]),
}

_lock = threading.Lock()
_library = None


def library_file_name():
    return "libKiln.dylib" if sys.platform == "darwin" else "libKiln.so"


def library_path():
    """Where libKiln is loaded from: $KILN_LIBRARY when set, else the copy next to this package."""
    override = os.environ.get("KILN_LIBRARY")
    if override:
        return pathlib.Path(override)
    return pathlib.Path(__file__).resolve().parent / library_file_name()


def lib():
    """libKiln, loaded on first use, with every function of kiln.h declared."""
    global _library
    with _lock:
        if _library is None:
            path = library_path()
            if not path.is_file():
                raise ImportError(f"kiln: libKiln not found at {path}; build it (swift build --product Kiln) and set "
                                  "KILN_LIBRARY to its path, or install the package with `make python` or a wheel")
            loaded = ctypes.CDLL(str(path))
            for name, (restype, argtypes) in _SIGNATURES.items():
                function = getattr(loaded, name)
                function.restype = restype
                function.argtypes = argtypes
            if loaded.kiln_api_version() != API_VERSION:
                raise ImportError(f"kiln: {path} implements C API version {loaded.kiln_api_version()}, "
                                  f"this package needs {API_VERSION}")
            _library = loaded
        return _library


def text(value):
    """A C string from the library as str ("" for NULL)."""
    return value.decode("utf-8", "replace") if value else ""
