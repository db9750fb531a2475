// VerifierMachineTests.swift: the machine rules, per target, located at the kernel source line of the op.

import KilnMachine
import KilnSource
import KilnTileIR
import Testing

private let noIO = "() -> ()"

@Test func partitionDimAndTileSizeLimits() {
    #expect(verifierCodes(noIO, "%t = alloc sbuf f32[129 | 4]\nreturn") == ["K3301"])
    // 50000 f32 = 200000 bytes per partition: over trn1's 192 KiB, within trn2's 224 KiB.
    #expect(verifierCodes(noIO, "%t = alloc sbuf f32[128 | 50000]\nreturn", target: .trn1) == ["K3304"])
    #expect(verifierCodes(noIO, "%t = alloc sbuf f32[128 | 50000]\nreturn", target: .trn2) == [])
    #expect(verifierCodes(noIO, "%t = alloc psum f32[128 | 4097]\nreturn") == ["K3304"])
}

@Test func matmulLimitsAndPSUMBanks() {
    let ok = "%s = alloc sbuf bf16[128 | 128]\n%m = alloc sbuf bf16[128 | 512]\n%p = alloc psum f32[128 | 512]\n"
    #expect(verifierCodes(noIO, ok + "pe.matmul %s, %m -> %p start stop\nreturn") == [])
    let wide = "%s = alloc sbuf bf16[128 | 128]\n%m = alloc sbuf bf16[128 | 1024]\n%p = alloc psum f32[128 | 1024]\n"
    #expect(verifierCodes(noIO, wide + "pe.matmul %s, %m -> %p\nreturn") == ["K3302", "K3303"])
    let tall = "%s = alloc sbuf bf16[128 | 256]\n%m = alloc sbuf bf16[128 | 64]\n%p = alloc psum f32[256 | 64]\n"
    #expect(verifierCodes(noIO, tall + "pe.matmul %s, %m -> %p\nreturn") == ["K3301", "K3302"])
    let crossing = "%s = alloc sbuf bf16[128 | 128]\n%m = alloc sbuf bf16[128 | 512]\n"
        + "%p = alloc psum f32[128 | 512] at partition 0 offset 1024\n"
    #expect(verifierCodes(noIO, crossing + "pe.matmul %s, %m -> %p\nreturn") == ["K3303"])
    let bf16Accumulator = "%s = alloc sbuf bf16[128 | 128]\n%m = alloc sbuf bf16[128 | 512]\n%p = alloc psum bf16[128 | 512]\n"
    #expect(verifierCodes(noIO, bf16Accumulator + "pe.matmul %s, %m -> %p\nreturn") == ["K3203"])
}

@Test func placementRules() {
    #expect(verifierCodes(noIO, "%t = alloc sbuf f32[64 | 4] at partition 64 offset 0\nreturn") == [])
    #expect(verifierCodes(noIO, "%t = alloc sbuf f32[64 | 4] at partition 32 offset 0\nreturn") == ["K3308"])
    #expect(verifierCodes(noIO, "%t = alloc sbuf f32[32 | 4] at partition 96 offset 0\nreturn") == [])
    #expect(verifierCodes(noIO, "%t = alloc sbuf f32[16 | 4] at partition 112 offset 0\nreturn") == ["K3308"])
    #expect(verifierCodes(noIO, "%t = alloc sbuf f32[128 | 512] at partition 0 offset 195000\nreturn", target: .trn1) == ["K3305"])
    #expect(verifierCodes(noIO, "%t = alloc sbuf f32[128 | 512] at partition 0 offset 195000\nreturn", target: .trn2) == [])
    let overlapping = "%a = alloc sbuf f32[128 | 512] at partition 0 offset 0\n%b = alloc sbuf f32[32 | 4] at partition 96 offset 2040\n"
    #expect(verifierCodes(noIO, overlapping + "return") == ["K3306"])
    let disjoint = "%a = alloc sbuf f32[64 | 512] at partition 0 offset 0\n%b = alloc sbuf f32[64 | 512] at partition 64 offset 0\n"
    #expect(verifierCodes(noIO, disjoint + "return") == [])
    // Tiles in sibling loop bodies are never live together; a tile in a loop is live with the enclosing ones.
    let siblings = """
        for %i = 0 to 2 {
          %a = alloc sbuf f32[128 | 512] at partition 0 offset 0
        }
        for %j = 0 to 2 {
          %b = alloc sbuf f32[128 | 512] at partition 0 offset 0
        }
        %c = alloc psum f32[128 | 512] at partition 0 offset 0
        for %k = 0 to 2 {
          %d = alloc psum f32[128 | 512] at partition 0 offset 2044
        }
        return
        """
    #expect(verifierCodes(noIO, siblings) == ["K3306"])
}

@Test func engineMemoryAccess() {
    let tiles = "%s = alloc sbuf f32[128 | 4]\n%p = alloc psum f32[128 | 4]\n"
    #expect(verifierCodes(noIO, tiles + "pool.iota base 0 partition_step 1 free_step 0 -> %p\nreturn") == ["K3307"])
    #expect(verifierCodes(noIO, tiles + "dve.copy %p -> %s\nreturn") == [])
    #expect(verifierCodes(noIO, tiles + "pe.transpose %p -> %s\nreturn") == ["K3204", "K3307", "K3307"])
    #expect(verifierCodes("(%x: hbm f32[128, 4]) -> ()", tiles + "dma.load %x[0, 0] -> %p\nreturn") == ["K3307"])
}

@Test func dmaTransposeIsATrn2Feature() {
    let sig = "(%x: hbm f32[4, 128]) -> ()"
    let body = "%t = alloc sbuf f32[128 | 4]\ndma.load %x[0, 0] -> %t transpose\nreturn"
    #expect(verifierCodes(sig, body, target: .trn1) == ["K3309"])
    #expect(verifierCodes(sig, body, target: .trn2) == [])
}

@Test func violationsAreLocatedAtTheKernelSourceWithLimitAndActualValue() throws {
    let text = """
        kiln.module target "trn1" source "k.kiln" {
          func @f() -> () {
            %s = alloc sbuf bf16[128 | 128]
            %m = alloc sbuf bf16[128 | 600] loc(20:30)
            %p = alloc psum f32[128 | 600]
            pe.matmul %s, %m -> %p loc(40:45)
            %q = alloc sbuf f32[200 | 4]
            return
          }
        }
        """
    let tir = SourceFile(path: "k.tir", text: text)
    let module = try #require(TileIR.parse(tir).module)
    let problems = TileIR.verify(module, target: .trn1)
    let matmulLimit = try #require(problems.first { $0.id.code == "K3302" })
    #expect(matmulLimit.span == SourceSpan(file: "k.kiln", start: 40, end: 45))
    #expect(matmulLimit.message == "matmul N (moving free size) is 600; the tensor engine allows at most 512")

    let kernel = SourceFile(path: "k.kiln", text: "kernel k() {\n  let a = load()\n  let c = a @ b\n}\n")
    let rendered = TileIRDiagnosticRenderer(kernelSource: kernel, irText: tir).render(problems)
    #expect(rendered.contains("k.kiln:3:11: error: matmul N (moving free size) is 600; the tensor engine allows at most 512"))
    #expect(rendered.contains("k.kiln:3:11: error: the accumulation group needs 2400 bytes per partition; a PSUM bank has 2048"))
    // An op without a kernel location is reported at its line in the IR text.
    #expect(rendered.contains("k.tir:7:5: error: tile has 200 partitions; trn1 has 128\n    %q = alloc sbuf f32[200 | 4]\n    ^~~~"))
    let withoutKernel = TileIRDiagnosticRenderer(irText: tir).render(problems)
    #expect(withoutKernel.contains("k.kiln@40:45: error: matmul N"))
}
