// TilingPlan.swift: the numbers the `tile` pass decides: tile sizes from @schedule or the target, matmul blocking.

import KilnMachine
import KilnSource
import KilnTileIR

/// Tile sizes for one function: `m` rows per tile (partitions; stationary width of a matmul), `n` columns of
/// a matmul's moving operand per PSUM accumulator, `k` contraction rows per matmul.
struct TileSizes: Equatable {
    var m: Int
    var n: Int
    var k: Int
    /// The most PSUM accumulators (of `n` columns) a matmul column block may use (`tile{accumulators=N}`);
    /// half the PSUM banks by default, so `double-buffer` can give the next block the other half.
    var accumulators: Int
    /// Sets of A working tiles a matmul rotates through (`tile{a_bufs=N}`): how many A loads (and transposes)
    /// can be in flight ahead of the matmuls; 2 by default.
    var aBuffers: Int = 2
    /// The K-blocked matmul schedule's K tiles, row tiles and column tiles per block (`tile{block_k=, block_m=,
    /// block_n=}`); 0 is "not given". Giving any selects that schedule, the others taking `kBlockDefaults`.
    var blockK = 0, blockM = 0, blockN = 0
    /// NKI's matmul tutorial's blocks: 8 K tiles, 16 row tiles, 2 column tiles.
    static let kBlockDefaults = (k: 8, m: 16, n: 2)

    /// True when the K-blocked schedule is asked for.
    var kBlocked: Bool { blockK > 0 || blockM > 0 || blockN > 0 }
    /// Tiles per block, given or default.
    var blocks: (k: Int, m: Int, n: Int) {
        (blockK > 0 ? blockK : Self.kBlockDefaults.k, blockM > 0 ? blockM : Self.kBlockDefaults.m,
         blockN > 0 ? blockN : Self.kBlockDefaults.n)
    }

    /// The target's natural sizes: M 128, N 512 (one PSUM bank of f32), K 128, half the PSUM banks.
    static func defaults(for target: MachineTarget) -> TileSizes {
        TileSizes(m: min(target.tensorEngine.maxM, target.sbuf.partitions), n: target.tensorEngine.maxN,
                  k: target.tensorEngine.maxK, accumulators: max(1, target.psumBanks / 2), aBuffers: 2)
    }

    /// The sizes `@schedule(tile_m:, tile_n:, tile_k:)` gives, each checked against the machine; a size out
    /// of range is reported (K3604) and the default used instead.
    static func resolve(_ schedule: [String: Int], target: MachineTarget,
                        report: (String, Int, Int) -> Void) -> TileSizes {
        var sizes = defaults(for: target)
        let limits = [("tile_m", sizes.m), ("tile_n", sizes.n), ("tile_k", sizes.k), ("accumulators", target.psumBanks),
                      ("a_bufs", 8), ("block_k", 64), ("block_m", 64), ("block_n", 16)]
        for (key, limit) in limits {
            guard let value = schedule[key] else { continue }
            guard value >= (key.hasPrefix("block_") ? 0 : 1), value <= limit else {
                report(key, value, limit)
                continue
            }
            switch key {
            case "tile_m": sizes.m = value
            case "tile_n": sizes.n = value
            case "tile_k": sizes.k = value
            case "accumulators": sizes.accumulators = value
            case "block_k": sizes.blockK = value
            case "block_m": sizes.blockM = value
            case "block_n": sizes.blockN = value
            default: sizes.aBuffers = value
            }
        }
        return sizes
    }
}

/// How a matmul C[M, N] = A[M, K] @ B[K, N] is blocked. The loop nest is: for each block of `subtiles`
/// accumulators' worth of columns, load the [K | tile_n] slabs of B once and keep them in SBUF; then for
/// each row tile of A, transpose its [tile_m | tile_k] tiles (stationary operands, each once per (m, k)
/// and block) and accumulate every K tile into `subtiles` PSUM accumulators, evacuated by the epilogue.
/// B is read from HBM exactly once; A once per column block.
struct MatmulBlocking: Equatable {
    var sizes: TileSizes
    /// Accumulators (of `sizes.n` columns) per column block.
    var subtiles: Int
    /// SBUF bytes per partition the resident B slab of one block takes.
    var slabBytes: Int

    var blockWidth: Int { subtiles * sizes.n }

    /// Picks the widest column block whose B slab fits the SBUF left after A's working tiles, using at most
    /// `sizes.accumulators` PSUM banks (by default half: the other half lets a later pass double-buffer them).
    /// Nil when not even one accumulator's slab fits (`bytesPerSlab` says how much one needs).
    static func choose(m: Int, k: Int, n: Int, element: ElementType, sizes: TileSizes,
                       target: MachineTarget) -> (blocking: MatmulBlocking?, bytesPerSlab: Int, budget: Int) {
        let kTiles = TileSplit(extent: k, tile: sizes.k).pieces.count
        let bytesPerSlab = kTiles * sizes.n * element.byteSize
        // A's working tiles (`aBuffers` sets of the loaded tile and its transpose) and the epilogue's f32 tiles.
        let working = sizes.aBuffers * 2 * max(sizes.k, sizes.m) * element.byteSize
        let epilogue = sizes.accumulators * 3 * sizes.n * ElementType.f32.byteSize
        let budget = target.sbuf.bytesPerPartition - working - epilogue
        let columnsTiles = (n + sizes.n - 1) / sizes.n
        let fitting = bytesPerSlab > 0 ? budget / bytesPerSlab : 0
        let subtiles = min(sizes.accumulators, columnsTiles, fitting)
        guard subtiles >= 1 else { return (nil, bytesPerSlab, budget) }
        let width = min(subtiles * sizes.n, n)
        let slabTiles = TileSplit(extent: width, tile: sizes.n).pieces.count
        return (MatmulBlocking(sizes: sizes, subtiles: subtiles, slabBytes: slabTiles * bytesPerSlab), bytesPerSlab, budget)
    }
}
