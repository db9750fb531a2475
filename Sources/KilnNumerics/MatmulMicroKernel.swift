// MatmulMicroKernel.swift: the simulator's matmul micro-kernel, one generic copy for every vector width.

/// `result[r, c] += sum over i of stationary[i, r] * moving[i, c]` for the rows and columns given, with the
/// numerics of KilnSim's `MatmulKernel` (each product rounded to `Float` and added to the accumulator's value in
/// order i = 0..<k, each sum rounded: Docs/numerics.md, "Matmul accumulation order"). Generic over the vector `V` (`SIMD8<Float>`
/// for AVX2's ymm registers, `SIMD16<Float>` for AVX-512's zmm) and transparent, like `VectorExp`: a module
/// compiled for a wider ISA (KilnSimAVX2, KilnSimAVX512) gets its own specialised copy inside its own function.
/// Swift never contracts a multiply and an add into an FMA, so the objects have `vmulps` and `vaddps`.
///
/// The loop: for each panel of `2 * V.scalarCount` columns, the panel of `moving` (k x panel, stride n) is first
/// copied into a contiguous buffer (with n = 512 the rows of a panel are 2 KiB apart and would fall into two L1
/// sets), then every block of 4 rows runs the whole k loop on 4 x 2 vector accumulators: per step two vector
/// loads of the panel, four broadcasts of `stationary`, eight multiplies and eight adds. Four rows keep the
/// accumulators, operands and broadcast in AVX2's 16 ymm registers without spills; on AVX-512, 4, 8 and 12 rows
/// ran within 2% of each other.
public enum MatmulMicroKernel {
    /// Rows per block: `rows.count` must be a multiple.
    public static let rowBlock = 4

    /// One call's operands: stationary is [k | m], moving [k | n] and result [m | n], all row-major, result rows
    /// `resultStride` elements apart (n when dense; wider for a PSUM tile accumulated in place); `rows` and
    /// `columns` select the part of the result computed (counts multiples of the blocks).
    public struct Operands {
        public let stationary: UnsafePointer<Float>, moving: UnsafePointer<Float>
        public let k: Int, m: Int, n: Int
        public let rows: Range<Int>, columns: Range<Int>
        public let result: UnsafeMutablePointer<Float>, resultStride: Int

        public init(stationary: UnsafePointer<Float>, moving: UnsafePointer<Float>, k: Int, m: Int, n: Int, rows: Range<Int>,
                    columns: Range<Int>, result: UnsafeMutablePointer<Float>, resultStride: Int) {
            (self.stationary, self.moving, self.k, self.m, self.n) = (stationary, moving, k, m, n)
            (self.rows, self.columns, self.result, self.resultStride) = (rows, columns, result, resultStride)
        }
    }

    /// `accumulate` on one call's operands.
    @_transparent
    public static func accumulate<V: SIMD>(_ vector: V.Type, _ o: Operands) where V.Scalar == Float {
        accumulate(V.self, stationary: o.stationary, moving: o.moving, k: o.k, m: o.m, n: o.n, rows: o.rows,
                   columns: o.columns, into: o.result, resultStride: o.resultStride)
    }

    /// Columns per panel for vector type `V`: `columns.count` must be a multiple.
    @_transparent
    public static func columnBlock<V: SIMD>(_ vector: V.Type) -> Int where V.Scalar == Float { 2 * V.scalarCount }

    /// Stationary is [k | m], moving [k | n] and result [m | n], all row-major, result rows `resultStride` elements
    /// apart (n when dense; wider for a PSUM tile accumulated in place); `rows` and `columns` select the part of the
    /// result computed (counts multiples of the blocks).
    @_transparent
    public static func accumulate<V: SIMD>(_ vector: V.Type, stationary: UnsafePointer<Float>, moving: UnsafePointer<Float>,
                                           k: Int, m: Int, n: Int, rows: Range<Int>, columns: Range<Int>,
                                           into result: UnsafeMutablePointer<Float>, resultStride: Int)
    where V.Scalar == Float {
        let width = V.scalarCount, panelWidth = 2 * V.scalarCount
        precondition(rows.count % rowBlock == 0 && columns.count % panelWidth == 0, "rows or columns not whole blocks")
        withUnsafeTemporaryAllocation(of: Float.self, capacity: k * panelWidth) { buffer in
            guard let panel = buffer.baseAddress else { return }
            var column = columns.lowerBound
            while column < columns.upperBound {
                for i in 0..<k {
                    let source = moving + i * n + column
                    store(load(source, V.self), at: panel + i * panelWidth)
                    store(load(source + width, V.self), at: panel + i * panelWidth + width)
                }
                var row = rows.lowerBound
                while row < rows.upperBound {
                    block(V.self, stationary + row, rowStride: m, panel: panel, k: k,
                          into: result + row * resultStride + column, n: resultStride)
                    row += rowBlock
                }
                column += panelWidth
            }
        }
    }

    /// One 4-row block: `weights` points at stationary[0, row], `out` at result[row, column].
    @_transparent @usableFromInline
    static func block<V: SIMD>(_ vector: V.Type, _ weights: UnsafePointer<Float>, rowStride: Int,
                               panel: UnsafePointer<Float>, k: Int, into out: UnsafeMutablePointer<Float>, n: Int)
    where V.Scalar == Float {
        let width = V.scalarCount
        // The accumulators start at the result's values: each product is added to the running sum in order.
        var a0 = load(out, V.self), a1 = load(out + n, V.self), a2 = load(out + 2 * n, V.self), a3 = load(out + 3 * n, V.self)
        var b0 = load(out + width, V.self), b1 = load(out + n + width, V.self)
        var b2 = load(out + 2 * n + width, V.self), b3 = load(out + 3 * n + width, V.self)
        var w = weights, p = panel
        for _ in 0..<k {
            let left = load(p, V.self), right = load(p + width, V.self)
            var x = V(repeating: w[0])
            a0 += x * left; b0 += x * right
            x = V(repeating: w[1])
            a1 += x * left; b1 += x * right
            x = V(repeating: w[2])
            a2 += x * left; b2 += x * right
            x = V(repeating: w[3])
            a3 += x * left; b3 += x * right
            w += rowStride
            p += 2 * width
        }
        store(a0, at: out); store(b0, at: out + width)
        store(a1, at: out + n); store(b1, at: out + n + width)
        store(a2, at: out + 2 * n); store(b2, at: out + 2 * n + width)
        store(a3, at: out + 3 * n); store(b3, at: out + 3 * n + width)
    }

    @_transparent @usableFromInline
    static func load<V: SIMD>(_ pointer: UnsafeMutablePointer<Float>, _ vector: V.Type) -> V where V.Scalar == Float {
        load(UnsafePointer(pointer), V.self)
    }

    @_transparent @usableFromInline
    static func load<V: SIMD>(_ pointer: UnsafePointer<Float>, _ vector: V.Type) -> V where V.Scalar == Float {
        UnsafeRawPointer(pointer).loadUnaligned(as: V.self)
    }

    @_transparent @usableFromInline
    static func store<V: SIMD>(_ values: V, at pointer: UnsafeMutablePointer<Float>) where V.Scalar == Float {
        UnsafeMutableRawPointer(pointer).storeBytes(of: values, as: V.self)
    }

}
