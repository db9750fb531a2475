// ConversionIRTests.swift: the integer-IR bf16/f16/fp8 conversions against KilnNumerics, bit pattern by bit pattern.

import KilnLLVM
import KilnMachine
import KilnNumerics
import KilnTileIR
import Testing

@Suite struct ConversionIRTests {
    static let narrowTypes: [ElementType] = [.bf16, .f16, .f8e4m3, .f8e4m3fn, .f8e5m2, .f4e2m1fn]

    /// f32 -> narrow (round to nearest even) for every upper 16-bit pattern of an f32 combined with low
    /// halves that sit just below, at and above the rounding points of each format (ties included).
    @Test func encodeMatchesKilnNumerics() throws {
        let lows: [UInt32] = [0x0000, 0x0001, 0x0FFF, 0x1000, 0x1001, 0x3000, 0x7FFF, 0x8000, 0x8001, 0xFFFF]
        var inputs: [Double] = []
        for high in 0..<UInt32(1 << 16) {
            for low in lows { inputs.append(Double(Float(bitPattern: high << 16 | low))) }
        }
        let n = inputs.count
        let outputs = Self.narrowTypes.map { "%o_\($0): hbm \($0)[\(n)]" }.joined(separator: ", ")
        let casts = Self.narrowTypes.map { "    %c_\($0) = cast %x : \($0)[\(n)]" }.joined(separator: "\n")
        let text = """
        kiln.module target "trn1" {
          func @encode(%x: hbm f32[\(n)]) -> (\(outputs)) {
        \(casts)
            return \(Self.narrowTypes.map { "%c_\($0)" }.joined(separator: ", "))
          }
        }
        """
        let x = try #require(Tensor(dtype: .f32, shape: [n], values: inputs))
        let results = try jitRun(text, ["x": x])
        for type in Self.narrowTypes {
            let actual = try #require(results["o_\(type)"])
            let expected = x.converted(to: type)
            let mismatches = zip(actual.values, expected.values).enumerated().filter { _, pair in
                pair.0.bitPattern != pair.1.bitPattern && !(pair.0.isNaN && pair.1.isNaN)
            }
            #expect(mismatches.isEmpty, "\(type): \(mismatches.count) mismatches, first \(mismatches.prefix(3).map { (index: $0.offset, input: inputs[$0.offset], got: $0.element.0, want: $0.element.1) })")
        }
    }

    /// narrow -> f32 for every bit pattern of each format (NaNs reach the kernel as the canonical quiet NaN).
    @Test(arguments: narrowTypes) func decodeMatchesKilnNumerics(type: ElementType) throws {
        let format = try #require(type.floatFormat)
        let count = 1 << format.bitWidth
        let values = (0..<count).map { format.decode(UInt64($0)) }
        let text = """
        kiln.module target "trn1" {
          func @decode(%x: hbm \(type)[\(count)]) -> (%y: hbm f32[\(count)]) {
            %c = cast %x : f32[\(count)]
            return %c
          }
        }
        """
        let x = try #require(Tensor(dtype: type, shape: [count], values: values))
        let y = try #require(try jitRun(text, ["x": x])["y"])
        #expect(y == x.converted(to: .f32))
    }
}
