// KernelsAVX2.swift: KilnNumerics' generic matmul micro-kernel and exp, compiled for x86-64-v3 (ymm registers).

#if arch(x86_64)
import KilnNumerics

// This module is compiled for x86-64-v3 (`-Xcc -march=x86-64-v3` in Package.swift): the transparent generic code
// of `MatmulMicroKernel` (with `SIMD8<Float>`, one ymm register) and `VectorExp` is specialised and
// compiled here for that ISA, never shared with other callers. Only call these when the CPU supports it.

public func matmulAVX2(_ operands: MatmulMicroKernel.Operands) { MatmulMicroKernel.accumulate(SIMD8<Float>.self, operands) }

public func expAVX2(_ x: UnsafePointer<Double>, count: Int, into out: UnsafeMutablePointer<Float>) { VectorExp.expToFloat(x, count: count, into: out) }
#endif
