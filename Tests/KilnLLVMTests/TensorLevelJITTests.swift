// TensorLevelJITTests.swift: tensor-level tile IR JIT-run by the llvm backend, checked against plain Swift.

import Foundation
import KilnLLVM
import KilnMachine
import KilnNumerics
import KilnTileIR
import Testing

/// Parses IR text, failing the test on diagnostics.
func parseModule(_ text: String) throws -> Module {
    let parsed = TileIR.parse(text)
    #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)")
    return try #require(parsed.module)
}

/// Runs `entry` of `text` on `inputs` with the JIT and returns the outputs by name.
func jitRun(_ text: String, _ inputs: [String: Tensor], entry: String? = nil) throws -> [String: Tensor] {
    let kernel = try LLVMBackend.jit(module: try parseModule(text), entry: entry)
    return Dictionary(uniqueKeysWithValues: try kernel.run(inputs: inputs).map { ($0.name, $0.tensor) })
}

/// A deterministic f32 tensor with values in [-2, 2).
func sampleTensor(_ name: String, _ shape: [Int], dtype: ElementType = .f32) -> Tensor {
    let unit = RandomInputs(seed: 7).tensor(named: name, dtype: .f32, shape: shape)!
    return Tensor(dtype: dtype, shape: shape, values: unit.values.map { $0 * 2 })!
}

func expectClose(_ actual: [Double], _ expected: [Double], relative: Double = 1e-5, absolute: Double = 1e-6,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, sourceLocation: sourceLocation)
    var worst = 0.0, worstIndex = -1
    for (index, (a, e)) in zip(actual, expected).enumerated() {
        let error = abs(a - e) - (absolute + relative * abs(e))
        if error > worst || (a.isNaN != e.isNaN) { worst = max(error, 1); worstIndex = index }
    }
    #expect(worstIndex < 0, "first bad element \(worstIndex): \(worstIndex >= 0 ? "\(actual[worstIndex]) vs \(expected[worstIndex])" : "")",
            sourceLocation: sourceLocation)
}

@Suite struct TensorLevelJITTests {
    @Test func softmaxMatchesSwift() throws {
        let text = """
        kiln.module target "trn1" {
          func @softmax(%x: hbm f32[5, 37]) -> (%out: hbm f32[5, 37]) {
            %m = reduce max %x axis 1 : f32[5, 1]
            %mb = broadcast %m : f32[5, 37]
            %d = sub %x, %mb : f32[5, 37]
            %e = exp %d : f32[5, 37]
            %s = reduce sum %e axis 1 : f32[5, 1]
            %sb = broadcast %s : f32[5, 37]
            %r = div %e, %sb : f32[5, 37]
            return %r
          }
        }
        """
        let x = sampleTensor("x", [5, 37])
        let out = try #require(try jitRun(text, ["x": x])["out"])
        var expected: [Double] = []
        for row in 0..<5 {
            let values = x.values[(row * 37)..<((row + 1) * 37)]
            let m = values.max()!
            let e = values.map { Foundation.exp($0 - m) }
            let s = e.reduce(0, +)
            expected += e.map { $0 / s }
        }
        expectClose(out.values, expected)
    }

    /// A layernorm body runs row-wise (one loop over rows, row-sized scratch): a rank-1 parameter is
    /// broadcast into every row, a scalar parameter keeps its default, two outputs are written per row.
    @Test func layernormRowWise() throws {
        let text = """
        kiln.module target "trn1" {
          func @layernorm(%x: hbm f32[7, 33], %g: hbm f32[33], %eps: f32 = 1e-05) -> (%y: hbm f32[7, 33], %mu: hbm f32[7, 1]) {
            %m = reduce mean %x axis 1 : f32[7, 1]
            %mb = broadcast %m : f32[7, 33]
            %d = sub %x, %mb : f32[7, 33]
            %sq = square %d : f32[7, 33]
            %v = reduce mean %sq axis 1 : f32[7, 1]
            %eb = broadcast %eps : f32[7, 1]
            %ve = add %v, %eb : f32[7, 1]
            %r = rsqrt %ve : f32[7, 1]
            %rb = broadcast %r : f32[7, 33]
            %n = mul %d, %rb : f32[7, 33]
            %gb = broadcast %g : f32[7, 33]
            %out = mul %n, %gb : f32[7, 33]
            return %out, %m
          }
        }
        """
        let x = sampleTensor("x", [7, 33]), g = sampleTensor("g", [33])
        let outputs = try jitRun(text, ["x": x, "g": g])
        var expected: [Double] = [], means: [Double] = []
        for row in 0..<7 {
            let values = Array(x.values[(row * 33)..<((row + 1) * 33)])
            let mean = values.reduce(0, +) / 33
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 33
            expected += values.enumerated().map { ($0.element - mean) / (variance + 1e-5).squareRoot() * g.values[$0.offset] }
            means.append(mean)
        }
        expectClose(try #require(outputs["y"]).values, expected, relative: 1e-4, absolute: 1e-5)
        expectClose(try #require(outputs["mu"]).values, means, relative: 1e-5, absolute: 1e-6)
    }
}
