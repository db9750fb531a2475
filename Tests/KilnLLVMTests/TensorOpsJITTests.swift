// TensorOpsJITTests.swift: matmul tails, reductions on both axes, i32 and bool ops, casts, calls, scalar defaults.

import Foundation
import KilnLLVM
import KilnMachine
import KilnNumerics
import KilnTileIR
import Testing

@Suite struct TensorOpsJITTests {
    /// Sizes that leave row and column tails in the 4 x 16 micro-kernel; bf16 operands are staged to f32.
    @Test(arguments: [ElementType.f32, .bf16]) func matmulWithTails(dtype: ElementType) throws {
        let (m, k, n) = (37, 19, 45)
        let text = """
        kiln.module target "trn1" {
          func @mm(%a: hbm \(dtype)[\(m), \(k)], %b: hbm \(dtype)[\(k), \(n)]) -> (%c: hbm f32[\(m), \(n)]) {
            %r = matmul %a, %b : f32[\(m), \(n)]
            return %r
          }
        }
        """
        let a = sampleTensor("a", [m, k], dtype: dtype), b = sampleTensor("b", [k, n], dtype: dtype)
        let c = try #require(try jitRun(text, ["a": a, "b": b])["c"])
        var expected: [Double] = []
        for row in 0..<m {
            for column in 0..<n {
                expected.append((0..<k).reduce(0.0) { $0 + a.values[row * k + $1] * b.values[$1 * n + column] })
            }
        }
        expectClose(c.values, expected, relative: 1e-5, absolute: 1e-5)
    }

    /// Past the cache blocks: K = 600 is two 256-slices (the second accumulating) and an 88 tail, N = 1100 is
    /// three column panels of 512 (the last partial) and a scalar column tail, M = 13 leaves a row tail.
    @Test func matmulAcrossCacheBlocks() throws {
        let (m, k, n) = (13, 600, 1100)
        let text = """
        kiln.module target "trn1" {
          func @mm(%a: hbm f32[\(m), \(k)], %b: hbm f32[\(k), \(n)]) -> (%c: hbm f32[\(m), \(n)]) {
            %r = matmul %a, %b : f32[\(m), \(n)]
            return %r
          }
        }
        """
        let a = sampleTensor("a", [m, k]), b = sampleTensor("b", [k, n])
        let c = try #require(try jitRun(text, ["a": a, "b": b])["c"])
        var expected = [Double](repeating: 0, count: m * n)
        for row in 0..<m {
            for inner in 0..<k {
                let scale = a.values[row * k + inner]
                for column in 0..<n { expected[row * n + column] += scale * b.values[inner * n + column] }
            }
        }
        expectClose(c.values, expected, relative: 1e-4, absolute: 1e-4)
    }

    /// mean over axis 0 (row accumulation), min over axis 1, gelu (exact erf form), a transpose.
    @Test func reductionsGeluAndTranspose() throws {
        let text = """
        kiln.module target "trn1" {
          func @k(%x: hbm f32[6, 10]) -> (%mean0: hbm f32[1, 10], %min1: hbm f32[6, 1], %g: hbm f32[10, 6]) {
            %m0 = reduce mean %x axis 0 : f32[1, 10]
            %m1 = reduce min %x axis 1 : f32[6, 1]
            %ge = gelu %x : f32[6, 10]
            %t = transpose %ge : f32[10, 6]
            return %m0, %m1, %t
          }
        }
        """
        let x = sampleTensor("x", [6, 10])
        let outputs = try jitRun(text, ["x": x])
        let v = x.values
        expectClose(try #require(outputs["mean0"]).values, (0..<10).map { c in (0..<6).reduce(0.0) { $0 + v[$1 * 10 + c] } / 6 })
        expectClose(try #require(outputs["min1"]).values, (0..<6).map { r in v[(r * 10)..<(r * 10 + 10)].min() ?? .nan })
        let gelu: [Double] = (0..<60).map { index in
            let value = v[(index % 6) * 10 + index / 6]
            return MathFunction.gelu.apply(value)
        }
        expectClose(try #require(outputs["g"]).values, gelu, relative: 1e-5)
    }

    /// i32 arithmetic saturates and truncates like KilnNumerics (division by zero gives INT_MAX, not a trap);
    /// comparisons feed `select`; casts round through bf16; a scalar parameter takes its default.
    @Test func integersComparisonsSelectAndCasts() throws {
        let text = """
        kiln.module target "trn1" {
          func @k(%i: hbm i32[6], %j: hbm i32[6], %x: hbm f32[6], %bias: f32 = 0.25) -> (%q: hbm i32[6], %r: hbm i32[6], %s: hbm f32[6], %c: hbm bf16[6]) {
            %quotient = div %i, %j : i32[6]
            %remainder = rem %i, %j : i32[6]
            %bb = broadcast %bias : f32[6]
            %shifted = add %x, %bb : f32[6]
            %zero = constant 0.0 : f32[6]
            %positive = gt %shifted, %zero : bool[6]
            %neg = neg %shifted : f32[6]
            %chosen = select %positive, %shifted, %neg : f32[6]
            %narrow = cast %shifted : bf16[6]
            return %quotient, %remainder, %chosen, %narrow
          }
        }
        """
        let i = try #require(Tensor(dtype: .i32, shape: [6], values: [7, -7, 7, 2_000_000_000, -9, 0]))
        let j = try #require(Tensor(dtype: .i32, shape: [6], values: [2, 2, 0, 1, -4, 0]))
        let x = try #require(Tensor(dtype: .f32, shape: [6], values: [-1, -0.25, 0.5, 3.14159, -2.5, 1e-3]))
        let outputs = try jitRun(text, ["i": i, "j": j, "x": x])
        #expect(try #require(outputs["q"]).values == [3, -3, 2_147_483_647, 2_000_000_000, 2, 0])
        #expect(try #require(outputs["r"]).values == [1, -1, 0, 0, -1, 0])
        let shifted = x.values.map { Double(Float($0) + 0.25) }
        #expect(try #require(outputs["s"]).values == shifted.map { $0 > 0 ? $0 : -$0 })
        #expect(try #require(outputs["c"]).values == shifted.map { ElementType.bf16.convert($0) })
    }

    /// A helper function called from the kernel (its own LLVM function, called with buffers).
    @Test func callsHelperFunctions() throws {
        let text = """
        kiln.module target "trn1" {
          func @double(%a: f32[3, 4]) -> (%out: f32[3, 4]) {
            %r = add %a, %a : f32[3, 4]
            return %r
          }
          func @k(%x: hbm f32[3, 4]) -> (%y: hbm f32[3, 4]) {
            %d = call @double(%x) : f32[3, 4]
            %e = exp %d : f32[3, 4]
            return %e
          }
        }
        """
        let x = sampleTensor("x", [3, 4])
        let y = try #require(try jitRun(text, ["x": x])["y"])
        expectClose(y.values, x.values.map { Foundation.exp(2 * $0) })
    }
}

@Suite struct BackendDiagnosticTests {
    @Test func invalidTileIRIsReportedNotLowered() throws {
        let text = """
        kiln.module target "trn1" {
          func @k(%x: hbm f32[4], %y: hbm f32[5]) -> (%out: hbm f32[4]) {
            %r = add %x, %y : f32[4]
            return %r
          }
        }
        """
        let error = try #require(throws: LLVMBackendError.self) { try LLVMBackend.jit(module: try parseModule(text)) }
        #expect(error.diagnostics.first?.id.code == "K5007")
        #expect(error.diagnostics.dropFirst().contains { $0.id.code.hasPrefix("K32") })
    }

    @Test func unknownEntryAndBadInputs() throws {
        let module = try parseModule(axpyIR)
        let unknown = try #require(throws: LLVMBackendError.self) { try LLVMBackend.jit(module: module, entry: "nope") }
        #expect(unknown.diagnostics.map(\.id.code) == ["K5004"])
        let kernel = try LLVMBackend.jit(module: module)
        let wrongShape = try #require(Tensor(dtype: .f32, shape: [8, 4], repeating: 1))
        let bad = try #require(throws: LLVMBackendError.self) { try kernel.run(inputs: ["x": wrongShape]) }
        #expect(bad.diagnostics.map(\.id.code) == ["K5005", "K5005"])   // x has the wrong shape, y is missing
        let ok = try #require(Tensor(dtype: .f32, shape: [4, 8], repeating: 1))
        let outputs = try kernel.run(inputs: ["x": ok, "y": ok])   // alpha takes its default, 2.0
        #expect(outputs.first?.tensor.values == Array(repeating: 3, count: 32))
    }
}
