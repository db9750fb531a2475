/* kiln_capi_test.c: a C program against kiln.h and libKiln.so: compile, inspect, run on ref/sim/llvm, errors, threads.
 *
 * Build and run (Tests/python/test_capi.py does):
 *   cc -std=c11 -Wall -Wextra -Werror -I Sources/CKiln/include Tests/capi/kiln_capi_test.c \
 *      -L .build/debug -lKiln -Wl,-rpath,$PWD/.build/debug -lpthread -lm -o kiln_capi_test
 *   ./kiln_capi_test Examples OUTDIR
 * Prints one line per check and exits 0 when every check passed, 1 otherwise. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln.h"

static int failures = 0;
static const char *examples = ".";

#define CHECK(cond, ...)                                                            \
    do {                                                                            \
        if (cond) {                                                                 \
            printf("ok   %s\n", #cond);                                             \
        } else {                                                                    \
            printf("FAIL %s (line %d): ", #cond, __LINE__);                         \
            printf(__VA_ARGS__);                                                    \
            printf("\n");                                                           \
            failures++;                                                             \
        }                                                                           \
    } while (0)

static kiln_kernel *compile_example(const char *name, const kiln_compile_options *options) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", examples, name);
    return kiln_compile_file(path, options);
}

static void softmax_reference(const float *x, double *out, int rows, int cols) {
    for (int i = 0; i < rows; i++) {
        double m = x[i * cols], sum = 0;
        for (int j = 1; j < cols; j++) m = fmax(m, x[i * cols + j]);
        for (int j = 0; j < cols; j++) sum += exp(x[i * cols + j] - m);
        for (int j = 0; j < cols; j++) out[i * cols + j] = exp(x[i * cols + j] - m) / sum;
    }
}

/* Softmax with N fixed at compile time and D bound from the input, on one executor, against C. */
static void check_softmax(kiln_kernel *kernel, const char *backend) {
    enum { rows = 130, cols = 64 };
    static float x[rows * cols], y[rows * cols];
    static double expected[rows * cols];
    for (int i = 0; i < rows * cols; i++) x[i] = (float)sin(i * 0.37) * 4.0f;
    softmax_reference(x, expected, rows, cols);
    int64_t shape[2] = {rows, cols};
    kiln_tensor input = {"x", KILN_F32, 2, shape, x};
    kiln_run_options options = {backend, 0, 0};
    kiln_run *run = kiln_kernel_run(kernel, &input, 1, &options);
    CHECK(kiln_run_status(run) == KILN_OK, "%s: %s", backend, kiln_diagnostics_text(kiln_run_diagnostics(run)));
    kiln_value_info info;
    CHECK(kiln_run_output_count(run) == 1 && kiln_run_output(run, 0, &info) == KILN_OK, "%s: no output", backend);
    CHECK(strcmp(info.name, "out") == 0 && info.dtype == KILN_F32 && info.rank == 2 && info.shape[0] == rows &&
              info.shape[1] == cols, "%s: output %s rank %d", backend, info.name, info.rank);
    CHECK(kiln_run_read_output(run, 0, y, 16) == KILN_ERROR_USAGE, "a short buffer is refused");
    CHECK(kiln_run_read_output(run, 0, y, sizeof y) == KILN_OK, "%s", kiln_last_error());
    double worst = 0;
    for (int i = 0; i < rows * cols; i++) worst = fmax(worst, fabs(y[i] - expected[i]) / (1e-6 + fabs(expected[i])));
    CHECK(worst < 1e-5, "%s: worst relative error %g", backend, worst);
    const char *stats = kiln_run_stats_json(run);
    if (strcmp(backend, "sim") == 0) {
        CHECK(stats != NULL && strstr(stats, "\"engines\"") && strstr(stats, "\"hfu\""), "sim stats: %s", stats ? stats : "NULL");
    } else {
        CHECK(stats == NULL && strlen(kiln_last_error()) > 0, "%s has no stats", backend);
    }
    kiln_run_free(run);
}

static void check_signature_and_runs(const char *outdir) {
    kiln_dim dims[1] = {{"N", 130}};
    kiln_compile_options options = {"trn1", NULL, NULL, dims, 1, NULL, 0};
    kiln_kernel *kernel = compile_example("softmax.kiln", &options);
    CHECK(kiln_kernel_status(kernel) == KILN_OK, "%s", kiln_diagnostics_text(kiln_kernel_diagnostics(kernel)));
    CHECK(strcmp(kiln_kernel_name(kernel), "softmax") == 0, "name %s", kiln_kernel_name(kernel));
    kiln_value_info param;
    CHECK(kiln_kernel_param_count(kernel) == 1 && kiln_kernel_param(kernel, 0, &param) == KILN_OK, "params");
    CHECK(strcmp(param.name, "x") == 0 && param.dtype == KILN_F32 && param.rank == 2, "param %s", param.name);
    CHECK(strcmp(param.dims[0], "N") == 0 && strcmp(param.dims[1], "D") == 0, "dims %s %s", param.dims[0], param.dims[1]);
    CHECK(param.shape[0] == 130 && param.shape[1] == 512, "shape %lld %lld", (long long)param.shape[0], (long long)param.shape[1]);
    CHECK(kiln_kernel_param(kernel, 1, &param) == KILN_ERROR_USAGE, "index 1 is out of range");
    check_softmax(kernel, "sim");
    check_softmax(kernel, "llvm");
    check_softmax(kernel, "ref");

    /* A traced simulation: trace file and HTML report. */
    enum { rows = 130, cols = 64 };
    static float x[rows * cols];
    for (int i = 0; i < rows * cols; i++) x[i] = (float)(i % 17) * 0.25f;
    int64_t shape[2] = {rows, cols};
    kiln_tensor input = {"x", KILN_F32, 2, shape, x};
    kiln_run_options traced = {"sim", 1, 0};
    kiln_run *run = kiln_kernel_run(kernel, &input, 1, &traced);
    char path[4096];
    snprintf(path, sizeof path, "%s/capi_trace.json", outdir);
    CHECK(kiln_run_write_trace(run, path) == KILN_OK, "%s", kiln_last_error());
    snprintf(path, sizeof path, "%s/capi_report.html", outdir);
    CHECK(kiln_run_write_report(run, path) == KILN_OK, "%s", kiln_last_error());
    const char *html = kiln_run_report_html(run);
    CHECK(html && strstr(html, "data-track=\"pe\"") && strstr(html, "kiln-box"), "report html");
    CHECK(kiln_run_write_report(run, "/nonexistent-dir/r.html") == KILN_ERROR_IO, "unwritable path: %s", kiln_last_error());
    kiln_run_free(run);

    /* Shape mismatch: N is 130 from the compile, the array has 100 rows. */
    int64_t wrong[2] = {100, cols};
    kiln_tensor bad = {"x", KILN_F32, 2, wrong, x};
    run = kiln_kernel_run(kernel, &bad, 1, NULL);
    kiln_diagnostic diagnostic;
    CHECK(kiln_run_status(run) == KILN_ERROR_INPUT, "status %s", kiln_status_name(kiln_run_status(run)));
    CHECK(kiln_diagnostics_get(kiln_run_diagnostics(run), 0, &diagnostic) == KILN_OK && strstr(diagnostic.message, "'x'"),
          "message names the parameter: %s", diagnostic.message);
    kiln_run_free(run);

    kiln_tensor unknown = {"y", KILN_F32, 2, shape, x};
    run = kiln_kernel_run(kernel, &unknown, 1, NULL);
    CHECK(kiln_run_status(run) == KILN_ERROR_INPUT, "unknown parameter y: %s", kiln_status_name(kiln_run_status(run)));
    kiln_run_free(run);
    kiln_tensor bad_dtype = {"x", (kiln_dtype)99, 2, shape, x};
    run = kiln_kernel_run(kernel, &bad_dtype, 1, NULL);
    CHECK(kiln_run_status(run) == KILN_ERROR_USAGE, "dtype code 99");
    kiln_run_free(run);
    kiln_kernel_free(kernel);
}

static void check_named_results_and_scalars(void) {
    kiln_kernel *kernel = compile_example("row_reduce.kiln", NULL);
    enum { rows = 3, cols = 4 };
    float x[rows * cols] = {1, 2, 3, 4, -1, -2, -3, -4, 0.5f, 8, -8, 0};
    float total[rows], peak[rows];
    int64_t shape[2] = {rows, cols};
    kiln_tensor input = {"x", KILN_F32, 2, shape, x};
    kiln_run *run = kiln_kernel_run(kernel, &input, 1, NULL);
    kiln_value_info first, second;
    CHECK(kiln_run_status(run) == KILN_OK && kiln_run_output_count(run) == 2, "%s", kiln_last_error());
    kiln_run_output(run, 0, &first);
    kiln_run_output(run, 1, &second);
    CHECK(strcmp(first.name, "total") == 0 && strcmp(second.name, "peak") == 0, "%s, %s", first.name, second.name);
    kiln_run_read_output(run, 0, total, sizeof total);
    kiln_run_read_output(run, 1, peak, sizeof peak);
    CHECK(total[0] == 10 && total[1] == -10 && total[2] == 0.5f && peak[0] == 4 && peak[1] == -1 && peak[2] == 8,
          "total %g %g %g peak %g %g %g", total[0], total[1], total[2], peak[0], peak[1], peak[2]);
    kiln_run_free(run);
    kiln_kernel_free(kernel);

    kernel = compile_example("axpy.kiln", NULL);
    kiln_value_info alpha;
    CHECK(kiln_kernel_param(kernel, 2, &alpha) == KILN_OK && alpha.rank == 0 && alpha.has_default && alpha.default_value == 2.0,
          "alpha default");
    float xs[5] = {1, 2, 3, 4, 5}, ys[5] = {10, 20, 30, 40, 50}, out[5];
    double three = 3.0;
    int64_t n[1] = {5};
    kiln_tensor inputs[3] = {{"x", KILN_F32, 1, n, xs}, {"y", KILN_F32, 1, n, ys}, {"alpha", KILN_F64, 0, NULL, &three}};
    for (int count = 2; count <= 3; count++) {
        run = kiln_kernel_run(kernel, inputs, (size_t)count, NULL);
        CHECK(kiln_run_status(run) == KILN_OK && kiln_run_read_output(run, 0, out, sizeof out) == KILN_OK, "%s", kiln_last_error());
        float a = count == 3 ? 3.0f : 2.0f;
        CHECK(out[0] == a * 1 + 10 && out[4] == a * 5 + 50, "alpha %g: %g %g", a, out[0], out[4]);
        kiln_run_free(run);
    }
    kiln_kernel_free(kernel);
}

static void check_errors(void) {
    kiln_kernel *kernel = kiln_compile_source("kernel k(x: f32[N]) -> f32[N] {\n  return y\n}\n", "k.kiln", NULL);
    CHECK(kiln_kernel_status(kernel) == KILN_ERROR_COMPILE, "status %s", kiln_status_name(kiln_kernel_status(kernel)));
    const kiln_diagnostics *diagnostics = kiln_kernel_diagnostics(kernel);
    kiln_diagnostic first;
    CHECK(kiln_diagnostics_count(diagnostics) >= 1 && kiln_diagnostics_get(diagnostics, 0, &first) == KILN_OK, "diagnostics");
    CHECK(first.line == 2 && first.column == 10 && first.severity == KILN_ERROR && first.id[0] == 'K',
          "%s:%d:%d %s", first.path, first.line, first.column, first.message);
    CHECK(strstr(kiln_diagnostics_text(diagnostics), "k.kiln:2:10: error:") != NULL, "%s", kiln_diagnostics_text(diagnostics));
    kiln_run *run = kiln_kernel_run(kernel, NULL, 0, NULL);
    CHECK(kiln_run_status(run) == KILN_ERROR_USAGE, "running a kernel that did not compile");
    kiln_run_free(run);
    kiln_kernel_free(kernel);
    kiln_kernel_free(kernel); /* a second free is a usage error, not a crash */
    CHECK(kiln_kernel_status(kernel) == KILN_ERROR_USAGE && strlen(kiln_last_error()) > 0, "freed handle");
    CHECK(kiln_kernel_status(NULL) == KILN_ERROR_USAGE, "NULL handle");
    CHECK(kiln_kernel_name((kiln_kernel *)(uintptr_t)0xdeadbeef) == NULL, "forged handle");
    kernel = kiln_compile_file("/nonexistent/k.kiln", NULL);
    CHECK(kiln_kernel_status(kernel) == KILN_ERROR_IO, "missing file: %s", kiln_status_name(kiln_kernel_status(kernel)));
    kiln_kernel_free(kernel);
    kiln_compile_options options = {"trn9", NULL, NULL, NULL, 3, NULL, 0};
    kernel = kiln_compile_source("kernel k(x: f32[4]) -> f32[4] { return x }", NULL, &options);
    CHECK(kiln_kernel_status(kernel) == KILN_ERROR_USAGE, "dims NULL with dim_count 3");
    kiln_kernel_free(kernel);
    options.dim_count = 0;
    kernel = kiln_compile_source("kernel k(x: f32[4]) -> f32[4] { return x }", NULL, &options);
    CHECK(kiln_kernel_status(kernel) != KILN_OK, "unknown target trn9: %s", kiln_diagnostics_text(kiln_kernel_diagnostics(kernel)));
    kiln_kernel_free(kernel);
    CHECK(kiln_diagnostics_count(NULL) == 0 && kiln_run_output_count(NULL) == 0, "NULL handles count nothing");
}

/* Independent compilations on several threads: each compiles add.kiln and runs it on its own inputs. */
static void *thread_body(void *argument) {
    int seed = *(int *)argument, ok = 1;
    float a[64 * 32], b[64 * 32], out[64 * 32];
    for (int i = 0; i < 64 * 32; i++) {
        a[i] = (float)(seed * 1000 + i);
        b[i] = (float)i * 0.5f;
    }
    int64_t shape[2] = {64, 32};
    for (int round = 0; round < 3 && ok; round++) {
        kiln_kernel *kernel = compile_example("add.kiln", NULL);
        kiln_tensor inputs[2] = {{"a", KILN_F32, 2, shape, a}, {"b", KILN_F32, 2, shape, b}};
        kiln_run *run = kiln_kernel_run(kernel, inputs, 2, NULL);
        ok = kiln_run_status(run) == KILN_OK && kiln_run_read_output(run, 0, out, sizeof out) == KILN_OK;
        for (int i = 0; ok && i < 64 * 32; i++) ok = out[i] == a[i] + b[i];
        kiln_run_free(run);
        kiln_kernel_free(kernel);
    }
    *(int *)argument = ok;
    return NULL;
}

static void check_threads(void) {
    enum { threads = 4 };
    pthread_t ids[threads];
    int results[threads];
    for (int i = 0; i < threads; i++) {
        results[i] = i + 1;
        pthread_create(&ids[i], NULL, thread_body, &results[i]);
    }
    int all = 1;
    for (int i = 0; i < threads; i++) {
        pthread_join(ids[i], NULL);
        all = all && results[i] == 1;
    }
    CHECK(all, "a thread's compile or run failed");
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s EXAMPLES_DIR OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    examples = argv[1];
    CHECK(kiln_api_version() == KILN_API_VERSION, "library API %u, header %d", kiln_api_version(), KILN_API_VERSION);
    CHECK(kiln_dtype_size(KILN_BF16) == 2 && kiln_dtype_size(KILN_F8E4M3FN) == 1 && kiln_dtype_size(KILN_F4E2M1FN) == 1
          && kiln_dtype_size((kiln_dtype)42) == 0, "dtype sizes");
    check_signature_and_runs(argv[2]);
    check_named_results_and_scalars();
    check_errors();
    check_threads();
    printf("%d failure(s)\n", failures);
    return failures == 0 ? 0 : 1;
}
