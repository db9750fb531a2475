// DMASliceShapeTests.swift: the HBM slice each kind of DMA transfer touches.

import KilnMachine
import Testing
@testable import KilnTileIR

private let tile = TileType(.sbuf, .f32, partitions: 128, free: [4])
private func transfer(offsets: Int, transpose: Bool = false, broadcast: Bool = false) -> DMATransfer {
    var t = DMATransfer(hbm: ValueID(0), offsets: Array(repeating: .constant(0), count: offsets),
                        tile: ValueID(1), transpose: transpose)
    t.broadcast = broadcast
    return t
}

@Test func plainTransferCoversTheTileShape() {
    #expect(transfer(offsets: 2).sliceShape(tile: tile, hbmRank: 2) == [128, 4])
}

@Test func flatTransferCoversPartitionsTimesFreeElements() {
    // A rank-1 tensor moved partition-major: 128 * 4 contiguous elements, not 128.
    #expect(transfer(offsets: 1).sliceShape(tile: tile, hbmRank: 1) == [512])
}

@Test func transposingLoadCoversTheSwappedShape() {
    #expect(transfer(offsets: 2, transpose: true).sliceShape(tile: tile, hbmRank: 2) == [4, 128])
}

@Test func broadcastingLoadCoversOneRowOfFreeDims() {
    #expect(transfer(offsets: 2, broadcast: true).sliceShape(tile: tile, hbmRank: 2) == [1, 4])
    #expect(transfer(offsets: 1, broadcast: true).sliceShape(tile: tile, hbmRank: 1) == [4])
}

@Test func aRankNTensorsLeadingDimsAreIndexed() {
    // The tile covers the trailing dims; the leading (batch) dims have extent 1.
    #expect(transfer(offsets: 3).sliceShape(tile: tile, hbmRank: 3) == [1, 128, 4])
    #expect(transfer(offsets: 4, transpose: true).sliceShape(tile: tile, hbmRank: 4) == [1, 1, 4, 128])
    #expect(transfer(offsets: 3).leadingDims(tile: tile, hbmRank: 3) == 1)
}

@Test func aTileWithMoreDimsThanTheTensorHasNoSlice() {
    #expect(transfer(offsets: 1, transpose: true).sliceShape(tile: tile, hbmRank: 1) == nil)
}
