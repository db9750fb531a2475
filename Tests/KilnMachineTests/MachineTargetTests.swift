// MachineTargetTests.swift: the trn1/trn2 machine models: lookup, numbers, rules and cost formulas.

import KilnMachine
import Testing

@Test func targetsAreFoundByName() {
    #expect(MachineTarget.named("trn1")?.hardware == "Trainium1 NeuronCore-v2")
    #expect(MachineTarget.named("trn2")?.hardware == "Trainium2 NeuronCore-v3")
    #expect(MachineTarget.named("trn3") == nil)
    #expect(MachineTarget.allNames == "trn1, trn2")
}

@Test func memoriesMatchThePublishedSizes() {
    #expect(MachineTarget.trn1.sbuf.totalBytes == 24 * 1024 * 1024)
    #expect(MachineTarget.trn2.sbuf.totalBytes == 28 * 1024 * 1024)
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
    #expect(trn1.peTransposeCycles(partitions: 128, free: 32) == 128)
    #expect(trn1.activationCycles(elementsPerPartition: 10, withReduce: false) == 64)
    #expect(trn1.activationCycles(elementsPerPartition: 512, withReduce: true) == 576)
    #expect(trn1.tensorTensorCycles(elementsPerPartition: 512, oneInputInPSUM: false) == 1024)
    #expect(trn1.tensorTensorCycles(elementsPerPartition: 512, oneInputInPSUM: true) == 512)
    #expect(trn1.tensorReduceCycles(elementsPerPartition: 512, input: .bf16, isAddOrMax: true) == 256)
    #expect(trn1.tensorReduceCycles(elementsPerPartition: 512, input: .f32, isAddOrMax: true) == 512)
    #expect(trn1.reciprocalCycles(elementsPerPartition: 100) == 800)
    #expect(trn1.gpsimdCycles(elementsPerPartition: 50) == 200)
    #expect(abs(trn1.nanoseconds(cycles: 2800, on: .pe) - 1000) < 1e-6)
}

@Test func dmaTransferTime() {
    let trn1 = MachineTarget.trn1
    // 128 partitions use all 16 engines: 272 B/ns; 128 x 4 KiB = 512 KiB.
    let time = trn1.dmaNanoseconds(partitions: 128, bytesPerPartition: 4096)
    #expect(abs(time - (1300 + 524_288 / 272)) < 1e-6)
    // 8 partitions use one engine.
    let small = trn1.dmaNanoseconds(partitions: 8, bytesPerPartition: 256)
    #expect(abs(small - (1300 + 2048 / 17)) < 1e-6)
    #expect(!trn1.dma.canTransposeInFlight)
    #expect(MachineTarget.trn2.dma.canTransposeInFlight)
}
