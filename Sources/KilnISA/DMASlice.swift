// DMASlice.swift: which HBM slice a DMA transfer between a tile and a rank-N tensor moves, declared once.

/// The geometry of a DMA transfer between a `[P | F1, F2, ...]` tile and a row-major HBM tensor of rank `rank`,
/// read by the verifier, the scheduler, the bytecode validator, the simulator and the LLVM backend.
///
/// The tile's dims map to the *trailing* dims of the tensor; the leading dims (a rank-N tensor's batch dims)
/// are indexed by the transfer's offsets and have extent 1:
/// - plain: the slice is `[1, ..., 1, P, F1, ...]`; tile dim d is tensor dim `lead + d`;
/// - transposing (`[P | F]` tile, trn2's DMA transpose): the slice is `[1, ..., 1, F, P]`;
/// - broadcasting: the slice is `[1, ..., 1, F1, ...]`, copied into every partition;
/// - flat (a rank-1 tensor, neither transposing nor broadcasting): `P * F` contiguous elements.
///
/// A plain or flat load may be **strided** (`DMASteps`): partition p reads the tensor dim it maps to at
/// `p * row`, and the last free dim's element f is at `f * column` (a flat load's element i at `i * column`): a
/// whole-tensor slice `x[:, lo : hi : step]` read straight from its tensor. Its extents are the bounding box.
public enum DMASlice {
    /// Whether the transfer may take steps other than 1: plain and flat loads may (row steps only when not flat).
    public static func allows(_ steps: DMASteps, rank: Int, transpose: Bool, broadcast: Bool) -> Bool {
        guard steps.row >= 1, steps.column >= 1 else { return false }
        if steps.isUnit { return true }
        if transpose || broadcast { return false }
        return !isFlat(rank: rank, transpose: transpose, broadcast: broadcast) || steps.row == 1
    }

    /// A flat transfer: element (p, f) of a `[P | F]` tile is `x[offset + p * F + f]` of a rank-1 tensor.
    public static func isFlat(rank: Int, transpose: Bool, broadcast: Bool) -> Bool {
        rank == 1 && !transpose && !broadcast
    }

    /// The number of leading tensor dims the tile does not cover (indexed, extent 1); nil when the tile has
    /// more dims than the tensor.
    public static func lead(partitions: Int, freeDims: [Int], rank: Int, transpose: Bool, broadcast: Bool) -> Int? {
        let covered: Int
        if broadcast { covered = freeDims.count }
        else if transpose { covered = 2 }
        else if isFlat(rank: rank, transpose: transpose, broadcast: broadcast) { covered = 1 }
        else { covered = 1 + freeDims.count }
        return rank >= covered ? rank - covered : nil
    }

    /// Elements in one contiguous HBM run of the transfer, which is one DMA descriptor: a plain or broadcasting
    /// transfer's run is the tile's last free dim, extended over each free dim before it while every free dim after
    /// that covers its whole tensor dim (`[P | H, D]` of an `[S, H, D]` tensor is one run of H * D per partition,
    /// `[P | H, 32]` of `[S, H, 64]` is H runs of 32). Each partition is its own run at least (its own destination),
    /// so a flat or transposing transfer counts a partition's elements. `shape` is the tensor's shape.
    /// A column step over 1 makes every element its own run (one descriptor per element: what a strided read
    /// costs on the DMA engines).
    public static func runElements(partitions: Int, freeDims: [Int], shape: [Int], transpose: Bool,
                                   broadcast: Bool, steps: DMASteps = .unit) -> Int {
        if steps.column > 1 { return 1 }
        let free = freeDims.reduce(1, *)
        guard !transpose, !isFlat(rank: shape.count, transpose: transpose, broadcast: broadcast),
              let lead = lead(partitions: partitions, freeDims: freeDims, rank: shape.count, transpose: transpose,
                              broadcast: broadcast),
              let last = freeDims.last else { return free }
        var run = last
        for dim in stride(from: freeDims.count - 1, to: 0, by: -1) {
            let tensorDim = lead + dim + (broadcast ? 0 : 1)
            guard tensorDim < shape.count, freeDims[dim] == shape[tensorDim] else { break }
            run *= freeDims[dim - 1]
        }
        return run
    }

    /// The extent, per tensor dim, of the slice (a strided one's bounding box); nil when the tile has more dims than
    /// the tensor.
    public static func extents(partitions: Int, freeDims: [Int], rank: Int, transpose: Bool, broadcast: Bool,
                               steps: DMASteps = .unit) -> [Int]? {
        guard let lead = lead(partitions: partitions, freeDims: freeDims, rank: rank, transpose: transpose,
                              broadcast: broadcast) else { return nil }
        let free = freeDims.reduce(1, *)
        let covered: [Int]
        if broadcast { covered = freeDims }
        else if transpose { covered = [free, partitions] }
        else if isFlat(rank: rank, transpose: transpose, broadcast: broadcast) {
            covered = [steps.span(partitions * free, steps.column)]
        } else {
            covered = [steps.span(partitions, steps.row)] + freeDims.dropLast() + freeDims.suffix(1).map { steps.span($0, steps.column) }
        }
        return Array(repeating: 1, count: lead) + covered
    }
}

/// The steps of a strided DMA load (`row_step`, `column_step`): 1 and 1 is a plain block.
public struct DMASteps: Hashable, Sendable {
    /// Tensor elements, along the dim the partitions map to, from one partition to the next.
    public var row: Int
    /// Tensor elements, along the dim the last free dim maps to (a flat load's only dim), between neighbours.
    public var column: Int

    public init(row: Int = 1, column: Int = 1) {
        self.row = row
        self.column = column
    }
    public static let unit = DMASteps()
    public var isUnit: Bool { row == 1 && column == 1 }

    /// The elements of a dim that `count` elements `step` apart cover: `(count - 1) * step + 1`.
    func span(_ count: Int, _ step: Int) -> Int { count <= 0 ? count : (count - 1) * step + 1 }
}

/// Which HBM elements `dma.gather` reads, declared once for the verifier, the scheduler, the bytecode validator,
/// the simulator and the LLVM backend. Tile element (p, f) is `table[i, c + f]` with `i` the index tensor's element
/// at its offsets plus p along its last dim, and c the table offset's column; an index outside `0 ..< rows` is a
/// run-time error.
public enum DMAGather {
    /// The table's part that may be read: every row (which ones depends on the indices), `free` columns.
    public static func tableExtents(rows: Int, free: Int) -> [Int] { [rows, free] }
    /// The index run: `partitions` consecutive elements along the last dim of a rank-`rank` index tensor.
    public static func indexExtents(rank: Int, partitions: Int) -> [Int] {
        Array(repeating: 1, count: max(0, rank - 1)) + [partitions]
    }
}
