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
    #expect(declaration.dmaRunBytes(facts, tile: 1, hbm: 0, transpose: false) == 128)
    #expect(declaration.nanoseconds(facts, target: trn1) > declaration.nanoseconds(full, target: trn1))
}

@Test func aStridedLoadCoversItsBoundingBoxInRunsOfOneElement() throws {
    // [64 | 32] read every 2nd row and every 3rd column of a [C, 200, 100] tensor: 127 rows and 94 columns.
    let steps = DMASteps(row: 2, column: 3)
    #expect(DMASlice.extents(partitions: 64, freeDims: [32], rank: 3, transpose: false, broadcast: false, steps: steps)
        == [1, 127, 94])
    #expect(DMASlice.runElements(partitions: 64, freeDims: [32], shape: [3, 200, 100], transpose: false, broadcast: false,
                                 steps: steps) == 1)
    // A row step alone keeps each partition's run whole.
    #expect(DMASlice.runElements(partitions: 64, freeDims: [32], shape: [3, 200, 100], transpose: false, broadcast: false,
                                 steps: DMASteps(row: 2)) == 32)
    // Flat (rank 1): every element `column` apart; a row step has no meaning there.
    #expect(DMASlice.extents(partitions: 4, freeDims: [8], rank: 1, transpose: false, broadcast: false,
                             steps: DMASteps(column: 2)) == [63])
    #expect(!DMASlice.allows(DMASteps(row: 2), rank: 1, transpose: false, broadcast: false))
    #expect(!DMASlice.allows(DMASteps(column: 2), rank: 2, transpose: true, broadcast: false))
    #expect(!DMASlice.allows(DMASteps(column: 0), rank: 2, transpose: false, broadcast: false))
    // The op table's cost: one descriptor per element is slower than the same bytes in whole rows.
    let trn1 = try #require(MachineTarget.named("trn1"))
    let tile = TileShape(space: .sbuf, element: .f32, partitions: 64, freeDims: [32])
    let declaration = EngineOp.dmaLoad.declaration
    let strided = OperandFacts([.hbm(.f32, [3, 200, 100]), .tile(tile), .flag(false), .flag(false), .integer(2), .integer(3)])
    let plain = OperandFacts([.hbm(.f32, [3, 200, 100]), .tile(tile), .flag(false), .flag(false), .integer(1), .integer(1)])
    #expect(declaration.dmaRunBytes(strided, tile: 1, hbm: 0, transpose: false) == 4)
    #expect(declaration.nanoseconds(strided, target: trn1) > declaration.nanoseconds(plain, target: trn1))
    #expect(declaration.violations(strided, target: trn1).isEmpty)
    let transposing = OperandFacts([.hbm(.f32, [3, 200, 100]), .tile(tile), .flag(true), .flag(false), .integer(2), .integer(3)])
    #expect(!declaration.violations(transposing, target: trn1).isEmpty)
}

@Test func max8AndFindIndex8ReadEightTo16384ElementsAndWriteEight() {
    let row = TileShape(space: .sbuf, element: .bf16, partitions: 128, freeDims: [64])
    let top = TileShape(space: .sbuf, element: .bf16, partitions: 128, freeDims: [8])
    let positions = TileShape(space: .sbuf, element: .i32, partitions: 128, freeDims: [8])
    let max8 = EngineOp.dveMax8.declaration, find = EngineOp.dveFindIndex8.declaration
    #expect(max8.violations(OperandFacts([.tile(row), .tile(top)]), target: .trn1).isEmpty)
    #expect(find.violations(OperandFacts([.tile(row), .tile(top), .tile(positions)]), target: .trn1).isEmpty)
    let short = TileShape(space: .sbuf, element: .bf16, partitions: 128, freeDims: [4])
    #expect(max8.violations(OperandFacts([.tile(short), .tile(top)]), target: .trn1).count == 1)
    #expect(find.violations(OperandFacts([.tile(row), .tile(top), .tile(top)]), target: .trn1).count == 1, "positions are i32")
    // N cycles plus the access start: a longer row costs more.
    #expect(max8.cycles(OperandFacts([.tile(row), .tile(top)]), target: .trn1)! >
            max8.cycles(OperandFacts([.tile(short), .tile(top)]), target: .trn1)!)
}
