// MachineTargetTests.swift: the trn1/trn2/trn3 machine models: lookup, numbers, rules and cost formulas.

import KilnMachine
import Testing

@Test func targetsAreFoundByName() {
    #expect(MachineTarget.named("trn1")?.hardware == "Trainium1 NeuronCore-v2")
    #expect(MachineTarget.named("trn2")?.hardware == "Trainium2 NeuronCore-v3")
    #expect(MachineTarget.named("trn3")?.hardware == "Trainium3 NeuronCore-v4")
    #expect(MachineTarget.named("trn4") == nil)
    #expect(MachineTarget.allNames == "trn1, trn2, trn3, trn1-dma27")
    // The calibration variant differs from trn1 in the DMA engine rate only.
    var variant = MachineTarget.trn1TheoreticalDMA
    #expect(variant.dma.bytesPerNanosecondPerEngine == 27.2)
    variant.name = "trn1"
    variant.hardware = MachineTarget.trn1.hardware
    variant.dma.bytesPerNanosecondPerEngine = 17
    #expect(variant == MachineTarget.trn1)
}

@Test func memoriesMatchThePublishedSizes() {
    #expect(MachineTarget.trn1.sbuf.totalBytes == 24 * 1024 * 1024)
    #expect(MachineTarget.trn2.sbuf.totalBytes == 28 * 1024 * 1024)
    #expect(MachineTarget.trn3.sbuf.totalBytes == 32 * 1024 * 1024)
    for target in MachineTarget.all {
        #expect(target.psum.totalBytes == 2 * 1024 * 1024)
        #expect(target.psumBanks * target.psumBankBytes == target.psum.bytesPerPartition)
        #expect(target.psumBankBytes / ElementType.f32.byteSize == target.tensorEngine.maxN)
        #expect(target.tensorEngine.maxK == 128 && target.tensorEngine.maxM == 128)
    }
}

@Test func clocksAndPeakRates() {
    #expect(MachineTarget.trn1.clocks.hertz(.pe) == 2.8e9)
    #expect(MachineTarget.trn2.clocks.hertz(.dve) == 0.96e9)
    #expect(abs(MachineTarget.trn1.tensorEngine.peakBF16FlopsPerSecond - 91.75e12) < 0.01e12)
    #expect(abs(MachineTarget.trn2.tensorEngine.peakBF16FlopsPerSecond - 78.6e12) < 0.1e12)
    // trn3: bf16 79 TFLOP/s, MX 315 TFLOP/s with K = 512 per instruction; vector engine at 1.2 GHz.
    let trn3 = MachineTarget.trn3
    #expect(trn3.clocks.hertz(.dve) == 1.2e9)
    #expect(trn3.tensorEngine.mx?.contractionPerInstruction == 512)
    #expect(abs((trn3.tensorEngine.mx?.peakFlopsPerSecond(trn3.tensorEngine) ?? 0) - 314.6e12) < 0.1e12)
    #expect(MachineTarget.trn2.tensorEngine.mx == nil)
}

@Test func partitionStartAlignment() {
    let target = MachineTarget.trn1
    #expect(target.allowedPartitionStarts(forPartitions: 128) == [0])
    #expect(target.allowedPartitionStarts(forPartitions: 65) == [0])
    #expect(target.allowedPartitionStarts(forPartitions: 64) == [0, 64])
    #expect(target.allowedPartitionStarts(forPartitions: 33) == [0, 64])
    #expect(target.allowedPartitionStarts(forPartitions: 32) == [0, 32, 64, 96])
}

@Test func engineMemoryAccessRules() {
    let target = MachineTarget.trn1
    #expect(target.allows(.pe, .read, .sbuf))
    #expect(!target.allows(.pe, .read, .psum))
    #expect(target.allows(.pe, .write, .psum))
    #expect(!target.allows(.pool, .read, .psum))
    #expect(!target.allows(.dma, .write, .psum))
    #expect(target.allows(.dma, .read, .hbm))
    #expect(target.memories(.act, .read) == [.sbuf, .psum])
    #expect(MachineTarget.trn1.exclusiveMemoryUse.count == 2)
    #expect(MachineTarget.trn2.exclusiveMemoryUse.isEmpty)
}

@Test func instructionCosts() {
    let trn1 = MachineTarget.trn1, trn2 = MachineTarget.trn2
    #expect(trn1.matmulCycles(m: 128, n: 512, input: .bf16) == 512)
    #expect(trn1.matmulCycles(m: 16, n: 8, input: .bf16) == 16)
    #expect(trn1.matmulCycles(m: 128, n: 32, input: .bf16) == 64)
    #expect(trn1.matmulCycles(m: 128, n: 512, input: .f32) == 2048)
    #expect(trn1.matmulCycles(m: 128, n: 512, input: .f8e4m3) == 512)
    #expect(trn2.matmulCycles(m: 128, n: 512, input: .f8e4m3) == 256)
    #expect(trn2.matmulCycles(m: 128, n: 512, input: .f8e4m3fn) == 256)   // every fp8 format runs double row
    #expect(MachineTarget.trn3.matmulCycles(m: 128, n: 512, input: .f8e4m3fn) == 256)
    #expect(trn1.peTransposeCycles(partitions: 128, free: 32) == 128)
    #expect(trn1.activationCycles(elementsPerPartition: 10, withReduce: false) == 64 + 60)
    #expect(trn1.activationCycles(elementsPerPartition: 512, withReduce: true) == 576 + 60)
    #expect(trn1.tensorTensorCycles(elementsPerPartition: 512, oneInputInPSUM: false) == 1024 + 60)
    #expect(trn1.tensorTensorCycles(elementsPerPartition: 512, oneInputInPSUM: true) == 512 + 60)
    #expect(trn1.tensorReduceCycles(elementsPerPartition: 512, input: .bf16, isAddOrMax: true) == 256 + 60)
    #expect(trn1.tensorReduceCycles(elementsPerPartition: 512, input: .f32, isAddOrMax: true) == 512 + 60)
    #expect(trn1.reciprocalCycles(elementsPerPartition: 100) == 800 + 60)
    #expect(trn1.gpsimdCycles(elementsPerPartition: 50) == 200)
    #expect(abs(trn1.nanoseconds(cycles: 2800, on: .pe) - 1000) < 1e-6)
}

@Test func vectorPerfModeOnTrn2() {
    // 512 elements per cycle on 128 lanes: 4x for one input, 2x for two; trn1 has no perf mode.
    #expect(MachineTarget.trn2.tensorScalarCycles(elementsPerPartition: 512, perfMode: true) == 128 + 60)
    #expect(MachineTarget.trn2.tensorTensorCycles(elementsPerPartition: 512, oneInputInPSUM: false, perfMode: true) == 512 + 60)
    #expect(MachineTarget.trn1.tensorScalarCycles(elementsPerPartition: 512, perfMode: true) == 512 + 60)
    #expect(MachineTarget.trn2.tensorScalarCycles(elementsPerPartition: 100, perfMode: true) == 64 + 60)
}

@Test func dmaTransferTime() {
    let trn1 = MachineTarget.trn1
    // 128 partitions use all 16 engines: 272 B/ns; 128 x 4 KiB = 512 KiB.
    let time = trn1.dmaNanoseconds(partitions: 128, bytesPerPartition: 4096)
    #expect(abs(time - (1300 + 524_288 / 272)) < 1e-6)
    // 8 partitions use one engine, and 256 B per partition is under the recommended 2 KiB: the small-transfer
    // efficiency (0.39) applies, which is below the 256 / 512 a short run alone would allow.
    let small = trn1.dmaNanoseconds(partitions: 8, bytesPerPartition: 256)
    #expect(abs(small - (1300 + 2048 / (17 * 0.39))) < 1e-6)
    // Between 2 and 4 KiB per partition the efficiency rises linearly to 1; a 128 B run caps it at 1/4.
    #expect(abs(trn1.dmaEfficiency(bytesPerPartition: 3072) - (0.39 + 0.61 / 2)) < 1e-12)
    #expect(trn1.dmaEfficiency(bytesPerPartition: 2048) == 0.39)
    #expect(trn1.dmaEfficiency(bytesPerPartition: 128) == 0.25)
    // A transposing load (trn2) runs at the transpose unit's 90% whatever its shape.
    #expect(MachineTarget.trn2.dmaEfficiency(bytesPerPartition: 256, transpose: true) == 0.9)
    // The core's shared rate: min(16 x 17, 410) on trn1; 16 x 33 on trn3 (under its 587.5 GB/s HBM share).
    #expect(trn1.dmaCoreBytesPerNanosecond == 272)
    #expect(MachineTarget.trn3.dmaCoreBytesPerNanosecond == 528)
    #expect(!trn1.dma.canTransposeInFlight)
    #expect(MachineTarget.trn2.dma.canTransposeInFlight)
}
