/* kiln.h: the C API of libKiln: compile Kiln kernels, list their signatures, run them on ref/sim/llvm, read diagnostics and stats. */
#ifndef KILN_H
#define KILN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Conventions
 * - Errors are values. Every function returns a status, a handle or a pointer; none aborts. A call with a
 *   NULL, unknown or already freed handle, a NULL pointer where one is needed, or an out-of-range index
 *   returns KILN_ERROR_USAGE (or NULL / 0) and sets the calling thread's kiln_last_error().
 * - Compiling and running always return a handle (NULL only when memory runs out): its status says whether
 *   it succeeded and its diagnostics say why not. Free it with kiln_kernel_free / kiln_run_free.
 * - Strings and arrays a handle returns stay valid until that handle is freed.
 * - Independent kernels may be compiled and run from several threads at once; calls on one kernel handle
 *   are serialised by the library.
 * - The llvm backend is a library of its own (libKilnLLVMBackend.so), loaded on first use from the folder
 *   libKiln is in, unless the environment variable KILN_LLVM_BACKEND names it.
 */

#define KILN_API_VERSION 1

/* The version of this API the library implements (KILN_API_VERSION when the header matches it). */
uint32_t kiln_api_version(void);

typedef enum kiln_status {
    KILN_OK = 0,
    KILN_ERROR_USAGE = 1,   /* a bad argument: see kiln_last_error() */
    KILN_ERROR_COMPILE = 2, /* the kernel does not compile (for this executor, or with these dims) */
    KILN_ERROR_INPUT = 3,   /* the inputs do not fit the kernel: unknown or missing parameter, shape, dtype */
    KILN_ERROR_RUN = 4,     /* the executor failed, or found an error (sim: race, uninitialised read, out of bounds) */
    KILN_ERROR_VERIFY = 5,  /* kiln_kernel_verify: the executors' outputs differ beyond the dtype's tolerance */
    KILN_ERROR_IO = 6       /* a file could not be read or written */
} kiln_status;

/* "ok", "usage", "compile", "input", "run", "verify", "io"; "unknown" for other values. */
const char *kiln_status_name(kiln_status status);

/* What the last call on this thread that returned an error said; "" after a successful one. */
const char *kiln_last_error(void);

/*
 * Element types. All but f64 and i64 are Kiln's dtypes; every value names how a buffer stores its elements:
 * f32 float, bf16/f16 uint16_t bit patterns, f8e4m3/f8e4m3fn/f8e5m2 uint8_t bit patterns, f4e2m1fn
 * uint8_t codes (one per byte, in the low four bits), i32 int32_t, bool
 * uint8_t 0 or 1, f64 double, i64 int64_t. Inputs of another dtype than their parameter's are converted
 * as `kiln run` converts .npy files: floats rounded to nearest even, i64 to i32 when every value fits.
 */
typedef enum kiln_dtype {
    KILN_F32 = 0,
    KILN_BF16 = 1,
    KILN_F16 = 2,
    KILN_F8E4M3 = 3,
    KILN_F8E5M2 = 4,
    KILN_I32 = 5,
    KILN_BOOL = 6,
    KILN_F64 = 7, /* inputs only */
    KILN_I64 = 8, /* inputs only */
    KILN_F8E4M3FN = 9,
    KILN_F4E2M1FN = 10
} kiln_dtype;

/* Bytes per element of a dtype; 0 for an unknown value. */
size_t kiln_dtype_size(kiln_dtype dtype);

typedef struct kiln_kernel kiln_kernel;
typedef struct kiln_run kiln_run;
typedef struct kiln_diagnostics kiln_diagnostics;

/* ---- Diagnostics ---------------------------------------------------------------------------------- */

typedef enum kiln_severity { KILN_NOTE = 0, KILN_WARNING = 1, KILN_ERROR = 2 } kiln_severity;

typedef struct kiln_diagnostic {
    const char *id;         /* stable code, e.g. "K2001" */
    const char *name;       /* its kebab-case name, e.g. "undefined-name" */
    kiln_severity severity;
    const char *message;
    const char *path;       /* the kernel file; "" when the diagnostic has no place in it */
    int32_t line;           /* 1-based; 0 when it has no place */
    int32_t column;         /* 1-based; 0 when it has no place */
} kiln_diagnostic;

size_t kiln_diagnostics_count(const kiln_diagnostics *diagnostics);
/* Fills *out with diagnostic `index` (in source order). */
kiln_status kiln_diagnostics_get(const kiln_diagnostics *diagnostics, size_t index, kiln_diagnostic *out);
/* All of them rendered as the CLI prints them: `path:line:col: error: message`, the line and a caret. */
const char *kiln_diagnostics_text(const kiln_diagnostics *diagnostics);

/* ---- Compiling ------------------------------------------------------------------------------------ */

typedef struct kiln_dim {
    const char *name;
    int64_t size;
} kiln_dim;

/* A dtype parameter of a generic kernel bound at compile time (as `--dtype T=bf16`). */
typedef struct kiln_dtype_binding {
    const char *name;
    const char *dtype;     /* "f32", "bf16", "f16", "f8e4m3", "f8e4m3fn", "f8e5m2", "f4e2m1fn", "i32" or "bool" */
} kiln_dtype_binding;

typedef struct kiln_compile_options {
    const char *target;    /* "trn1" or "trn2"; NULL: "trn1" */
    const char *passes;    /* a pass pipeline string; NULL: the target's default pipeline */
    const char *kernel;    /* the kernel to use when the file has several; NULL: its only kernel */
    const kiln_dim *dims;  /* dims fixed at compile time (as `--dim`); the others come from inputs or defaults */
    size_t dim_count;
    const kiln_dtype_binding *dtypes;  /* dtype parameters (`T: float`) bound at compile time; may be NULL */
    size_t dtype_count;
} kiln_compile_options;

/* Compiles a kernel file. `options` may be NULL. Never NULL unless memory runs out. */
kiln_kernel *kiln_compile_file(const char *path, const kiln_compile_options *options);
/* Compiles source text; `path` names it in diagnostics (NULL: "<source>"). */
kiln_kernel *kiln_compile_source(const char *source, const char *path, const kiln_compile_options *options);
/* KILN_OK, or KILN_ERROR_COMPILE / KILN_ERROR_USAGE with the reasons in its diagnostics. */
kiln_status kiln_kernel_status(const kiln_kernel *kernel);
const kiln_diagnostics *kiln_kernel_diagnostics(const kiln_kernel *kernel);
void kiln_kernel_free(kiln_kernel *kernel);

/* ---- Signatures ----------------------------------------------------------------------------------- */

typedef struct kiln_value_info {
    const char *name;
    kiln_dtype dtype;
    int32_t rank;             /* 0 for a scalar */
    const char *const *dims;  /* rank dim expressions as declared ("N", "128"); NULL for a run's output */
    const int64_t *shape;     /* rank sizes; -1 where only a run's inputs can bind the dim */
    int32_t has_default;      /* a scalar parameter with a default value */
    double default_value;
} kiln_value_info;

const char *kiln_kernel_name(const kiln_kernel *kernel);
size_t kiln_kernel_dim_count(const kiln_kernel *kernel);
/* Dim `index` in declaration order; size -1 when only a run's inputs can bind it. */
kiln_status kiln_kernel_dim(const kiln_kernel *kernel, size_t index, kiln_dim *out);
size_t kiln_kernel_param_count(const kiln_kernel *kernel);
kiln_status kiln_kernel_param(const kiln_kernel *kernel, size_t index, kiln_value_info *out);
size_t kiln_kernel_result_count(const kiln_kernel *kernel);
kiln_status kiln_kernel_result(const kiln_kernel *kernel, size_t index, kiln_value_info *out);

/* ---- Running -------------------------------------------------------------------------------------- */

/* A caller-owned input: read in place during the call, never kept. */
typedef struct kiln_tensor {
    const char *name;      /* the parameter */
    kiln_dtype dtype;      /* how `data` stores its elements */
    int32_t rank;          /* 0 for a scalar */
    const int64_t *shape;  /* rank sizes (may be NULL when rank is 0) */
    const void *data;      /* the product of `shape` elements, row-major, contiguous */
} kiln_tensor;

typedef struct kiln_run_options {
    const char *backend;   /* "sim" (NULL), "llvm", "ref", or a plugin's executable backend */
    int32_t trace;         /* sim: record the timeline (for kiln_run_write_trace and reports) */
    int32_t strict_dtypes; /* an input's dtype must be exactly its parameter's (no rounding) */
} kiln_run_options;

/* Runs the kernel once. Dims not fixed at compile time are bound from the inputs' shapes, then from the
 * kernel's defaults; a scalar parameter is a rank-0 input, or its default when none is given. The code
 * compiled for each executor and set of dims (and, for sim, scalar values) is kept with the kernel and
 * reused by later runs. `options` may be NULL. Never NULL unless memory runs out. */
kiln_run *kiln_kernel_run(kiln_kernel *kernel, const kiln_tensor *inputs, size_t input_count,
                          const kiln_run_options *options);
/* Runs on ref, sim and llvm and compares their outputs as `kiln verify` does (ref is the oracle): status
 * KILN_ERROR_VERIFY with one diagnostic per disagreeing output. The run's outputs are ref's. */
kiln_run *kiln_kernel_verify(kiln_kernel *kernel, const kiln_tensor *inputs, size_t input_count,
                             const kiln_run_options *options);

kiln_status kiln_run_status(const kiln_run *run);
const kiln_diagnostics *kiln_run_diagnostics(const kiln_run *run);
/* The executor that ran ("ref", "sim", "llvm", ...). */
const char *kiln_run_backend(const kiln_run *run);
/* Outputs, by result in declaration order (an unnamed result is "out"). */
size_t kiln_run_output_count(const kiln_run *run);
kiln_status kiln_run_output(const kiln_run *run, size_t index, kiln_value_info *out);
/* Writes output `index` into a caller-owned buffer of at least product(shape) * kiln_dtype_size(dtype)
 * bytes, in its dtype's storage. */
kiln_status kiln_run_read_output(const kiln_run *run, size_t index, void *buffer, size_t buffer_bytes);

/* sim: the stats as `kiln run --stats-json` writes them; NULL for other executors. */
const char *kiln_run_stats_json(const kiln_run *run);
/* sim with options.trace: the Chrome Trace Event JSON `kiln run --trace` writes, written to `path`. */
kiln_status kiln_run_write_trace(const kiln_run *run, const char *path);
/* sim with options.trace: the run record (`kiln run --run-json`) that `kiln report` reads; NULL otherwise. */
const char *kiln_run_record_json(const kiln_run *run);
/* sim with options.trace: the HTML report (timelines, utilization, roofline, top instructions); NULL otherwise. */
const char *kiln_run_report_html(const kiln_run *run);
kiln_status kiln_run_write_report(const kiln_run *run, const char *path);
void kiln_run_free(kiln_run *run);

#ifdef __cplusplus
}
#endif

#endif /* KILN_H */
