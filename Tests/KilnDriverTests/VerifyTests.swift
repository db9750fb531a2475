// VerifyTests.swift: the comparison behind `kiln verify`: tolerances per dtype, worst element, mismatch reports.

import KilnDriver
import KilnMachine
import KilnNumerics
import KilnSource
import Testing

@Suite struct VerifyTests {
    @Test func f32ToleranceIsRelativeWithNormAllowance() {
        let tolerance = Tolerance(for: .f32)
        #expect(tolerance.matches(1.000_005, 1.0, outputMax: 1))
        #expect(!tolerance.matches(1.000_1, 1.0, outputMax: 1))
        // A cancelled accumulation: tiny result, error small against the output's largest magnitude.
        #expect(tolerance.matches(1e-3 + 1e-5, 1e-3, outputMax: 10))
        #expect(!tolerance.matches(1e-3 + 1e-5, 1e-3, outputMax: 0.01))
        #expect(tolerance.matches(.nan, .nan, outputMax: 1))
        #expect(!tolerance.matches(.nan, 1, outputMax: 1))
    }

    @Test func lowPrecisionFormatsAllowOneStep() {
        let bf16 = Tolerance(for: .bf16)
        #expect(bf16.matches(2.515625, 2.5, outputMax: 3))     // one bf16 step at 2.5 (2^-6)
        #expect(!bf16.matches(2.53125, 2.5, outputMax: 3))     // two steps
        let e4m3 = Tolerance(for: .f8e4m3)
        #expect(e4m3.matches(1.125, 1.0, outputMax: 1))       // one e4m3 step at 1 (2^-3)
        #expect(!e4m3.matches(1.25, 1.0, outputMax: 1))
        #expect(!Tolerance(for: .i32).matches(2, 1, outputMax: 2))
    }

    @Test func roundingThroughBF16WidensTheNormAllowance() {
        let widened = Tolerance(for: .f32).roundedThrough(.bf16)
        #expect(widened.normRTol == 0x1p-8)
        #expect(widened.matches(0.0100, 0.0101, outputMax: 1))
        #expect(!Tolerance(for: .f32).matches(0.0100, 0.0101, outputMax: 1))
    }

    @Test func comparisonNamesTheWorstElement() throws {
        let oracle = try #require(Tensor(dtype: .f32, shape: [2, 3], values: [1, 2, 3, 4, 5, 6]))
        let other = try #require(Tensor(dtype: .f32, shape: [2, 3], values: [1, 2, 3, 4, 5.5, 6.01]))
        let comparison = Driver.compare("out", oracle, other)
        #expect(!comparison.passed)
        #expect(comparison.mismatches == 2)
        #expect(comparison.worstIndex == [1, 1])
        #expect(comparison.maxAbsError == 0.5)
        #expect(comparison.summary.contains("worst [1, 1]: 5.0 vs 5.5"))
    }

    @Test func shapeDifferenceIsReported() throws {
        let a = try #require(Tensor(dtype: .f32, shape: [2, 2], values: [1, 2, 3, 4]))
        let b = try #require(Tensor(dtype: .f32, shape: [4], values: [1, 2, 3, 4]))
        #expect(Driver.compare("out", a, b).shapeProblem != nil)
    }

    @Test func verifyReportsAMismatchWhenTwoRunsDiffer() {
        // The same kernel on the same backend with different seeds must be reported as a mismatch: the
        // comparison is real. (Two ref runs with different inputs stand in for a broken backend.)
        let source = SourceFile(path: "t.kiln", text: "kernel twice<N = 130>(x: f32[N]) -> f32[N] {\n  return x * 2.0\n}\n")
        let one = Driver.run(source, request: RunRequest(inputs: .init(randomSeed: 1)))
        let two = Driver.run(source, request: RunRequest(inputs: .init(randomSeed: 2)))
        let comparisons = Driver.compare(one.outputs ?? [], two.outputs ?? [])
        #expect(comparisons.count == 1 && comparisons[0].mismatches > 0)
    }

    @Test func simBackendVerifiesASmallKernel() {
        let source = SourceFile(path: "t.kiln", text: "kernel twice<N = 300>(x: f32[N], s: f32 = 3.0) -> f32[N] {\n  return x * s\n}\n")
        let report = Driver.verify(source, backends: [.ref, .sim], request: RunRequest(inputs: .init(randomSeed: 4)))
        #expect(report.passed, "\(report.renderedDiagnostics())")
        #expect(report.pairs.first?.outputs.first?.maxAbsError == 0)
    }
}
