// MatmulKernelAVX2.swift: the simulator's matmul micro-kernel for x86-64-v3 (AVX2): 4 x 16 dot products in ymm registers.

#if arch(x86_64)
/// `result[r, c] += sum over i of stationary[i, r] * moving[i, c]` for the rows and columns given, with the
/// numerics of KilnSim's `MatmulKernel` (each dot product summed in `Float` in order i = 0..<k from +0, each
/// product and each sum rounded, then added to the accumulator). This module is compiled for x86-64-v3
/// (`-Xcc -march=x86-64-v3` in Package.swift), so `SIMD8<Float>` is one ymm register; Swift never contracts a
/// multiply and an add into an FMA, so the object has `vmulps` and `vaddps` and no `vfmadd`. Only call it when
/// the CPU supports x86-64-v3.
///
/// The loop: for each panel of 16 columns, the panel of `moving` (k x 16, stride n) is first copied into a
/// contiguous buffer (with n = 512 the rows of a panel are 2 KiB apart and would fall into two L1 sets), then
/// every block of 4 rows runs the whole k loop on 4 x 2 ymm accumulators: per step two 8-wide loads of the
/// panel, four broadcasts of `stationary`, eight multiplies and eight adds. Four rows is the most that keeps
/// the accumulators, operands and broadcast in the 16 ymm registers without spills.
public enum MatmulKernelAVX2 {
    /// The block the kernel requires: `rows.count` a multiple of `rowBlock`, `columns.count` of `columnBlock`.
    public static let rowBlock = 4
    public static let columnBlock = 16

    /// Stationary is [k | m], moving [k | n] and result [m | n], all row-major, result rows `resultStride` elements
    /// apart (n when dense; wider for a PSUM tile accumulated in place); `rows` and `columns` select the part of the
    /// result computed (counts multiples of the blocks).
    @inline(never)
    public static func accumulate(stationary: UnsafePointer<Float>, moving: UnsafePointer<Float>, k: Int, m: Int, n: Int,
                                  rows: Range<Int>, columns: Range<Int>, into result: UnsafeMutablePointer<Float>,
                                  resultStride: Int) {
        precondition(rows.count % rowBlock == 0 && columns.count % columnBlock == 0, "rows or columns not whole blocks")
        withUnsafeTemporaryAllocation(of: Float.self, capacity: k * columnBlock) { buffer in
            guard let panel = buffer.baseAddress else { return }
            var column = columns.lowerBound
            while column < columns.upperBound {
                for i in 0..<k {
                    let source = moving + i * n + column
                    store(load(source), at: panel + i * columnBlock)
                    store(load(source + 8), at: panel + i * columnBlock + 8)
                }
                var row = rows.lowerBound
                while row < rows.upperBound {
                    block(stationary + row, rowStride: m, panel: panel, k: k, into: result + row * resultStride + column,
                          n: resultStride)
                    row += rowBlock
                }
                column += columnBlock
            }
        }
    }

    /// One 4 x 16 block: `weights` points at stationary[0, row], `out` at result[row, column].
    @inline(__always)
    private static func block(_ weights: UnsafePointer<Float>, rowStride: Int, panel: UnsafePointer<Float>, k: Int,
                              into out: UnsafeMutablePointer<Float>, n: Int) {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        var b0 = SIMD8<Float>(), b1 = SIMD8<Float>(), b2 = SIMD8<Float>(), b3 = SIMD8<Float>()
        var w = weights, p = panel
        for _ in 0..<k {
            let left = load(p), right = load(p + 8)
            var x = SIMD8(repeating: w[0])
            a0 += x * left; b0 += x * right
            x = SIMD8(repeating: w[1])
            a1 += x * left; b1 += x * right
            x = SIMD8(repeating: w[2])
            a2 += x * left; b2 += x * right
            x = SIMD8(repeating: w[3])
            a3 += x * left; b3 += x * right
            w += rowStride
            p += columnBlock
        }
        add(a0, to: out); add(b0, to: out + 8)
        add(a1, to: out + n); add(b1, to: out + n + 8)
        add(a2, to: out + 2 * n); add(b2, to: out + 2 * n + 8)
        add(a3, to: out + 3 * n); add(b3, to: out + 3 * n + 8)
    }

    @inline(__always)
    private static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    private static func store(_ values: SIMD8<Float>, at pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: values, as: SIMD8<Float>.self)
    }

    @inline(__always)
    private static func add(_ dots: SIMD8<Float>, to pointer: UnsafeMutablePointer<Float>) {
        store(load(pointer) + dots, at: pointer)
    }
}
#endif
