// TileMatmul.swift: tiles a matmul fusion group: resident B slabs, transposed A tiles, PSUM accumulation, epilogue.

import KilnMachine
import KilnPluginAPI
import KilnSource
import KilnTileIR

/// Emits the loop nest of one matmul group (see `MatmulBlocking` for the order and the reuse):
///
///     for n-block: B slab tiles [K tile | tile_n] loaded once          (unrolled over K tiles and subtiles)
///       for m-tile: for each K tile: load A [m | k], pe.transpose -> PSUM, copy -> A^T [k | m]
///                   (trn2: one transposing DMA), then pe.matmul A^T, B -> acc_j (start on the first K
///                   tile, stop on the last); then the epilogue evacuates each acc_j and stores it.
///
/// K tiles are unrolled because each needs its own resident B tile (the IR has no tile indexing); the A
/// tiles rotate through `a_bufs` (2) buffers per shape so loads, transposes and matmuls of neighbouring K
/// tiles can overlap. Remainders in M, N and K get their own (smaller) tiles.
struct MatmulTiler {
    let matmul: Operation
    let epilogue: [Operation]
    let blocking: MatmulBlocking
    let target: MachineTarget
    let types: [ValueID: ValueDef]
    let hbmSources: [ValueID: ValueID]
    let scalars: [ValueID: TileOperand]
    let stores: [GroupStore]

    func emit(into top: TileEmitter, a: ValueID, b: ValueID, m: Int, k: Int, n: Int,
              element: ElementType) throws(TilingError) {
        let sizes = blocking.sizes
        let kPieces = TileSplit(extent: k, tile: sizes.k).pieces
        try top.tiled(extent: n, tile: blocking.blockWidth, name: "nb") { (_, block, nOffset, width) throws(TilingError) in
            let subtiles = TileSplit(extent: width, tile: sizes.n).pieces
            var slab: [[ValueID]] = []
            for piece in kPieces {
                slab.append(subtiles.map { subtile in
                    let tile = block.alloc(.sbuf, element, partitions: piece.size, free: [subtile.size], name: "b")
                    block.load(b, at: [.constant(piece.offset), nOffset.adding(subtile.offset)], into: tile)
                    return tile
                })
            }
            try block.tiled(extent: m, tile: sizes.m, name: "m") { (rowHoist, body, mOffset, rows) throws(TilingError) in
                let accumulators = subtiles.map { body.alloc(.psum, .f32, partitions: rows, free: [$0.size], name: "acc") }
                var rings: [Int: [(loaded: ValueID?, transposed: ValueID?, stationary: ValueID)]] = [:]
                for (index, piece) in kPieces.enumerated() {
                    let ring = rings[piece.size]
                        ?? (0..<sizes.aBuffers).map { _ in ringBuffers(body, rows: rows, depth: piece.size, element: element) }
                    rings[piece.size] = ring
                    let buffers = ring[index % ring.count]
                    if let loaded = buffers.loaded, let transposed = buffers.transposed {
                        body.load(a, at: [mOffset, .constant(piece.offset)], into: loaded)
                        body.emit(.peTranspose(source: loaded, destination: transposed))
                        body.emit(.dveCopy(source: transposed, destination: buffers.stationary))
                    } else {
                        body.load(a, at: [mOffset, .constant(piece.offset)], into: buffers.stationary, transpose: true)
                    }
                    for (subtile, accumulator) in accumulators.enumerated() {
                        body.emit(.peMatmul(PEMatmul(
                            stationary: buffers.stationary, moving: slab[index][subtile], accumulator: accumulator,
                            start: index == 0 ? .always : .never, stop: index == kPieces.count - 1 ? .always : .never)))
                    }
                }
                for (subtile, accumulator) in accumulators.enumerated() {
                    let window = TileWindow(partitions: rows, width: subtiles[subtile].size, rowOffset: mOffset,
                                            columnOffset: nOffset.adding(subtiles[subtile].offset), rows: m, columns: n)
                    try emitEpilogue(result: .tile(accumulator, .f32, .psum), window: window, body: body, hoist: rowHoist)
                }
            }
        }
    }

    /// The group's epilogue (its elementwise ops after the matmul, then its stores) over one output tile, the
    /// matmul's value being `result` (a PSUM accumulator, or an SBUF window holding the sum).
    func emitEpilogue(result: TileOperand, window: TileWindow, body: TileEmitter, hoist: TileEmitter) throws(TilingError) {
        var operands = scalars
        if let id = matmul.result?.id { operands[id] = result }
        var lowering = ElementwiseLowering(body: body, hoist: hoist, window: window, types: types,
                                           hbmSources: hbmSources, operands: operands)
        lowering.planInPlace(epilogue, keeping: stores.map(\.value))
        for op in epilogue {
            body.span = op.span
            try lowering.lower(op)
        }
        for store in stores {
            body.span = store.op.span
            try lowering.store(store.value, to: store.output, for: store.op)
        }
        body.span = matmul.span
    }

    /// One set of A working tiles for a K tile of `depth` rows: the loaded [rows | depth] tile and its PSUM
    /// transpose (absent when the DMA transposes in flight) and the stationary [depth | rows] SBUF tile.
    private func ringBuffers(_ body: TileEmitter, rows: Int, depth: Int,
                             element: ElementType) -> (loaded: ValueID?, transposed: ValueID?, stationary: ValueID) {
        if target.dma.canTransposeInFlight {
            return (nil, nil, body.alloc(.sbuf, element, partitions: depth, free: [rows], name: "aT"))
        }
        let loaded = body.alloc(.sbuf, element, partitions: rows, free: [depth], name: "a")
        let transposed = body.alloc(.psum, element, partitions: depth, free: [rows], name: "aT_psum")
        let stationary = body.alloc(.sbuf, element, partitions: depth, free: [rows], name: "aT")
        return (loaded, transposed, stationary)
    }
}
