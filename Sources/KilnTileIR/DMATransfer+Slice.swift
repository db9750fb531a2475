// DMATransfer+Slice.swift: the shape of the HBM slice a DMA transfer touches (the rule is `DMASlice`'s).

import KilnISA

extension DMATransfer {
    /// The extent, per HBM dim, of the slice this transfer reads or writes, starting at `offsets`
    /// (`DMASlice.extents`: the tile's dims map to the trailing HBM dims, leading dims have extent 1).
    /// Nil when the ranks do not fit (the verifier reports it).
    public func sliceShape(tile: TileType, hbmRank: Int) -> [Int]? {
        DMASlice.extents(partitions: tile.partitions, freeDims: tile.freeDims, rank: hbmRank, transpose: transpose,
                         broadcast: broadcast, steps: steps)
    }

    /// The leading HBM dims the tile does not cover (indexed by the offsets, extent 1); nil when the tile has
    /// more dims than the tensor.
    public func leadingDims(tile: TileType, hbmRank: Int) -> Int? {
        DMASlice.lead(partitions: tile.partitions, freeDims: tile.freeDims, rank: hbmRank, transpose: transpose,
                      broadcast: broadcast)
    }
}
