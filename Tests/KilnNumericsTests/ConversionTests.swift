// ConversionTests.swift: element-type conversions, Tensor construction and the random input generator.

import KilnMachine
import Testing

@testable import KilnNumerics

@Test func integerConversionTruncatesAndSaturates() {
    #expect(ElementType.i32.convert(2.9) == 2)
    #expect(ElementType.i32.convert(-2.9) == -2)
    #expect(ElementType.i32.convert(.nan) == 0)
    #expect(ElementType.i32.convert(1e20) == 2_147_483_647)
    #expect(ElementType.i32.convert(-.infinity) == -2_147_483_648)
    #expect(ElementType.bool.convert(-0.5) == 1)
    #expect(ElementType.bool.convert(-0.0) == 0)
}

@Test func storingAComputedValueRoundsThroughF32() {
    // 1 + 2^-8 + 2^-30 is above the bf16 tie in f64, but f32 rounds it onto the tie, which then
    // goes to even: the double rounding fp32 hardware does.
    let value = 1 + 1.0 / 256 + 1.0 / 1_073_741_824
    #expect(ElementType.bf16.convert(value) == 1 + 1.0 / 128)
    #expect(ElementType.bf16.storeComputed(value) == 1)
}

@Test(arguments: ElementType.allCases)
func bitPatternsRoundTripThroughValues(type: ElementType) {
    for value in [0.0, 1.0, -1.5, 3.25, 100.0, -7.0] {
        let stored = type.convert(value)
        #expect(type.value(fromBits: type.bitPattern(of: stored)) == stored)
    }
}

@Test func tensorRejectsInvalidShapesAndRoundsValues() {
    #expect(Tensor(dtype: .f32, shape: [2, 2], values: [1, 2, 3]) == nil)
    #expect(Tensor(dtype: .f32, shape: [-1], values: []) == nil)
    #expect(Tensor(dtype: .f32, shape: [Int.max, 4], repeating: 0) == nil)
    let tensor = Tensor(dtype: .bf16, shape: [2], values: [1.0 / 3, 300.7])
    #expect(tensor?.values == [0.333984375, 300])
    #expect(tensor?.typeDescription == "bf16[2]")
}

@Test func randomInputsAreDeterministicPerNameAndInRange() throws {
    let generator = RandomInputs(seed: 3)
    let first = try #require(generator.tensor(named: "x", dtype: .f32, shape: [64, 8]))
    let again = try #require(RandomInputs(seed: 3).tensor(named: "x", dtype: .f32, shape: [64, 8]))
    let other = try #require(generator.tensor(named: "y", dtype: .f32, shape: [64, 8]))
    let reseeded = try #require(RandomInputs(seed: 4).tensor(named: "x", dtype: .f32, shape: [64, 8]))
    #expect(first == again)
    #expect(first != other)
    #expect(first != reseeded)
    #expect(first.values.allSatisfy { $0 >= -1 && $0 < 1 })
    let stats = first.statistics
    #expect(stats.min < -0.5 && stats.max > 0.5 && Swift.abs(stats.mean) < 0.2)
    let ints = try #require(generator.tensor(named: "i", dtype: .i32, shape: [500]))
    #expect(ints.values.allSatisfy { $0 >= -8 && $0 <= 8 && $0 == $0.rounded() })
    #expect(Set(ints.values).count == 17)
    let flags = try #require(generator.tensor(named: "b", dtype: .bool, shape: [200]))
    #expect(Set(flags.values) == [0, 1])
}

@Test func randomMXScalesArePowersOfTwoFromOneSixteenthToSixteen() throws {
    let scales = try #require(RandomInputs(seed: 3).mxScales(named: "a_s", dtype: .f32, shape: [4, 128]))
    #expect(Set(scales.values) == Set((-4...4).map { Double(sign: .plus, exponent: $0, significand: 1) }))
    #expect(scales == RandomInputs(seed: 3).mxScales(named: "a_s", dtype: .f32, shape: [4, 128]))
}

@Test func unaryMathDefinitions() {
    #expect(MathFunction.gelu.apply(0) == 0)
    #expect(Swift.abs(MathFunction.gelu.apply(1) - 0.8413447460685429) < 1e-15)
    #expect(Swift.abs(MathFunction.silu.apply(1) - 0.7310585786300049) < 1e-15)
    #expect(MathFunction.relu.apply(-3) == 0)
    #expect(MathFunction.relu.apply(.nan).isNaN)
    #expect(MathFunction.rsqrt.apply(4) == 0.5)
    #expect(MathFunction.reciprocal.apply(-0.0) == -.infinity)
}
