// TileMatmulKBlock.swift: the K-blocked matmul schedule: A^T and B blocks in SBUF, results summed in SBUF over K blocks.

import KilnMachine
import KilnTileIR

/// Emits a matmul group K-blocked (`tile{block_k=...}`), the schedule of NKI's fully optimised matmul tutorial:
///
///     for N block (block_n column tiles): for M block (block_m row tiles):
///       res: SBUF f32 [rows | row tiles x block width], one window per output tile
///       for K block (block_k K tiles; the first peeled, so it copies instead of adding):
///         B block: one load per K tile of [K tile | block width] into its window of a bt buffer
///         A^T: per row tile, one load of its [rows | K block] run (>= 2 KiB transfers) and a pe.transpose of
///           each K tile's window into PSUM, copied into its window of the row's aT buffer, one row tile ahead
///           of the matmuls (trn2: transposing DMAs straight into the windows)
///         per output tile: pe.matmul over the K tiles of the block on windows of aT and bt (views: no copies)
///           into a PSUM accumulator, then one vector-engine copy (first K block) or add into its window of res
///         (last K block) once a row tile's sums are complete, the epilogue and the stores of the whole row of the
///           block, [rows | block width], on its window of res: one store per row tile and block, wide enough
///           (>= 4 KiB per partition once the block is 2 f32 tiles wide) to move at the full DMA rate, where a
///           [rows | 512] f32 tile (2 KiB) moves at the small-transfer rate ([dma]); per-tile stores drain a
///           block's output a few times slower than the tensor engine fills the next block's first K block, whose
///           writes into res must wait for them
///
/// B is read once per M block and A once per N block (against once per row tile for B in the resident-slab
/// schedule, whose A^T transfers are one K tile wide); the price is an SBUF add per output tile and K block.
/// Remainders in M, N and K give smaller blocks and tiles. `double-buffer` prefetches the next K block's loads
/// (through the windows) while this one multiplies.
struct KBlockedMatmulTiler {
    let tiler: MatmulTiler

    var sizes: TileSizes { tiler.blocking.sizes }

    /// How many row tiles ahead of its matmuls a row's A^T tiles are made: the copies out of PSUM of one row run
    /// while the tensor engine transposes the next and multiplies the one before.
    static let transposeLead = 2

    /// SBUF bytes per partition the schedule keeps: res, the aT and bt blocks, the A runs being transposed.
    func bytesPerPartition(m: Int, k: Int, n: Int, element: ElementType) -> Int {
        let blockRows = min(sizes.blocks.m * sizes.m, m), blockColumns = min(sizes.blocks.n * sizes.n, n)
        let blockDepth = min(sizes.blocks.k * sizes.k, k)
        let kTiles = TileSplit(extent: blockDepth, tile: sizes.k).pieces.count
        let rowTiles = TileSplit(extent: blockRows, tile: sizes.m).pieces.count
        return rowTiles * blockColumns * ElementType.f32.byteSize
            + kTiles * (blockRows + blockColumns) * element.byteSize + rowTiles * blockDepth * element.byteSize
    }

    func emit(into top: TileEmitter, a: ValueID, b: ValueID, m: Int, k: Int, n: Int,
              element: ElementType) throws(TilingError) {
        let (blockRows, blockColumns) = (sizes.blocks.m * sizes.m, sizes.blocks.n * sizes.n)
        try top.tiled(extent: n, tile: blockColumns, name: "nb") { (_, nBlock, nOffset, width) throws(TilingError) in
            try nBlock.tiled(extent: m, tile: blockRows, name: "mb") { (hoist, body, mOffset, height) throws(TilingError) in
                let block = OutputBlock(rowTiles: TileSplit(extent: height, tile: sizes.m).pieces,
                                  columnTiles: TileSplit(extent: width, tile: sizes.n).pieces,
                                  mOffset: mOffset, nOffset: nOffset, width: width)
                let sums = body.alloc(.sbuf, .f32, partitions: block.rowTiles[0].size,
                                      free: [block.rowTiles.count * width], name: "res")
                // The last K block runs each row tile's epilogue as soon as its sums are complete, so the stores
                // spread over that block's matmuls instead of queueing up after them.
                let epilogue = { (window: ValueID, rowIndex: Int, column: (offset: Int, size: Int)) throws(TilingError) in
                    let row = block.rowTiles[rowIndex]
                    let output = TileWindow(partitions: row.size, width: column.size, rowOffset: mOffset.adding(row.offset),
                                            columnOffset: nOffset.adding(column.offset), rows: m, columns: n)
                    try tiler.emitEpilogue(result: .tile(window, .f32, .sbuf), window: output, body: body, hoist: hoist)
                }
                try emitKBlocks(body, block, sums: sums, a: a, b: b, k: k, element: element, epilogue: epilogue)
            }
        }
    }

    /// One output block's row and column tiles and where it lies.
    private struct OutputBlock {
        var rowTiles: [(offset: Int, size: Int)]
        var columnTiles: [(offset: Int, size: Int)]
        var mOffset: AffineExpr
        var nOffset: AffineExpr
        var width: Int
    }

    /// The K blocks: the first one peeled (it copies into `sums`), a loop over the middle ones, the last one peeled
    /// (it runs each output tile's `epilogue` once the tile's sum is complete).
    private func emitKBlocks(_ body: TileEmitter, _ block: OutputBlock, sums: ValueID, a: ValueID, b: ValueID, k: Int,
                             element: ElementType,
                             epilogue: @escaping (ValueID, Int, (offset: Int, size: Int)) throws(TilingError) -> Void) throws(TilingError) {
        let depth = sizes.blocks.k * sizes.k
        let pieces = TileSplit(extent: k, tile: depth).pieces
        let last = pieces.count - 1
        try emitKBlock(body, block, sums: sums, a: a, b: b, kOffset: .constant(0), depth: pieces[0].size, first: true,
                       element: element, epilogue: last == 0 ? epilogue : nil)
        let middle = pieces.count >= 2 ? Array(pieces[1..<last]) : []
        if middle.count >= 2 {
            let variable = body.values.make(.index, name: "kb")
            let inner = body.child()
            try emitKBlock(inner, block, sums: sums, a: a, b: b, kOffset: AffineExpr(terms: [.init(variable.id, depth)]),
                           depth: depth, first: false, element: element, epilogue: nil)
            body.ops.append(Operation(.forLoop(ForLoop(inductionVariable: variable, lowerBound: 1, upperBound: last,
                                                       body: Block(inner.ops))), span: body.span))
        } else if let piece = middle.first {
            try emitKBlock(body, block, sums: sums, a: a, b: b, kOffset: .constant(piece.offset), depth: piece.size,
                           first: false, element: element, epilogue: nil)
        }
        if last > 0 {
            try emitKBlock(body, block, sums: sums, a: a, b: b, kOffset: .constant(pieces[last].offset), depth: pieces[last].size,
                           first: false, element: element, epilogue: epilogue)
        }
    }

    /// One K block: the B block and each row tile's A run are loaded first (prefetchable: `double-buffer` moves them
    /// ahead of the previous block's work); then, row tile by row tile, its A^T tiles are made `transposeLead` row
    /// tiles ahead of its matmuls (the tensor engine transposes later rows' K tiles before it multiplies this row, so
    /// the copies out of PSUM overlap the matmuls), and each output tile sums its K tiles in PSUM and is copied (first block)
    /// or added into its window of `sums`.
    private func emitKBlock(_ body: TileEmitter, _ block: OutputBlock, sums: ValueID, a: ValueID, b: ValueID, kOffset: AffineExpr,
                            depth: Int, first: Bool, element: ElementType,
                            epilogue: ((ValueID, Int, (offset: Int, size: Int)) throws(TilingError) -> Void)?) throws(TilingError) {
        let kTiles = TileSplit(extent: depth, tile: sizes.k).pieces
        let width = block.width
        let moving = body.alloc(.sbuf, element, partitions: kTiles[0].size, free: [kTiles.count * width], name: "bt")
        for (index, piece) in kTiles.enumerated() {
            let window = body.view(moving, offset: index * width, as: TileType(.sbuf, element, partitions: piece.size, free: [width]),
                                   name: "bt_w")
            body.load(b, at: [kOffset.adding(piece.offset), block.nOffset], into: window)
        }
        // Per row tile: its A^T tiles side by side, [K tile | K tiles x rows]; on trn1 also its A run [rows | depth].
        let transposeInFlight = tiler.target.dma.canTransposeInFlight
        var stationary: [ValueID] = []
        var runs: [ValueID] = []
        for row in block.rowTiles {
            let aT = body.alloc(.sbuf, element, partitions: kTiles[0].size, free: [kTiles.count * row.size], name: "aT")
            stationary.append(aT)
            let rowOffset = block.mOffset.adding(row.offset)
            if transposeInFlight {
                for (index, piece) in kTiles.enumerated() {
                    let window = body.view(aT, offset: index * row.size,
                                           as: TileType(.sbuf, element, partitions: piece.size, free: [row.size]), name: "aT_w")
                    body.load(a, at: [rowOffset, kOffset.adding(piece.offset)], into: window, transpose: true)
                }
            } else {
                let run = body.alloc(.sbuf, element, partitions: row.size, free: [depth], name: "a")
                body.load(a, at: [rowOffset, kOffset], into: run)
                runs.append(run)
            }
        }
        func transpose(_ rowIndex: Int) {
            guard !transposeInFlight, rowIndex < block.rowTiles.count else { return }
            let row = block.rowTiles[rowIndex]
            for (index, piece) in kTiles.enumerated() {
                let window = body.view(runs[rowIndex], offset: piece.offset,
                                       as: TileType(.sbuf, element, partitions: row.size, free: [piece.size]), name: "a_w")
                let transposed = body.alloc(.psum, element, partitions: piece.size, free: [row.size], name: "aT_psum")
                body.emit(.peTranspose(source: window, destination: transposed))
                let target = body.view(stationary[rowIndex], offset: index * row.size,
                                       as: TileType(.sbuf, element, partitions: piece.size, free: [row.size]), name: "aT_w")
                body.emit(.dveCopy(source: transposed, destination: target))
            }
        }
        for ahead in 0..<Self.transposeLead { transpose(ahead) }
        for (rowIndex, row) in block.rowTiles.enumerated() {
            transpose(rowIndex + Self.transposeLead)
            for column in block.columnTiles {
                let accumulator = body.alloc(.psum, .f32, partitions: row.size, free: [column.size], name: "acc")
                for (index, piece) in kTiles.enumerated() {
                    let left = body.view(stationary[rowIndex], offset: index * row.size,
                                         as: TileType(.sbuf, element, partitions: piece.size, free: [row.size]), name: "aT_w")
                    let right = body.view(moving, offset: index * width + column.offset,
                                          as: TileType(.sbuf, element, partitions: piece.size, free: [column.size]), name: "bt_w")
                    body.emit(.peMatmul(PEMatmul(stationary: left, moving: right, accumulator: accumulator,
                                                 start: index == 0 ? .always : .never,
                                                 stop: index == kTiles.count - 1 ? .always : .never)))
                }
                let sum = body.view(sums, offset: rowIndex * width + column.offset,
                                    as: TileType(.sbuf, .f32, partitions: row.size, free: [column.size]), name: "res_w")
                body.emit(first ? .dveCopy(source: accumulator, destination: sum)
                                : .dveTensorTensor(.add, sum, accumulator, destination: sum))
            }
            // The row tile's sums are complete: its epilogue and stores run once on the whole row of the block,
            // [rows | block width] (contiguous in res), not once per output tile.
            if let epilogue {
                let rowSums = body.view(sums, offset: rowIndex * width,
                                        as: TileType(.sbuf, .f32, partitions: row.size, free: [width]), name: "res_row")
                try epilogue(rowSums, rowIndex, (offset: 0, size: width))
            }
        }
    }
}
