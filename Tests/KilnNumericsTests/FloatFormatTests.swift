// FloatFormatTests.swift: exhaustive round-trip and round-to-nearest-even tests of the float formats.

import Foundation
import KilnMachine
import Testing

@testable import KilnNumerics

/// An independent, slow model of a format: every value computed with `pow`, and rounding by
/// searching the sorted list of values for the nearest one (ties to the even bit pattern).
struct SlowReferenceFormat {
    let format: FloatFormat
    /// (value, bits) for every finite non-negative pattern, ascending, plus the first value past
    /// the largest finite standing for what overflow gives: 2^(emax+1) with infinity's bits, as IEEE
    /// rounding treats it; in the "fn" layout (no infinities), the value the NaN pattern would have
    /// (480 for f8e4m3fn) with the NaN's bits, as ml_dtypes rounds; in a format without NaN (f4e2m1fn), nothing:
    /// past the largest finite it saturates.
    let ladder: [(value: Double, bits: UInt64)]

    init(_ format: FloatFormat) {
        self.format = format
        let mantissaCount = 1 << format.mantissaBits
        let exponentCount = format.hasInfinities ? (1 << format.exponentBits) - 1 : 1 << format.exponentBits
        var ladder: [(Double, UInt64)] = []
        for exponentField in 0..<exponentCount {
            for fraction in 0..<mantissaCount {
                let bits = UInt64(exponentField * mantissaCount + fraction)
                ladder.append((Self.value(format, exponentField: exponentField, fraction: fraction), bits))
            }
        }
        if format.hasInfinities {
            ladder.append((pow(2.0, Double(exponentCount - format.bias)), UInt64(exponentCount * mantissaCount)))
        }   // else the last pattern, S.1111.111, is the NaN, and its value is the overflow boundary
        self.ladder = ladder
    }

    static func value(_ format: FloatFormat, exponentField: Int, fraction: Int) -> Double {
        let fractionValue = Double(fraction) / pow(2.0, Double(format.mantissaBits))
        if exponentField == 0 { return fractionValue * pow(2.0, Double(1 - format.bias)) }
        return (1 + fractionValue) * pow(2.0, Double(exponentField - format.bias))
    }

    /// The bits nearest to `x` (finite, any sign), ties to the even pattern.
    func round(_ x: Double) -> UInt64 {
        let sign: UInt64 = x.sign == .minus ? 1 << UInt64(format.exponentBits + format.mantissaBits) : 0
        let magnitude = Swift.abs(x)
        if magnitude >= ladder[ladder.count - 1].value { return sign | ladder[ladder.count - 1].bits }
        var low = 0, high = ladder.count - 1   // ladder[low].value <= magnitude < ladder[high].value
        while high - low > 1 {
            let middle = (low + high) / 2
            if ladder[middle].value <= magnitude { low = middle } else { high = middle }
        }
        let below = magnitude - ladder[low].value, above = ladder[high].value - magnitude
        if below < above { return sign | ladder[low].bits }
        if above < below { return sign | ladder[high].bits }
        return sign | (ladder[low].bits & 1 == 0 ? ladder[low].bits : ladder[high].bits)
    }
}

let allFormats: [(String, FloatFormat)] = [
    ("bf16", .bf16), ("f16", .f16), ("f8e4m3", .f8e4m3), ("f8e4m3fn", .f8e4m3fn), ("f8e5m2", .f8e5m2),
    ("f4e2m1fn", .f4e2m1fn),
]

@Test(arguments: allFormats)
func everyBitPatternRoundTrips(name: String, format: FloatFormat) {
    let reference = SlowReferenceFormat(format)
    let exponentShift = UInt64(format.mantissaBits)
    var failures = 0
    for bits in UInt64(0)..<(1 << UInt64(format.bitWidth)) {
        let value = format.decode(bits)
        let exponentField = Int((bits >> exponentShift) & ((1 << UInt64(format.exponentBits)) - 1))
        let fraction = Int(bits & ((1 << exponentShift) - 1))
        let negative = bits >> UInt64(format.exponentBits + format.mantissaBits) != 0
        let allOnesExponent = exponentField == (1 << format.exponentBits) - 1
        if format.hasInfinities && allOnesExponent {
            let expectedNaN = fraction != 0
            if value.isNaN != expectedNaN || (!expectedNaN && value != (negative ? -.infinity : .infinity)) { failures += 1 }
            if value.isNaN { if !format.decode(format.encode(value)).isNaN { failures += 1 } }
            else if format.encode(value) != bits { failures += 1 }
            continue
        }
        if format.hasNaN && !format.hasInfinities && allOnesExponent && fraction == (1 << format.mantissaBits) - 1 {
            // The "fn" layout's one NaN (per sign) encodes back to itself.
            if !value.isNaN || format.encode(value) != bits { failures += 1 }
            continue
        }
        let expected = SlowReferenceFormat.value(format, exponentField: exponentField, fraction: fraction)
        if value != (negative ? -expected : expected) || value.sign != (negative ? .minus : .plus) { failures += 1 }
        if format.encode(value) != bits { failures += 1 }
        if reference.round(value) != bits { failures += 1 }
    }
    #expect(failures == 0, "\(name): \(failures) mismatches")
}

@Test(arguments: allFormats)
func tiesAndNeighboursRoundLikeTheSlowReference(name: String, format: FloatFormat) {
    let reference = SlowReferenceFormat(format)
    var failures: [String] = []
    for index in 0..<(reference.ladder.count - 1) {
        let low = reference.ladder[index].value, high = reference.ladder[index + 1].value
        let middle = (low + high) / 2   // exact: both are short binary fractions
        for probe in [middle, middle.nextUp, middle.nextDown, low.nextUp, high.nextDown] {
            for signed in [probe, -probe] where format.encode(signed) != reference.round(signed) {
                failures.append("\(name) \(signed): got \(format.encode(signed)), want \(reference.round(signed))")
            }
        }
    }
    #expect(failures.isEmpty, "\(failures.prefix(5))")
}

@Test func randomFloat32ValuesRoundLikeTheSlowReference() {
    var stream = SplitMix64(state: 42)
    for (name, format) in allFormats {
        let reference = SlowReferenceFormat(format)
        var failures = 0
        for _ in 0..<20_000 {
            let value = Double(Float(bitPattern: UInt32(truncatingIfNeeded: stream.next())))
            guard value.isFinite else { continue }
            if format.encode(value) != reference.round(value) { failures += 1 }
        }
        #expect(failures == 0, "\(name): \(failures) mismatches")
    }
}

@Test func genericF32EncoderAgreesWithHardwareConversion() {
    var stream = SplitMix64(state: 7)
    var failures = 0
    for _ in 0..<100_000 {
        let value = Double(bitPattern: stream.next())
        let hardware = Float(value)
        let generic = FloatFormat.f32.encode(value)
        if hardware.isNaN { if !FloatFormat.f32.decode(generic).isNaN { failures += 1 } }
        else if UInt64(hardware.bitPattern) != generic { failures += 1 }
    }
    #expect(failures == 0)
}

@Test func knownValuesOfEachFormat() {
    // bf16: 1 + 2^-8 is a tie between 1 and 1 + 2^-7: even is 1.0; 1 + 3 * 2^-8 goes up.
    #expect(FloatFormat.bf16.encode(Double(Float(bitPattern: 0x3F80_8000))) == 0x3F80)
    #expect(FloatFormat.bf16.encode(Double(Float(bitPattern: 0x3F81_8000))) == 0x3F82)
    #expect(FloatFormat.bf16.encode(Double(Float(bitPattern: 0x3F80_8001))) == 0x3F81)
    #expect(FloatFormat.f16.largestFinite == 65504)
    #expect(FloatFormat.f16.encode(65519.99) == 0x7BFF)
    #expect(FloatFormat.f16.encode(65520) == 0x7C00)   // the tie above the largest finite overflows
    #expect(FloatFormat.f8e4m3.largestFinite == 240)
    #expect(FloatFormat.f8e4m3.encode(247.9) == 0x77)
    #expect(FloatFormat.f8e4m3.encode(248) == 0x78)    // +inf
    #expect(FloatFormat.f8e4m3.encode(-1e9) == 0xF8)   // -inf
    #expect(FloatFormat.f8e5m2.largestFinite == 57344)
    // f8e4m3fn: no infinities; 464 is the tie between 448 (0x7E) and the NaN pattern's 480: even is 448.
    #expect(FloatFormat.f8e4m3fn.largestFinite == 448)
    #expect(FloatFormat.f8e4m3fn.decode(0x78) == 256)      // the all-ones exponent holds finite values
    #expect(FloatFormat.f8e4m3fn.encode(464) == 0x7E)
    #expect(FloatFormat.f8e4m3fn.encode(464.0.nextUp) == 0x7F)   // NaN, not saturation
    #expect(FloatFormat.f8e4m3fn.encode(-.infinity) == 0xFF)
    #expect(FloatFormat.f8e4m3fn.encode(.nan) == 0x7F)
    #expect(FloatFormat.f8e4m3fn.encode(-0.0) == 0x80)
    #expect(FloatFormat.f8e4m3fn.decode(0xFF).isNaN && FloatFormat.f8e4m3fn.decode(0xFF).sign == .minus)
    #expect(FloatFormat.f8e4m3fn.decode(0x01) == 1.0 / 512)
    #expect(FloatFormat.f8e4m3.decode(0x01) == 1.0 / 512)   // smallest subnormal 2^-9
    #expect(FloatFormat.f8e4m3.encode(1.0 / 1024) == 0)     // tie with 0: even
    #expect(FloatFormat.f8e4m3.encode(1.0 / 1024 * 1.01) == 0x01)
    #expect(FloatFormat.f8e4m3.encode(-0.0) == 0x80)
    #expect(FloatFormat.f8e5m2.decode(FloatFormat.f8e5m2.encode(.nan)).isNaN)
    // f4e2m1fn (MXFP4's element): no infinity, no NaN; saturates; a NaN becomes a zero of the other sign (as
    // ml_dtypes' float4_e2m1fn: +NaN -> 0x8, -NaN -> 0x0).
    #expect(FloatFormat.f4e2m1fn.largestFinite == 6)
    #expect((0..<8).map { FloatFormat.f4e2m1fn.decode(UInt64($0)) } == [0, 0.5, 1, 1.5, 2, 3, 4, 6])
    #expect(FloatFormat.f4e2m1fn.decode(0xF) == -6 && FloatFormat.f4e2m1fn.decode(0x8).sign == .minus)
    #expect(FloatFormat.f4e2m1fn.encode(5) == 0x6)        // the tie between 4 (0b110) and 6 (0b111): even is 4
    #expect(FloatFormat.f4e2m1fn.encode(0.25) == 0x0)     // the tie between 0 and the subnormal 0.5
    #expect(FloatFormat.f4e2m1fn.encode(0.75) == 0x2)     // the tie between 0.5 (0b001) and 1 (0b010)
    #expect(FloatFormat.f4e2m1fn.encode(6.5) == 0x7 && FloatFormat.f4e2m1fn.encode(7) == 0x7)
    #expect(FloatFormat.f4e2m1fn.encode(1e30) == 0x7 && FloatFormat.f4e2m1fn.encode(-.infinity) == 0xF)
    #expect(FloatFormat.f4e2m1fn.encode(.nan) == 0x8 && FloatFormat.f4e2m1fn.encode(-Double.nan) == 0x0)
    #expect(FloatFormat.f4e2m1fn.encode(-0.0) == 0x8)
    #expect(FloatFormat.bf16.encode(1e-300) == 0)
    #expect(FloatFormat.bf16.encode(.leastNonzeroMagnitude) == 0)
}
