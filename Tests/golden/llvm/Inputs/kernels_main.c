/* kernels_main.c: a C program linked against `kiln build --emit obj` objects through their generated headers:
 * it calls softmax (256x512) and axpy (N=1000, a scalar argument, a remainder tile) and checks them against
 * plain C. Prints one line per kernel; exits 1 on a mismatch or an allocation failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "axpy.h"
#include "softmax.h"

enum { ROWS = 256, COLS = 512, LENGTH = 1000 };

static int check_softmax(void) {
    static float x[ROWS * COLS], out[ROWS * COLS];
    for (int i = 0; i < ROWS * COLS; i++) x[i] = (float)(3.0 * sin(0.37 * i));
    if (kiln_softmax(x, out) != 0) return 1;
    double worst = 0;
    int bad = 0;
    for (int r = 0; r < ROWS; r++) {
        double maximum = -INFINITY, sum = 0;
        for (int c = 0; c < COLS; c++) maximum = fmax(maximum, x[r * COLS + c]);
        for (int c = 0; c < COLS; c++) sum += exp(x[r * COLS + c] - maximum);
        for (int c = 0; c < COLS; c++) {
            double expected = exp(x[r * COLS + c] - maximum) / sum;
            double error = fabs(out[r * COLS + c] - expected);
            if (error > 1e-5 * fabs(expected) + 1e-7) bad++;
            if (error > worst) worst = error;
        }
    }
    printf("softmax %dx%d: max abs error %.3g, %s\n", ROWS, COLS, worst, bad ? "MISMATCH" : "ok");
    return bad != 0;
}

static int check_axpy(void) {
    static float x[LENGTH], y[LENGTH], out[LENGTH];
    for (int i = 0; i < LENGTH; i++) {
        x[i] = (float)cos(0.11 * i);
        y[i] = (float)(i % 17) - 8.0f;
    }
    const float alpha = -1.5f;
    if (kiln_axpy(x, y, alpha, out) != 0) return 1;
    int bad = 0;
    for (int i = 0; i < LENGTH; i++) {
        float expected = alpha * x[i] + y[i];
        if (fabsf(out[i] - expected) > 1e-6f * fabsf(expected) + 1e-7f) bad++;
    }
    printf("axpy %d: %d mismatches, %s\n", LENGTH, bad, bad ? "MISMATCH" : "ok");
    return bad != 0;
}

int main(void) {
    int failed = check_softmax();
    failed |= check_axpy();
    return failed ? 1 : 0;
}
