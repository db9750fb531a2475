// Samples.swift: hand-written tile IR modules in canonical text form, shared by the tile IR tests.

import KilnMachine
import KilnSource
import KilnTileIR

enum Samples {
    /// Softmax at the tensor level, as the AST lowering would produce it.
    static let softmax = """
        kiln.module target "trn1" source "Examples/softmax.kiln" {
          func @softmax(%x: hbm f32[256, 512], %eps: f32 = 1e-05) -> (%out: hbm f32[256, 512]) loc(0:120) {
            %m = reduce max %x axis 1 : f32[256, 1] loc(40:55)
            %mb = broadcast %m : f32[256, 512] loc(70:71)
            %d = sub %x, %mb : f32[256, 512] loc(66:75)
            %e = exp %d : f32[256, 512] loc(62:76)
            %s = reduce sum %e axis 1 : f32[256, 1] loc(90:105)
            %epsb = broadcast %eps : f32[256, 1]
            %se = add %s, %epsb : f32[256, 1]
            %sb = broadcast %se : f32[256, 512]
            %r = div %e, %sb : f32[256, 512] loc(86:105)
            return %r loc(79:105)
          }
        }

        """

    /// Every other tensor-level op, and a helper called from the kernel.
    static let tensorOps = """
        kiln.module target "trn2" {
          func @helper(%a: f32[4, 8]) -> (%0: f32[4, 8]) {
            %1 = relu %a : f32[4, 8]
            return %1
          }

          func @kernel(%a: hbm bf16[4, 8], %b: hbm bf16[8, 16]) -> (%out: hbm f32[8, 4]) {
            %0 = matmul %a, %b : f32[4, 16]
            %1 = constant 0.5 : f32[4, 16]
            %2 = gt %0, %1 : bool[4, 16]
            %3 = constant -2.0 : f32[4, 16]
            %4 = select %2, %0, %3 : f32[4, 16]
            %5 = cast %a : f32[4, 8]
            %6 = call @helper(%5) : f32[4, 8]
            %7 = transpose %6 : f32[8, 4]
            %8 = reduce mean %4 axis 0 : f32[1, 16]
            %9 = neg %8 : f32[1, 16]
            %10 = reshape %a : bf16[2, 2, 8]
            %11 = permute %10 perm [1, 0, 2] : bf16[2, 2, 8]
            return %7
          }
        }

        """

    /// A tiled matmul on trn1: transpose through the tensor engine, accumulate over K in PSUM, evacuate, store.
    static let tiledMatmul = """
        kiln.module target "trn1" source "Examples/matmul.kiln" {
          func @matmul(%a: hbm bf16[256, 256], %b: hbm bf16[256, 512]) -> (%out: hbm f32[256, 512]) loc(0:90) {
            for %m = 0 to 2 {
              %acc = alloc psum f32[128 | 512] loc(40:45)
              for %k = 0 to 2 {
                %a_tile = alloc sbuf bf16[128 | 128]
                dma.load %a[%m * 128, %k * 128] -> %a_tile loc(50:60)
                %a_t_psum = alloc psum bf16[128 | 128]
                pe.transpose %a_tile -> %a_t_psum
                %a_t = alloc sbuf bf16[128 | 128]
                dve.copy %a_t_psum -> %a_t
                %b_tile = alloc sbuf bf16[128 | 512]
                dma.load %b[%k * 128, 0] -> %b_tile queue 3 loc(62:70)
                pe.matmul %a_t, %b_tile -> %acc start(%k == 0) stop(%k == 1) loc(45:50)
              }
              %res = alloc sbuf f32[128 | 512]
              act.activate identity %acc -> %res
              dma.store %res -> %out[%m * 128, 0] loc(70:90)
            }
            return
          }
        }

        """

    /// The remaining engine ops, synchronisation, and placed allocations.
    static let engineOps = """
        kiln.module target "trn2" {
          func @ops(%x: hbm f32[64, 256]) -> (%y: hbm f32[256, 64]) {
            %t = alloc sbuf f32[64 | 256] at partition 0 offset 0
            %u = alloc sbuf f32[64 | 256] at partition 64 offset 0
            %r = alloc sbuf f32[64 | 1] at partition 0 offset 1024
            %c = alloc sbuf bool[64 | 256] at partition 0 offset 2048
            %i = alloc sbuf f32[64 | 256] at partition 0 offset 4096
            %xt = alloc sbuf f32[128 | 64] at partition 0 offset 8192
            dma.load %x[0, 0] -> %t
            act.activate exp %t -> %u scale -0.5 bias %r reduce add -> %r
            act.activate gelu %t -> %u bias 0.25
            dve.tensor_tensor mul %t, %u -> %u
            dve.tensor_scalar add %u, 1.5 -> %u
            dve.tensor_scalar max %u, %r -> %u
            dve.reduce max %u -> %r
            dve.reciprocal %r -> %r
            pool.iota base 0 partition_step 1 free_step -1 -> %i
            dve.tensor_tensor lt %i, %u -> %c
            pool.select %c, %t, %u -> %u
            sync.signal sem 0 on pool
            sync.wait sem 0 >= 1 on act
            for %j = 0 to 256 step 128 {
              dma.load %x[0, -%j + 128] -> %xt transpose queue 1
              dma.store %xt -> %y[%j, 0]
            }
            return
          }
        }

        """

    static func parse(_ text: String, path: String = "test.tir") -> TileIRParseResult {
        TileIR.parse(SourceFile(path: path, text: text))
    }
}
