// MatmulKernel+Portable.swift: the matmul loop for any CPU (SIMD8<Float> at the baseline ISA), on any block of the result.

extension MatmulKernel {
    /// The portable loop, used where neither wide kernel applies (other CPUs, and the rows and columns left over
    /// by a wide kernel's blocks). 4 rows x 8 columns of dot products stay in `SIMD8<Float>` registers across
    /// the whole k loop (per step: one 8-wide load of `moving`, four broadcasts of `stationary`, four
    /// multiplies and four adds), so each value of `moving` is loaded once per 4 rows instead of once per row.
    /// The registers start at the result's values, so each product is added to the running sum in order.
    /// Leftover rows and columns (mod 4, mod 8) take the same sums one element at a time.
    /// Result rows are `resultStride` elements apart.
    static func accumulatePortable(stationary s: UnsafePointer<Float>, moving v: UnsafePointer<Float>, k: Int, m: Int,
                                   n: Int, rows: Range<Int>, columns: Range<Int>, into out: UnsafeMutablePointer<Float>,
                                   resultStride: Int) {
        let blockedRowsEnd = rows.upperBound - rows.count % 4
        let blockedColumnsEnd = columns.upperBound - columns.count % 8
        var row = rows.lowerBound
        while row < blockedRowsEnd {
            var column = columns.lowerBound
            while column < blockedColumnsEnd {
                var d0 = load(out + row * resultStride + column), d1 = load(out + (row + 1) * resultStride + column)
                var d2 = load(out + (row + 2) * resultStride + column), d3 = load(out + (row + 3) * resultStride + column)
                for i in 0..<k {
                    let values = UnsafeRawPointer(v + i * n + column).loadUnaligned(as: SIMD8<Float>.self)
                    let weights = s + i * m + row
                    d0 += SIMD8(repeating: weights[0]) * values
                    d1 += SIMD8(repeating: weights[1]) * values
                    d2 += SIMD8(repeating: weights[2]) * values
                    d3 += SIMD8(repeating: weights[3]) * values
                }
                store(d0, at: out + row * resultStride + column)
                store(d1, at: out + (row + 1) * resultStride + column)
                store(d2, at: out + (row + 2) * resultStride + column)
                store(d3, at: out + (row + 3) * resultStride + column)
                column += 8
            }
            for r in row..<(row + 4) {
                scalarColumns(s, v, k: k, m: m, n: n, row: r, columns: blockedColumnsEnd..<columns.upperBound, into: out,
                              resultStride: resultStride)
            }
            row += 4
        }
        for r in blockedRowsEnd..<rows.upperBound {
            scalarColumns(s, v, k: k, m: m, n: n, row: r, columns: columns, into: out, resultStride: resultStride)
        }
    }

    private static func load(_ pointer: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    private static func store(_ sums: SIMD8<Float>, at pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: sums, as: SIMD8<Float>.self)
    }

    private static func scalarColumns(_ s: UnsafePointer<Float>, _ v: UnsafePointer<Float>, k: Int, m: Int, n: Int,
                                      row: Int, columns: Range<Int>, into out: UnsafeMutablePointer<Float>, resultStride: Int) {
        for column in columns {
            var sum = out[row * resultStride + column]
            for i in 0..<k { sum += s[i * m + row] * v[i * n + column] }
            out[row * resultStride + column] = sum
        }
    }
}
