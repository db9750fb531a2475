// SimSamples.swift: hand-written scheduled tile IR for the simulator tests, and helpers to compile and run it.

import KilnBytecode
import KilnMachine
import KilnNumerics
import KilnSim
import KilnSimBackend
import KilnSource
import KilnTileIR
import Testing

enum SimSamples {
    /// A kernel source the samples' `loc(...)` spans point into (`load` is at 2:11, `exp` at 3:10, `return` at 3:3).
    static let kernelSource = SourceFile(path: "k.kiln", text: """
        kernel k(x: f32[128, 64]) {  
          let t = load(x)              
          return exp(t * 2.0)          
        }

        """)

    /// out = exp(2x): load on queue 0, exp on the scalar engine, store on queue 1, ordered by semaphores.
    static let scaledExp = """
        kiln.module target "trn1" source "k.kiln" {
          func @k(%x: hbm f32[128, 64]) -> (%out: hbm f32[128, 64]) {
            %t = alloc sbuf f32[128 | 64] at partition 0 offset 0
            %u = alloc sbuf f32[128 | 64] at partition 0 offset 256
            dma.load %x[0, 0] -> %t queue 0 loc(40:47)
            sync.signal sem 0 on dma queue 0
            sync.wait sem 0 >= 1 on act
            act.activate exp %t -> %u scale 2.0 loc(71:87)
            sync.signal sem 1 on act
            sync.wait sem 1 >= 1 on dma queue 1
            dma.store %u -> %out[0, 0] queue 1 loc(64:87)
            return
          }
        }
        """

    /// `scaledExp` without the scalar engine's wait: it reads %t with nothing ordering it after the load.
    static let racyExp = scaledExp.replacingOccurrences(of: "    sync.wait sem 0 >= 1 on act\n", with: "")

    /// out = a^T @ b over two K tiles: the loads and the matmuls alternate through two counting semaphores;
    /// the accumulator is evacuated by the vector engine and stored.
    static let tiledMatmul = """
        kiln.module target "trn1" source "k.kiln" {
          func @mm(%a: hbm bf16[64, 32], %b: hbm bf16[64, 48]) -> (%out: hbm f32[32, 48]) {
            %acc = alloc psum f32[32 | 48] at partition 0 offset 0
            for %k = 0 to 2 {
              %at = alloc sbuf bf16[32 | 32] at partition 0 offset 0
              %bt = alloc sbuf bf16[32 | 48] at partition 0 offset 64
              dma.load %a[%k * 32, 0] -> %at queue 0 loc(40:47)
              dma.load %b[%k * 32, 0] -> %bt queue 0
              sync.signal sem 0 on dma queue 0
              sync.wait sem 0 >= 1 on pe
              pe.matmul %at, %bt -> %acc start(%k == 0) stop(%k == 1) loc(71:87)
              sync.signal sem 1 on pe
              sync.wait sem 1 >= 1 on dma queue 0
            }
            sync.signal sem 2 on pe
            %res = alloc sbuf f32[32 | 48] at partition 0 offset 256
            sync.wait sem 2 >= 1 on dve
            dve.copy %acc -> %res
            sync.signal sem 3 on dve
            sync.wait sem 3 >= 1 on dma queue 1
            dma.store %res -> %out[0, 0] queue 1
            return
          }
        }
        """

    static func compile(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> BytecodeProgram {
        let parsed = TileIR.parse(text, path: "sample.tir")
        #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics.map(\.message))", sourceLocation: sourceLocation)
        let module = try #require(parsed.module, sourceLocation: sourceLocation)
        return try SimBackend.lower(module: module, kernelSource: kernelSource)
    }

    /// A tensor of the given values (rounded to dtype) and shape.
    static func tensor(_ dtype: ElementType, _ shape: [Int], _ value: (Int) -> Double) throws -> Tensor {
        let count = shape.reduce(1, *)
        return try #require(Tensor(dtype: dtype, shape: shape, values: (0..<count).map(value)))
    }
}
