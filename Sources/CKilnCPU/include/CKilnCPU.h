// CKilnCPU.h: which x86-64 micro-architecture levels the running CPU and OS support (for kernel dispatch).
#ifndef KILN_CKILNCPU_H
#define KILN_CKILNCPU_H

#if defined(__x86_64__)
/// 1 when the CPU has every x86-64-v3 feature (AVX, AVX2, BMI1/2, F16C, FMA, LZCNT, MOVBE, XSAVE) and the OS
/// saves the ymm registers; 0 otherwise.
int kiln_cpu_supports_x86_64_v3(void);
/// 1 when the CPU has every x86-64-v4 feature (v3 plus AVX512F, AVX512BW, AVX512CD, AVX512DQ, AVX512VL) and the
/// OS saves the zmm and mask registers; 0 otherwise.
int kiln_cpu_supports_x86_64_v4(void);
#endif

#endif
