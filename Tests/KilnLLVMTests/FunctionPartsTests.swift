// FunctionPartsTests.swift: a long tile-level body is emitted as parts the kernel calls, with the same results.

import KilnLLVM
import KilnMachine
import KilnNumerics
import KilnTileIR
import Testing

@Suite struct FunctionPartsTests {
    /// A body of `steps` vector-engine ops per loop iteration (well over `outlineAbove`), a gather in the
    /// middle of the straight-line run, a view written in one part and read in another, and a loop variable
    /// in the DMA offsets: every part is passed the buffers, the loop variable and the view's base it uses.
    static func longKernel(steps: Int, gatherRows: String = "%ids[0]") -> String {
        var ops: [String] = []
        for step in 0..<steps {
            ops.append(step % 2 == 0 ? "      dve.tensor_scalar add %t, 0.5 -> %t" : "      dve.tensor_scalar mul %t, 0.75 -> %t")
            if step == steps / 2 {
                ops.append("      dma.gather %emb[0, 0], \(gatherRows) -> %g")
                ops.append("      dve.tensor_tensor add %t, %g -> %t")
            }
            if step == steps / 4 { ops.append("      dve.tensor_scalar mul %t, 2.0 -> %half") }
            if step == 3 * steps / 4 { ops.append("      dve.tensor_tensor add %t, %half -> %t") }
        }
        return """
        kiln.module target "trn1" {
          func @long(%x: hbm f32[8, 8], %emb: hbm f32[50, 8], %ids: hbm i32[4]) -> (%out: hbm f32[8, 8]) {
            %g = alloc sbuf f32[4 | 8]
            %whole = alloc sbuf f32[4 | 16]
            %half = view %whole offset 8 : sbuf f32[4 | 8]
            for %h = 0 to 2 {
              %t = alloc sbuf f32[4 | 8]
              dma.load %x[%h * 4, 0] -> %t
        \(ops.joined(separator: "\n"))
              dma.store %t -> %out[%h * 4, 0]
            }
            return
          }
        }
        """
    }

    /// The same computation in Swift, in f32 as the vector engine computes it.
    static func expected(_ x: [Float], _ emb: [Float], _ ids: [Int], steps: Int) -> [Float] {
        var out = x
        for row in 0..<8 {
            for column in 0..<8 {
                var value = x[row * 8 + column]
                var half: Float = 0
                for step in 0..<steps {
                    value = step % 2 == 0 ? value + 0.5 : value * 0.75
                    if step == steps / 2 { value += emb[ids[row % 4] * 8 + column] }
                    if step == steps / 4 { half = value * 2 }
                    if step == 3 * steps / 4 { value += half }
                }
                out[row * 8 + column] = value
            }
        }
        return out
    }

    static let steps = 1_700

    @Test func aLongBodyIsEmittedInParts() throws {
        let module = try parseModule(Self.longKernel(steps: Self.steps))
        let text = try LLVMBackend.emitIR(module: module, options: LLVMBackendOptions(optimise: false))
        let parts = text.split(separator: "\n").filter { $0.hasPrefix("define internal i32 @kiln_long.part") }
        #expect(parts.count >= 5)   // 1,700 ops in parts of at most 400
        #expect(text.contains("call i32 @kiln_long.part0("))
        #expect(text.contains("noinline"))
        // A short body stays one function.
        let short = try LLVMBackend.emitIR(module: try parseModule(Self.longKernel(steps: 40)),
                                           options: LLVMBackendOptions(optimise: false))
        #expect(!short.contains(".part"))
    }

    @Test func partsComputeWhatTheKernelDoes() throws {
        let x = sampleTensor("x", [8, 8]), emb = sampleTensor("emb", [50, 8])
        let ids = Tensor(dtype: .i32, shape: [4], values: [3, 49, 0, 17])!
        let out = try #require(try jitRun(Self.longKernel(steps: Self.steps), ["x": x, "emb": emb, "ids": ids])["out"])
        let expected = Self.expected(x.values.map(Float.init), emb.values.map(Float.init), [3, 49, 0, 17], steps: Self.steps)
        #expect(out.values == expected.map(Double.init))
    }

    @Test func aGatherOutOfRangeInAPartIsReportedAtItsSite() throws {
        let ids = Tensor(dtype: .i32, shape: [4], values: [3, 50, 0, 17])!
        do {
            _ = try jitRun(Self.longKernel(steps: Self.steps), ["x": sampleTensor("x", [8, 8]), "emb": sampleTensor("emb", [50, 8]),
                                                                "ids": ids])
            Issue.record("an index of 50 into 50 rows ran")
        } catch let error as LLVMBackendError {
            #expect(error.diagnostics.map(\.id.code) == ["K5009"])
        }
    }
}
