// MatmulKernelAVX512.swift: the simulator's matmul micro-kernel for x86-64-v4 (AVX-512): 8 x 32 dot products in zmm registers.

#if arch(x86_64)
/// `result[r, c] += sum over i of stationary[i, r] * moving[i, c]` for the rows and columns given, with the
/// numerics of KilnSim's `MatmulKernel` (each dot product summed in `Float` in order i = 0..<k from +0, each
/// product and each sum rounded, then added to the accumulator). This module is compiled for x86-64-v4
/// (`-Xcc -march=x86-64-v4` in Package.swift), so `SIMD16<Float>` is one zmm register; Swift never contracts
/// a multiply and an add into an FMA, so the object has `vmulps` and `vaddps` and no `vfmadd`. Only call it
/// when the CPU supports x86-64-v4.
///
/// The loop: for each panel of 32 columns, the panel of `moving` (k x 32, stride n) is first copied into a
/// contiguous buffer, then every block of 8 rows runs the whole k loop on 8 x 2 zmm accumulators: per step
/// two 16-wide loads of the panel, eight broadcasts of `stationary`, sixteen multiplies and sixteen adds.
/// The 32 zmm registers hold the 16 accumulators with room to spare; 4 or 12 rows ran within 2% of 8, which
/// divides the usual m = 128.
public enum MatmulKernelAVX512 {
    /// The block the kernel requires: `rows.count` a multiple of `rowBlock`, `columns.count` of `columnBlock`.
    public static let rowBlock = 8
    public static let columnBlock = 32

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
                    store(load(source + 16), at: panel + i * columnBlock + 16)
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

    /// One 8 x 32 block: `weights` points at stationary[0, row], `out` at result[row, column].
    @inline(__always)
    private static func block(_ weights: UnsafePointer<Float>, rowStride: Int, panel: UnsafePointer<Float>, k: Int,
                              into out: UnsafeMutablePointer<Float>, n: Int) {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        var a4 = SIMD16<Float>(), a5 = SIMD16<Float>(), a6 = SIMD16<Float>(), a7 = SIMD16<Float>()
        var b0 = SIMD16<Float>(), b1 = SIMD16<Float>(), b2 = SIMD16<Float>(), b3 = SIMD16<Float>()
        var b4 = SIMD16<Float>(), b5 = SIMD16<Float>(), b6 = SIMD16<Float>(), b7 = SIMD16<Float>()
        var w = weights, p = panel
        for _ in 0..<k {
            let left = load(p), right = load(p + 16)
            var x = SIMD16(repeating: w[0])
            a0 += x * left; b0 += x * right
            x = SIMD16(repeating: w[1])
            a1 += x * left; b1 += x * right
            x = SIMD16(repeating: w[2])
            a2 += x * left; b2 += x * right
            x = SIMD16(repeating: w[3])
            a3 += x * left; b3 += x * right
            x = SIMD16(repeating: w[4])
            a4 += x * left; b4 += x * right
            x = SIMD16(repeating: w[5])
            a5 += x * left; b5 += x * right
            x = SIMD16(repeating: w[6])
            a6 += x * left; b6 += x * right
            x = SIMD16(repeating: w[7])
            a7 += x * left; b7 += x * right
            w += rowStride
            p += columnBlock
        }
        add(a0, to: out); add(b0, to: out + 16)
        add(a1, to: out + n); add(b1, to: out + n + 16)
        add(a2, to: out + 2 * n); add(b2, to: out + 2 * n + 16)
        add(a3, to: out + 3 * n); add(b3, to: out + 3 * n + 16)
        add(a4, to: out + 4 * n); add(b4, to: out + 4 * n + 16)
        add(a5, to: out + 5 * n); add(b5, to: out + 5 * n + 16)
        add(a6, to: out + 6 * n); add(b6, to: out + 6 * n + 16)
        add(a7, to: out + 7 * n); add(b7, to: out + 7 * n + 16)
    }

    @inline(__always)
    private static func load(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    private static func store(_ values: SIMD16<Float>, at pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: values, as: SIMD16<Float>.self)
    }

    @inline(__always)
    private static func add(_ dots: SIMD16<Float>, to pointer: UnsafeMutablePointer<Float>) {
        store(load(pointer) + dots, at: pointer)
    }
}
#endif
