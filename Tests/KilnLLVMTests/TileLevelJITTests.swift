// TileLevelJITTests.swift: hand-written tile-level IR (DMA, pe, act, dve, pool) JIT-run and checked against plain Swift.

import Foundation
import KilnLLVM
import KilnMachine
import KilnNumerics
import KilnTileIR
import Testing

@Suite struct TileLevelJITTests {
    /// A K-tiled matmul accumulating in PSUM (conditional start/stop), then exp(0.5 * acc + bias) with a row-sum
    /// reduction on the scalar engine, and a per-partition division on the vector engine.
    @Test func tiledMatmulActivationAndReduce() throws {
        let text = """
        kiln.module target "trn1" {
          func @mm(%at: hbm f32[192, 40], %b: hbm f32[192, 70], %bias: hbm f32[40, 1]) -> (%out: hbm f32[40, 70]) {
            %acc = alloc psum f32[40 | 70]
            for %k = 0 to 2 {
              %s = alloc sbuf f32[96 | 40]
              %m = alloc sbuf f32[96 | 70]
              dma.load %at[%k * 96, 0] -> %s
              dma.load %b[%k * 96, 0] -> %m
              pe.matmul %s, %m -> %acc start(%k == 0) stop(%k == 1)
            }
            %bt = alloc sbuf f32[40 | 1]
            dma.load %bias[0, 0] -> %bt
            %h = alloc sbuf f32[40 | 70]
            %rowsum = alloc sbuf f32[40 | 1]
            act.activate exp %acc -> %h scale 0.5 bias %bt reduce add -> %rowsum
            %o = alloc sbuf f32[40 | 70]
            dve.tensor_scalar div %h, %rowsum -> %o
            dma.store %o -> %out[0, 0]
            return
          }
        }
        """
        let at = sampleTensor("at", [192, 40]), b = sampleTensor("b", [192, 70]), bias = sampleTensor("bias", [40, 1])
        let out = try #require(try jitRun(text, ["at": at, "b": b, "bias": bias])["out"])
        var expected: [Double] = []
        for m in 0..<40 {
            var row: [Double] = []
            for n in 0..<70 {
                var dot = 0.0
                for k in 0..<192 { dot += at.values[k * 40 + m] * b.values[k * 70 + n] }
                row.append(Foundation.exp(0.5 * dot + bias.values[m]))
            }
            let total = row.reduce(0, +)
            expected += row.map { $0 / total }
        }
        expectClose(out.values, expected, relative: 1e-4)
    }

    /// bf16 tiles through the tensor engine's transpose and a PSUM evacuation, a max reduction, and iota.
    @Test func transposeCopyReduceAndIota() throws {
        let text = """
        kiln.module target "trn1" {
          func @misc(%x: hbm bf16[8, 16]) -> (%y: hbm bf16[16, 8], %mx: hbm f32[8, 1], %io: hbm i32[8, 16]) {
            %t = alloc sbuf bf16[8 | 16]
            dma.load %x[0, 0] -> %t
            %tp = alloc psum f32[16 | 8]
            pe.transpose %t -> %tp
            %yt = alloc sbuf bf16[16 | 8]
            dve.copy %tp -> %yt
            dma.store %yt -> %y[0, 0]
            %r = alloc sbuf f32[8 | 1]
            dve.reduce max %t -> %r
            dma.store %r -> %mx[0, 0]
            %i = alloc sbuf i32[8 | 16]
            pool.iota base -3 partition_step 16 free_step 1 -> %i
            dma.store %i -> %io[0, 0]
            return
          }
        }
        """
        let x = sampleTensor("x", [8, 16], dtype: .bf16)
        let outputs = try jitRun(text, ["x": x])
        let y = try #require(outputs["y"]), mx = try #require(outputs["mx"]), io = try #require(outputs["io"])
        let transposed: [Double] = (0..<128).map { index in x.values[(index % 8) * 16 + index / 8] }
        let rowMaxima: [Double] = (0..<8).map { row in x.values[(row * 16)..<((row + 1) * 16)].max() ?? .nan }
        let iota: [Double] = (0..<128).map { index in Double(index - 3) }
        #expect(y.values == transposed)
        #expect(mx.values == rowMaxima)
        #expect(io.values == iota)
    }

    /// Flat transfers (a rank-1 HBM tensor and a [P | F] tile: element (p, f) is x[offset + p * F + f]), as
    /// `tile` emits them for rank-1 kernels: 2 x 3 tiles of 4 elements from offset 2, then a [1 | 2] tail.
    @Test func flatTransfersOfRankOneTensors() throws {
        let text = """
        kiln.module target "trn1" {
          func @flat(%x: hbm f32[16]) -> (%y: hbm f32[16]) {
            for %i = 0 to 2 {
              %t = alloc sbuf f32[3 | 2]
              dma.load %x[%i * 6 + 2] -> %t
              %u = alloc sbuf f32[3 | 2]
              dve.tensor_scalar mul %t, 2.0 -> %u
              dma.store %u -> %y[%i * 6 + 2]
            }
            %h = alloc sbuf f32[1 | 2]
            dma.load %x[14] -> %h
            dma.store %h -> %y[0]
            %k = alloc sbuf f32[1 | 2]
            dma.load %x[0] -> %k
            dma.store %k -> %y[14]
            return
          }
        }
        """
        let x = sampleTensor("x", [16])
        let y = try #require(try jitRun(text, ["x": x])["y"])
        let expected = Array(x.values[14..<16]) + x.values[2..<14].map { $0 * 2 } + Array(x.values[0..<2])
        #expect(y.values == expected)
    }
}

extension TileLevelJITTests {
    /// `dve.iota` on both axes, into i32 and f32 tiles of several free dims, as the simulator computes it.
    @Test func vectorEngineIota() throws {
        let text = """
        kiln.module target "trn1" {
          func @k() -> (%p: hbm i32[6, 3, 4], %f: hbm f32[6, 3, 4]) {
            %a = alloc sbuf i32[6 | 3, 4]
            %b = alloc sbuf f32[6 | 3, 4]
            dve.iota axis 0 offset 7 -> %a
            dve.iota axis 1 offset -5 -> %b
            dma.store %a -> %p[0, 0, 0]
            dma.store %b -> %f[0, 0, 0]
            return
          }
        }
        """
        let outputs = try jitRun(text, [:])
        let partitions: [Double] = (0..<72).map { index in Double(index / 12 + 7) }
        let free: [Double] = (0..<72).map { index in Double(index % 12 - 5) }
        #expect(try #require(outputs["p"]).values == partitions)
        #expect(try #require(outputs["f"]).values == free)
    }
}

extension TileLevelJITTests {
    /// `dve.tensor_corner add` changes only the leading [2 | 2, 3] corner of a [4 | 3, 4] tile (a remainder
    /// tile accumulated into a full one); every other element keeps its value.
    @Test func tensorCornerAddsIntoTheLeadingCornerOnly() throws {
        let text = """
        kiln.module target "trn1" {
          func @k() -> (%y: hbm f32[4, 3, 4]) {
            %d = alloc sbuf f32[4 | 3, 4]
            %s = alloc sbuf f32[2 | 2, 3]
            pool.iota base 0 partition_step 100 free_step 1 -> %d
            pool.iota base 1000 partition_step 0 free_step 0 -> %s
            dve.tensor_corner add %s -> %d
            dma.store %d -> %y[0, 0, 0]
            return
          }
        }
        """
        let y = try #require(try jitRun(text, [:])["y"])
        let expected: [Double] = (0..<48).map { index in
            let (p, j, k) = (index / 12, index % 12 / 4, index % 4)
            return Double(p * 100 + j * 4 + k) + (p < 2 && j < 2 && k < 3 ? 1000 : 0)
        }
        #expect(y.values == expected)
    }
}

extension TileLevelJITTests {
    /// `dve.partition_broadcast`: a one-partition row into every partition of a tile with two free dims.
    @Test func partitionBroadcast() throws {
        let text = """
        kiln.module target "trn1" {
          func @k() -> (%y: hbm f32[5, 2, 3]) {
            %r = alloc sbuf f32[1 | 2, 3]
            %t = alloc sbuf f32[5 | 2, 3]
            dve.iota axis 1 offset -1 -> %r
            dve.partition_broadcast %r -> %t
            dma.store %t -> %y[0, 0, 0]
            return
          }
        }
        """
        let outputs = try jitRun(text, [:])
        let expected: [Double] = (0..<30).map { index in Double(index % 6 - 1) }
        #expect(try #require(outputs["y"]).values == expected)
    }
}

extension TileLevelJITTests {
    /// `dve.copy_columns`: free elements offset ..< offset + F of each partition, rounded to the destination's bf16.
    @Test func copyColumnsTakesAWindowOfEachPartition() throws {
        let text = """
        kiln.module target "trn1" {
          func @k() -> (%y: hbm f32[3, 2]) {
            %t = alloc sbuf f32[3 | 8]
            %c = alloc sbuf bf16[3 | 2]
            %o = alloc sbuf f32[3 | 2]
            pool.iota base 255 partition_step 8 free_step 1 -> %t
            dve.copy_columns %t offset 6 -> %c
            dve.copy %c -> %o
            dma.store %o -> %y[0, 0]
            return
          }
        }
        """
        let outputs = try jitRun(text, [:])
        // 255 + 8p + 6 and + 7 = 261, 262, 269, 270, 277, 278. bf16 steps by 2 in [256, 512): the odd values are ties,
        // which go to the even significand (260 = 256 + 2 * 2, not 262 = 256 + 2 * 3).
        let expected: [Double] = [260, 262, 268, 270, 276, 278]
        #expect(try #require(outputs["y"]).values == expected)
    }
}
