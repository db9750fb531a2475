// ExampleRunTests.swift: every example runs on the reference interpreter, and tiled kernels agree with whole-tensor ones.

import Foundation
import KilnInterp
import KilnMachine
import KilnNumerics
import Testing

@Test(arguments: InterpTest.examples)
func everyExampleRunsWithRandomInputs(name: String) throws {
    let text = try String(contentsOf: InterpTest.examplesDirectory.appendingPathComponent(name), encoding: .utf8)
    let outputs = try InterpTest.run(text, options: RunInputOptions(randomSeed: 1), path: name)
    #expect(!outputs.isEmpty)
    for (result, tensor) in outputs {
        // Random inputs in [-1, 1) keep every example finite; a NaN would also mean a tile-form
        // kernel left part of a result unwritten.
        #expect(tensor.values.allSatisfy { $0.isFinite }, "\(name): result '\(result)' has non-finite values")
        #expect(tensor.count > 0)
    }
}

@Test func tiledMatmulAgreesWithWholeTensorMatmul() throws {
    let examples = InterpTest.examplesDirectory
    let tiled = try String(contentsOf: examples.appendingPathComponent("matmul_tiled.kiln"), encoding: .utf8)
    let dims = ["K": 200, "M": 130, "N": 520]   // remainder tiles on every axis
    let a = try #require(RandomInputs(seed: 5).tensor(named: "a", dtype: .bf16, shape: [130, 200]))
    let b = try #require(RandomInputs(seed: 5).tensor(named: "b", dtype: .bf16, shape: [200, 520]))
    var transposed = [Double]()
    for k in 0..<200 { for m in 0..<130 { transposed.append(a.values[m * 200 + k]) } }
    let aT = try InterpTest.tensor(.bf16, [200, 130], transposed)
    let tiledOut = try #require(try InterpTest.run(tiled, dims: dims, inputs: ["a_t": aT, "b": b])["out"])
    let whole = "kernel mm<M, K, N>(a: bf16[M, K], b: bf16[K, N]) -> f32[M, N] { return a @ b }"
    let wholeOut = try #require(try InterpTest.run(whole, inputs: ["a": a, "b": b])["out"])
    #expect(tiledOut.shape == [130, 520])
    // The tiled kernel rounds each 128-deep partial sum to f32 in PSUM; the whole-tensor one rounds once.
    let worst = zip(tiledOut.values, wholeOut.values).map { Swift.abs($0 - $1) }.max() ?? .infinity
    #expect(worst < 1e-5)
}

@Test func tiledSoftmaxAgreesWithWholeTensorSoftmax() throws {
    let examples = InterpTest.examplesDirectory
    let tiled = try String(contentsOf: examples.appendingPathComponent("softmax_tiled.kiln"), encoding: .utf8)
    let whole = try String(contentsOf: examples.appendingPathComponent("softmax.kiln"), encoding: .utf8)
    let options = RunInputOptions(randomSeed: 9)
    let tiledOut = try #require(try InterpTest.run(tiled, dims: ["N": 200], options: options)["out"])
    let wholeOut = try #require(try InterpTest.run(whole, dims: ["N": 200], options: options)["out"])
    #expect(tiledOut.shape == [200, 512])
    let worst = zip(tiledOut.values, wholeOut.values).map { Swift.abs($0 - $1) }.max() ?? .infinity
    #expect(worst <= 1e-7)
}
