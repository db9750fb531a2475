// MatmulKernel.swift: the tensor engine's multiply-accumulate as a register-blocked SIMD loop (the simulator's hot loop).

/// `result[r, c] += sum over i of stationary[i, r] * moving[i, c]`, all in `Float`, where stationary is
/// [k | m] and moving [k | n] (partition-major, the contraction dim on partitions) and result [m | n].
///
/// Numerics are exactly those of the plain triple loop: for each output element the dot product is summed
/// in `Float` in order i = 0, 1, ..., k - 1 (each product rounded, then each addition; Swift does not fuse
/// them), and only then added to the accumulator. The speed comes from the order of the work, not from
/// reassociation: 4 rows x 8 columns of dot products stay in `SIMD8<Float>` registers across the whole k
/// loop (per step: one 8-wide load of `moving`, four broadcasts of `stationary`, four multiply-adds), so
/// each value of `moving` is loaded once per 4 rows instead of once per row. Leftover rows and columns
/// (m mod 4, n mod 8) take the same sums one element at a time.
enum MatmulKernel {
    static func accumulate(stationary: UnsafeBufferPointer<Float>, moving: UnsafeBufferPointer<Float>,
                           k: Int, m: Int, n: Int, into result: UnsafeMutableBufferPointer<Float>) {
        guard k > 0, m > 0, n > 0, let s = stationary.baseAddress, let v = moving.baseAddress,
              let out = result.baseAddress else { return }
        let blockedRows = m - m % 4
        let blockedColumns = n - n % 8
        var row = 0
        while row < blockedRows {
            var column = 0
            while column < blockedColumns {
                var d0 = SIMD8<Float>(), d1 = SIMD8<Float>(), d2 = SIMD8<Float>(), d3 = SIMD8<Float>()
                for i in 0..<k {
                    let values = UnsafeRawPointer(v + i * n + column).loadUnaligned(as: SIMD8<Float>.self)
                    let weights = s + i * m + row
                    d0 += SIMD8(repeating: weights[0]) * values
                    d1 += SIMD8(repeating: weights[1]) * values
                    d2 += SIMD8(repeating: weights[2]) * values
                    d3 += SIMD8(repeating: weights[3]) * values
                }
                add(d0, to: out + row * n + column)
                add(d1, to: out + (row + 1) * n + column)
                add(d2, to: out + (row + 2) * n + column)
                add(d3, to: out + (row + 3) * n + column)
                column += 8
            }
            for r in row..<(row + 4) { scalarColumns(s, v, k: k, m: m, n: n, row: r, from: blockedColumns, into: out) }
            row += 4
        }
        for r in blockedRows..<m { scalarColumns(s, v, k: k, m: m, n: n, row: r, from: 0, into: out) }
    }

    private static func add(_ dots: SIMD8<Float>, to pointer: UnsafeMutablePointer<Float>) {
        let raw = UnsafeMutableRawPointer(pointer)
        raw.storeBytes(of: raw.loadUnaligned(as: SIMD8<Float>.self) + dots, as: SIMD8<Float>.self)
    }

    private static func scalarColumns(_ s: UnsafePointer<Float>, _ v: UnsafePointer<Float>, k: Int, m: Int, n: Int,
                                      row: Int, from firstColumn: Int, into out: UnsafeMutablePointer<Float>) {
        for column in firstColumn..<n {
            var dot: Float = 0
            for i in 0..<k { dot += s[i * m + row] * v[i * n + column] }
            out[row * n + column] += dot
        }
    }
}
