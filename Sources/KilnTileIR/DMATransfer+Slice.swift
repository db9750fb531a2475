// DMATransfer+Slice.swift: the shape of the HBM slice a DMA transfer touches, for each kind of transfer.

extension DMATransfer {
    /// The extent, per HBM dim, of the slice this transfer reads or writes, starting at `offsets`:
    /// a broadcasting load reads the tile's free dims (leading HBM dims of size 1); a transposing load
    /// reads `[F, P]`; a flat transfer (rank-1 tensor, one offset) moves `P * F` contiguous elements;
    /// otherwise the slice has the tile's shape. Nil when the ranks do not fit (the verifier reports it).
    public func sliceShape(tile: TileType, hbmRank: Int) -> [Int]? {
        let shape: [Int]
        if broadcast {
            guard hbmRank >= tile.freeDims.count else { return nil }
            shape = Array(repeating: 1, count: hbmRank - tile.freeDims.count) + tile.freeDims
        } else if transpose {
            shape = [tile.freeElements, tile.partitions]
        } else if hbmRank == 1, tile.freeDims.count == 1, offsets.count == 1 {
            shape = [tile.partitions * tile.freeElements]
        } else {
            shape = tile.shape
        }
        return shape.count == hbmRank ? shape : nil
    }
}
