// ActivationExpTests.swift: every ISA's copy of the activation exp gives the portable copy's bits.

import KilnNumerics
@testable import KilnSim
import Testing

@Suite struct ActivationExpTests {
    @Test func everySupportedInstructionSetMatchesThePortableLoop() {
        var generator = SystemRandomNumberGenerator()
        let special: [Double] = [.nan, .infinity, -.infinity, 0, -0.0, 88.72, 88.73, -103.97, -103.98, -708, -709, 1e300]
        let inputs = special + (0..<100_003).map { _ in Double(Float.random(in: -110...95, using: &generator)) }
        var portable = [Float](repeating: 0, count: inputs.count)
        inputs.withUnsafeBufferPointer { x in
            portable.withUnsafeMutableBufferPointer { VectorExp.expToFloat(x.baseAddress!, count: inputs.count, into: $0.baseAddress!) }
        }
        for set in MatmulKernel.InstructionSet.allCases where set.isSupported {
            var wide = [Float](repeating: 1, count: inputs.count)
            inputs.withUnsafeBufferPointer { x in
                wide.withUnsafeMutableBufferPointer {
                    ActivationExp.expToFloat(x.baseAddress!, count: inputs.count, into: $0.baseAddress!, using: set)
                }
            }
            let differing = zip(portable, wide).filter { $0.bitPattern != $1.bitPattern && !($0.isNaN && $1.isNaN) }.count
            #expect(differing == 0, "\(set)")
        }
    }
}
