// DMASliceTests.swift: the contiguous HBM runs (DMA descriptors) of transfers between tiles and rank-N tensors.

import KilnISA
import KilnMachine
import Testing

@Test func aWholeRowOfSeveralFreeDimsIsOneRun() {
    // [128 | 4, 64] of an [S, 4, 64] tensor: each partition's 256 elements are contiguous.
    #expect(DMASlice.runElements(partitions: 128, freeDims: [4, 64], shape: [300, 4, 64], transpose: false,
                                 broadcast: false) == 256)
    // A slice that cuts the last dim: 4 runs of 32 per partition.
    #expect(DMASlice.runElements(partitions: 128, freeDims: [4, 32], shape: [300, 4, 64], transpose: false,
                                 broadcast: false) == 32)
    // A slice that cuts the middle dim: the last dim is whole, so runs span the kept heads.
    #expect(DMASlice.runElements(partitions: 128, freeDims: [1, 2, 64], shape: [2, 300, 4, 64], transpose: false,
                                 broadcast: false) == 128)
    // Rank-2 tiles keep their per-partition run, as before.
    #expect(DMASlice.runElements(partitions: 128, freeDims: [512], shape: [1024, 2048], transpose: false,
                                 broadcast: false) == 512)
    // Broadcasting rows: the free dims map to the tensor's trailing dims.
    #expect(DMASlice.runElements(partitions: 128, freeDims: [4, 64], shape: [1, 4, 64], transpose: false,
                                 broadcast: true) == 256)
}

@Test func shortRunsCostMoreThanOneLongRun() throws {
    let trn1 = try #require(MachineTarget.named("trn1"))
    let whole = trn1.dmaNanoseconds(partitions: 128, bytesPerPartition: 4096, runBytes: 4096)
    let cut = trn1.dmaNanoseconds(partitions: 128, bytesPerPartition: 4096, runBytes: 128)
    #expect(cut > whole)
    #expect(trn1.dmaNanoseconds(partitions: 128, bytesPerPartition: 4096) == whole)
    // The op table's cost reads the HBM operand: dma.load of [128 | 4, 32] f32 from [S, 4, 64] runs 128 B.
    let tile = TileShape(space: .sbuf, element: .f32, partitions: 128, freeDims: [4, 32])
    let facts = OperandFacts([.hbm(.f32, [300, 4, 64]), .tile(tile), .flag(false), .flag(false)])
    let full = OperandFacts([.hbm(.f32, [300, 4, 32]), .tile(tile), .flag(false), .flag(false)])
    let declaration = EngineOp.dmaLoad.declaration
    #expect(OpDeclaration.dmaRunBytes(facts, tile: 1, hbm: 0, transpose: false) == 128)
    #expect(declaration.nanoseconds(facts, target: trn1) > declaration.nanoseconds(full, target: trn1))
}
