// VectorExpTests.swift: the eight-lane exp rounds to the same f32 as libm's exp, but for rare 1-ulp ties.

import Foundation
import KilnNumerics
import Testing

@Suite struct VectorExpTests {
    private func vectorExp(_ inputs: [Double]) -> [Float] {
        var out = [Float](repeating: 0, count: inputs.count)
        inputs.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { VectorExp.expToFloat(x.baseAddress!, count: inputs.count, into: $0.baseAddress!) }
        }
        return out
    }

    @Test func specialValuesAndRangeEndsAreExact() {
        let inputs: [Double] = [.nan, -.nan, .infinity, -.infinity, 0, -0.0, 1, -1, 88.72, 88.73, 89, 100, 1e300,
                                -103.9, -103.97, -103.98, -104, -708, -709, -745.2, -1e300, 1e-300, -1e-300,
                                Double(Float.ulpOfOne), 0.5 * log(2.0), -0.5 * log(2.0), 700, -700]
        let got = vectorExp(inputs)
        for (x, value) in zip(inputs, got) {
            let expected = Float(Foundation.exp(x))
            #expect(value.bitPattern == expected.bitPattern || (value.isNaN && expected.isNaN), "exp(\(x))")
        }
    }

    /// One million arguments over the whole f32 range of exp (and some tails of every length mod 8): at most a
    /// couple may round to the neighbouring float (the expected count is below 0.01), none by more than 1 ulp.
    @Test func randomArgumentsRoundLikeLibm() {
        var generator = SystemRandomNumberGenerator()
        for count in [1, 7, 9, 1_000_000] {
            let inputs = (0..<count).map { _ in Double(Float.random(in: -110...95, using: &generator)) }
            let got = vectorExp(inputs)
            var mismatches = 0
            for (x, value) in zip(inputs, got) {
                let expected = Float(Foundation.exp(x))
                guard value != expected else { continue }
                mismatches += 1
                #expect(value == expected.nextUp || value == expected.nextDown, "exp(\(x)): \(value) vs \(expected)")
            }
            #expect(mismatches <= 2)
        }
    }
}
