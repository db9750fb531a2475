// MatmulKernelTests.swift: every matmul loop (portable, AVX2, AVX-512; whole or in two halves) equals the plain loop bit for bit.

@testable import KilnSim
import Testing

@Suite struct MatmulKernelTests {
    /// The loops the running CPU can execute (all three on an AVX-512 machine).
    static let instructionSets = MatmulKernel.InstructionSet.allCases.filter(\.isSupported)

    /// (k, m, n): the simulator's usual 128 x 128 x 512 and sizes that leave rows and columns over for every block
    /// shape (4 x 8 portable, 4 x 16 AVX2, 8 x 32 AVX-512), including k, m or n of 1 and n = 32 + 8 + 3.
    static let shapes = [
        (128, 128, 512), (1, 1, 1), (1, 9, 33), (7, 5, 13), (128, 3, 9), (1, 4, 8), (33, 130, 17), (5, 1, 512),
        (128, 128, 47), (3, 17, 100), (64, 37, 70), (2, 12, 43), (128, 1, 96), (16, 8, 32),
    ]

    @Test(arguments: shapes)
    func everyLoopEqualsThePlainLoopBitForBit(_ shape: (Int, Int, Int)) {
        let (k, m, n) = shape
        let (s, v, start, expected) = Self.operandsAndPlainResult(k: k, m: m, n: n)
        for instructionSet in Self.instructionSets {
            for inHalves in [false, true] {
                let got = Self.run(s, v, k: k, m: m, n: n, start: start, using: instructionSet, inHalves: inHalves)
                let wrong = Self.mismatches(got, expected)
                #expect(wrong == 0, "\(instructionSet), in halves: \(inHalves)")
            }
        }
        let dispatched = Self.run(s, v, k: k, m: m, n: n, start: start, using: nil, inHalves: false)
        let wrong = Self.mismatches(dispatched, expected)
        #expect(wrong == 0, "the dispatching entry point")
    }

    /// A result whose rows are wider apart than n (a PSUM tile updated in place) gets the same values in its rows,
    /// and the elements between rows are not touched.
    @Test(arguments: shapes)
    func aStridedResultEqualsTheDenseOne(_ shape: (Int, Int, Int)) {
        let (k, m, n) = shape
        let stride = n + 13
        let (s, v, start, expected) = Self.operandsAndPlainResult(k: k, m: m, n: n)
        for instructionSet in Self.instructionSets {
            for inHalves in [false, true] {
                var strided = [Float](repeating: 7, count: m * stride)
                for row in 0..<m { for column in 0..<n { strided[row * stride + column] = start[row * n + column] } }
                s.withUnsafeBufferPointer { sp in
                    v.withUnsafeBufferPointer { vp in
                        strided.withUnsafeMutableBufferPointer { out in
                            MatmulKernel.accumulate(stationary: sp, moving: vp, k: k, m: m, n: n, into: out, resultStride: stride,
                                                    using: instructionSet, inHalves: inHalves)
                        }
                    }
                }
                let rows = (0..<m).flatMap { row in strided[(row * stride)..<(row * stride + n)] }
                let gaps = (0..<m).flatMap { row in strided[(row * stride + n)..<(row * stride + stride)] }
                #expect(Self.mismatches(rows, expected) == 0, "\(instructionSet), in halves: \(inHalves)")
                #expect(gaps.allSatisfy { $0 == 7 })
            }
        }
    }

    /// The data is sensitive to the order of the additions (so a loop that reassociated would fail the test
    /// above): the same dot products summed from i = k - 1 down give other bits somewhere.
    @Test func theTestDataDetectsReassociation() {
        let (k, m, n) = (128, 16, 64)
        var generator = SystemRandomNumberGenerator()
        let s = Self.awkwardValues(k * m, using: &generator)
        let v = Self.awkwardValues(k * n, using: &generator)
        var forward = [Float](repeating: 0, count: m * n)
        Self.plain(s, v, k: k, m: m, n: n, into: &forward)
        var backward = [Float](repeating: 0, count: m * n)
        for row in 0..<m {
            for column in 0..<n {
                var dot: Float = 0
                for i in (0..<k).reversed() { dot += s[i * m + row] * v[i * n + column] }
                backward[row * n + column] = dot
            }
        }
        let differences = Self.mismatches(forward, backward)
        #expect(differences > 0)
    }

    /// The running sum starts at the accumulator's value: -0 products added to a -0 accumulator stay -0, and to
    /// +0 (the zeros a `start` gives) they give +0, as IEEE addition of signed zeros says.
    @Test func negativeZeroProductsKeepTheAccumulatorsZero() {
        let (k, m, n) = (9, 11, 37)
        let s = [Float](repeating: -0.0, count: k * m)
        let v = [Float](repeating: 1, count: k * n)
        for zero in [Float(-0.0), Float(0)] {
            let start = [Float](repeating: zero, count: m * n)
            for instructionSet in Self.instructionSets {
                let got = Self.run(s, v, k: k, m: m, n: n, start: start, using: instructionSet, inHalves: true)
                #expect(got.allSatisfy { $0.bitPattern == zero.bitPattern }, "\(instructionSet), from \(zero)")
            }
        }
    }

    /// Awkward stationary, moving and accumulator values, and the plain loop's result on them.
    private static func operandsAndPlainResult(k: Int, m: Int, n: Int)
        -> (stationary: [Float], moving: [Float], start: [Float], expected: [Float]) {
        var generator = SystemRandomNumberGenerator()
        let s = awkwardValues(k * m, using: &generator)
        let v = awkwardValues(k * n, using: &generator)
        let start = awkwardValues(m * n, using: &generator)
        var expected = start
        plain(s, v, k: k, m: m, n: n, into: &expected)
        return (s, v, start, expected)
    }

    /// The reference (Docs/numerics.md, "Matmul accumulation order"): per output element, each product rounded
    /// to Float and added to the running sum, which starts at the accumulator's value, in order i = 0, 1, ....
    private static func plain(_ s: [Float], _ v: [Float], k: Int, m: Int, n: Int, into result: inout [Float]) {
        for row in 0..<m {
            for column in 0..<n {
                var sum = result[row * n + column]
                for i in 0..<k { sum += s[i * m + row] * v[i * n + column] }
                result[row * n + column] = sum
            }
        }
    }

    /// `MatmulKernel.accumulate` on copies of the operands; `using: nil` is the public entry point (the host's
    /// loop, halves when the call is big enough).
    private static func run(_ s: [Float], _ v: [Float], k: Int, m: Int, n: Int, start: [Float],
                            using instructionSet: MatmulKernel.InstructionSet?, inHalves: Bool) -> [Float] {
        var result = start
        s.withUnsafeBufferPointer { sp in
            v.withUnsafeBufferPointer { vp in
                result.withUnsafeMutableBufferPointer { out in
                    if let instructionSet {
                        MatmulKernel.accumulate(stationary: sp, moving: vp, k: k, m: m, n: n, into: out,
                                                using: instructionSet, inHalves: inHalves)
                    } else {
                        MatmulKernel.accumulate(stationary: sp, moving: vp, k: k, m: m, n: n, into: out)
                    }
                }
            }
        }
        return result
    }

    /// How many elements differ in their bits (arrays of one length), except that any NaN equals any NaN: NaN
    /// payloads and signs are not part of the contract (LLVM may swap the operands of a multiply or an add, and
    /// x86 keeps the first NaN operand's).
    private static func mismatches(_ a: [Float], _ b: [Float]) -> Int {
        zip(a, b).count { $0.bitPattern != $1.bitPattern && !($0.isNaN && $1.isNaN) }
    }

    /// Values whose products and sums round (random 24-bit significands, exponents from 2^-66 to 2^20, so some
    /// products are subnormal), with 5% signed zeros (mostly -0), 5% subnormals, and one infinity, one NaN and
    /// one huge value (whose products overflow) per array at random places, so most results stay finite.
    private static func awkwardValues(_ count: Int, using generator: inout SystemRandomNumberGenerator) -> [Float] {
        var values = (0..<count).map { _ -> Float in
            let sign: FloatingPointSign = Bool.random(using: &generator) ? .minus : .plus
            switch Int.random(in: 0..<100, using: &generator) {
            case 0..<4: return -0.0
            case 4: return 0
            case 5..<10: return Float(sign: sign, exponentBitPattern: 0, significandBitPattern: .random(in: 1...0x7F_FFFF, using: &generator))
            default:
                return Float(sign: sign, exponent: .random(in: -66...20, using: &generator),
                             significand: .random(in: 1..<2, using: &generator))
            }
        }
        for special in [Float.infinity, -Float.nan, -Float.greatestFiniteMagnitude] where count > 3 {
            values[Int.random(in: 0..<count, using: &generator)] = special
        }
        return values
    }
}
