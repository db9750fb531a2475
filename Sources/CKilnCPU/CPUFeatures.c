// CPUFeatures.c: x86-64 micro-architecture level checks through the compiler's cpuid runtime (libgcc / compiler-rt).
#include "CKilnCPU.h"

#if defined(__x86_64__)
// `__builtin_cpu_supports` reads the feature bits that `__builtin_cpu_init` collects once per process with
// cpuid, and for the AVX levels also checks (xgetbv) that the OS has enabled the wider register state.
int kiln_cpu_supports_x86_64_v3(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("x86-64-v3") ? 1 : 0;
}

int kiln_cpu_supports_x86_64_v4(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("x86-64-v4") ? 1 : 0;
}
#endif
