// MatmulKernelTests.swift: the blocked SIMD matmul loop is bit-identical to the plain triple loop it replaces.

@testable import KilnSim
import Testing

@Suite struct MatmulKernelTests {
    /// The reference: per output element, the dot product summed in Float in order, then added.
    private func plain(_ s: [Float], _ v: [Float], k: Int, m: Int, n: Int, into result: inout [Float]) {
        for row in 0..<m {
            for column in 0..<n {
                var dot: Float = 0
                for i in 0..<k { dot += s[i * m + row] * v[i * n + column] }
                result[row * n + column] += dot
            }
        }
    }

    @Test(arguments: [(128, 128, 512), (7, 5, 13), (128, 3, 9), (1, 4, 8), (33, 130, 17)])
    func blockedEqualsPlainBitForBit(_ shape: (Int, Int, Int)) {
        let (k, m, n) = shape
        var generator = SystemRandomNumberGenerator()
        let s = (0..<(k * m)).map { _ in Float.random(in: -1...1, using: &generator) }
        let v = (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &generator) * 1000 }
        let start = (0..<(m * n)).map { _ in Float.random(in: -1...1, using: &generator) }
        var expected = start
        plain(s, v, k: k, m: m, n: n, into: &expected)
        var got = start
        s.withUnsafeBufferPointer { sp in
            v.withUnsafeBufferPointer { vp in
                got.withUnsafeMutableBufferPointer { out in
                    MatmulKernel.accumulate(stationary: sp, moving: vp, k: k, m: m, n: n, into: out)
                }
            }
        }
        #expect(got.map(\.bitPattern) == expected.map(\.bitPattern))
    }
}
