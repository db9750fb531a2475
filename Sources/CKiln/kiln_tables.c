/* kiln_tables.c: the C API's constant tables: status names and dtype element sizes (kiln.h). */
#include "kiln.h"

const char *kiln_status_name(kiln_status status) {
    switch (status) {
    case KILN_OK: return "ok";
    case KILN_ERROR_USAGE: return "usage";
    case KILN_ERROR_COMPILE: return "compile";
    case KILN_ERROR_INPUT: return "input";
    case KILN_ERROR_RUN: return "run";
    case KILN_ERROR_VERIFY: return "verify";
    case KILN_ERROR_IO: return "io";
    }
    return "unknown";
}

size_t kiln_dtype_size(kiln_dtype dtype) {
    switch (dtype) {
    case KILN_F32: case KILN_I32: return 4;
    case KILN_BF16: case KILN_F16: return 2;
    case KILN_F8E4M3: case KILN_F8E4M3FN: case KILN_F8E5M2: case KILN_F4E2M1FN: case KILN_BOOL: return 1;
    case KILN_F64: case KILN_I64: return 8;
    }
    return 0;
}
