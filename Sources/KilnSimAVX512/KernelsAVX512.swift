// KernelsAVX512.swift: KilnNumerics' generic matmul micro-kernel and exp, compiled for x86-64-v4 (zmm registers).

#if arch(x86_64)
import KilnNumerics

// This module is compiled for x86-64-v4 (`-Xcc -march=x86-64-v4` in Package.swift): the transparent generic code
// of `MatmulMicroKernel` (with `SIMD16<Float>`, one zmm register) and `VectorExp` is specialised and
// compiled here for that ISA, never shared with other callers. Only call these when the CPU supports it.

public func matmulAVX512(_ operands: MatmulMicroKernel.Operands) { MatmulMicroKernel.accumulate(SIMD16<Float>.self, operands) }

public func expAVX512(_ x: UnsafePointer<Double>, count: Int, into out: UnsafeMutablePointer<Float>) { VectorExp.expToFloat(x, count: count, into: out) }
#endif
