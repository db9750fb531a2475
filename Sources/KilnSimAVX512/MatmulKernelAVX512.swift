// MatmulKernelAVX512.swift: KilnNumerics' generic matmul micro-kernel compiled for x86-64-v4 (zmm registers).

#if arch(x86_64)
import KilnNumerics

/// `MatmulMicroKernel` with `SIMD16<Float>` (one zmm register), compiled for this module's x86-64 level
/// (`-Xcc -march=x86-64-v4` in Package.swift). Only call it when the CPU supports that level.
public enum MatmulKernelAVX512 {
    public static let rowBlock = MatmulMicroKernel.rowBlock
    public static let columnBlock = MatmulMicroKernel.columnBlock(SIMD16<Float>.self)

    @inline(never)
    public static func accumulate(stationary: UnsafePointer<Float>, moving: UnsafePointer<Float>, k: Int, m: Int, n: Int,
                                  rows: Range<Int>, columns: Range<Int>, into result: UnsafeMutablePointer<Float>,
                                  resultStride: Int) {
        MatmulMicroKernel.accumulate(SIMD16<Float>.self, stationary: stationary, moving: moving, k: k, m: m, n: n,
                                     rows: rows, columns: columns, into: result, resultStride: resultStride)
    }
}
#endif
