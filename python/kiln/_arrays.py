"""_arrays.py: numpy arrays in and out of libKiln: dtype codes, caller-owned buffers, scalars as rank-0 arrays."""
import ctypes

import ml_dtypes
import numpy as np

from . import _lib

# The numpy dtype each Kiln dtype is stored as (an output's array type).
NUMPY_DTYPES = {
    "f32": np.dtype(np.float32), "bf16": np.dtype(ml_dtypes.bfloat16), "f16": np.dtype(np.float16),
    "f8e4m3": np.dtype(ml_dtypes.float8_e4m3), "f8e4m3fn": np.dtype(ml_dtypes.float8_e4m3fn),
    "f8e5m2": np.dtype(ml_dtypes.float8_e5m2), "f4e2m1fn": np.dtype(ml_dtypes.float4_e2m1fn),
    "i32": np.dtype(np.int32), "bool": np.dtype(np.bool_),
}
# The buffer code of each numpy dtype libKiln reads (others floats are rounded by it, as `kiln run` rounds .npy data).
_CODES = {
    np.dtype(np.float32): _lib.F32, np.dtype(np.float64): _lib.F64, np.dtype(np.float16): _lib.F16,
    np.dtype(np.int32): _lib.I32, np.dtype(np.int64): _lib.I64, np.dtype(np.bool_): _lib.BOOL,
    np.dtype(ml_dtypes.bfloat16): _lib.BF16, np.dtype(ml_dtypes.float8_e4m3): _lib.F8E4M3,
    np.dtype(ml_dtypes.float8_e4m3fn): _lib.F8E4M3FN, np.dtype(ml_dtypes.float8_e5m2): _lib.F8E5M2,
    np.dtype(ml_dtypes.float4_e2m1fn): _lib.F4E2M1FN,
}
# Raw bit patterns the CLI also accepts (`<u2` for a 16-bit float parameter, `|u1` for an fp8 one), by parameter dtype.
_RAW_BITS = {("bf16", np.dtype(np.uint16)): _lib.BF16, ("f16", np.dtype(np.uint16)): _lib.F16,
             ("f8e4m3", np.dtype(np.uint8)): _lib.F8E4M3, ("f8e4m3fn", np.dtype(np.uint8)): _lib.F8E4M3FN,
             ("f8e5m2", np.dtype(np.uint8)): _lib.F8E5M2, ("f4e2m1fn", np.dtype(np.uint8)): _lib.F4E2M1FN}


class InputBuffers:
    """The kiln_tensor array of one call. It keeps every array it points at alive until the call returns; a
    C-contiguous little-endian array is passed as it is, anything else is copied once into one that is."""

    def __init__(self, values, params, error):
        self._keep = []
        self.tensors = (_lib.Tensor * max(1, len(values)))()
        self.count = len(values)
        for index, (name, value) in enumerate(values.items()):
            param = params.get(name)
            array = self._array(name, value, param, error)
            code = _RAW_BITS.get((param.dtype, array.dtype)) if param is not None else None
            if code is None:
                code = _CODES.get(array.dtype)
            if code is None:
                wanted = f"parameter '{name}' is {param.dtype}" if param is not None else f"'{name}'"
                raise error(f"input '{name}': numpy dtype {array.dtype} is not one Kiln reads ({wanted}); "
                            "pass float32/float64/float16, bfloat16 or float8 (ml_dtypes), int32/int64 or bool")
            shape = (ctypes.c_int64 * max(1, array.ndim))(*array.shape)
            encoded = name.encode()
            self._keep += [array, shape, encoded]
            self.tensors[index] = _lib.Tensor(encoded, code, array.ndim, shape, array.ctypes.data if array.size else None)

    @staticmethod
    def _array(name, value, param, error):
        if isinstance(value, np.ndarray):
            array = value
        elif isinstance(value, (bool, np.bool_)):
            array = np.array(value, dtype=np.bool_)
        elif isinstance(value, (int, np.integer)) and param is not None and param.dtype == "i32":
            array = np.array(value, dtype=np.int64)
        elif isinstance(value, (int, float, np.integer, np.floating)):
            array = np.array(value, dtype=np.float64)
        else:
            try:
                array = np.asarray(value)
            except (TypeError, ValueError) as failure:
                raise error(f"input '{name}': cannot make an array of {type(value).__name__}: {failure}") from None
        if array.dtype.byteorder == ">":
            array = array.astype(array.dtype.newbyteorder("<"))
        return array if array.flags.c_contiguous else np.ascontiguousarray(array)


def read_outputs(handle):
    """The outputs of a run handle as numpy arrays, in declaration order: each read into an array numpy owns."""
    library = _lib.lib()
    outputs = {}
    info = _lib.ValueInfo()
    for index in range(library.kiln_run_output_count(handle)):
        if library.kiln_run_output(handle, index, info) != _lib.OK:
            continue
        dtype = NUMPY_DTYPES[_lib.DTYPE_NAMES[info.dtype]]
        array = np.empty(tuple(info.shape[axis] for axis in range(info.rank)), dtype=dtype)
        status = library.kiln_run_read_output(handle, index, array.ctypes.data if array.size else None, array.nbytes)
        if status == _lib.OK:
            outputs[_lib.text(info.name)] = array
    return outputs
