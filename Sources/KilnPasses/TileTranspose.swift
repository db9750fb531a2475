// TileTranspose.swift: tiles a standalone 2-D transpose of an HBM tensor into kernel outputs or scratch tensors.

import KilnMachine
import KilnPluginAPI
import KilnTileIR

/// Emits `out = x^T` for x[M, N] in HBM (an input, or a scratch tensor holding a computed value), block
/// by block of [tile | tile] (remainders peeled in both dims): on trn1 each block is loaded as [m | n],
/// transposed on the tensor engine into PSUM ([n | m]) and copied to SBUF; on trn2 a transposing DMA loads
/// the [n | m] block directly. The block is stored at the
/// swapped offsets of every output (kernel outputs and scratch tensors the value goes to).
struct TransposeTiler {
    let target: MachineTarget
    let tile: Int

    func emit(into top: TileEmitter, source: ValueID, outputs: [ValueID], shape: [Int], element: ElementType) {
        top.tiled(extent: shape[0], tile: tile, name: "i") { (_, rowBody, rowOffset, rows) in
            rowBody.tiled(extent: shape[1], tile: tile, name: "j") { (_, body, columnOffset, columns) in
                let result = body.alloc(.sbuf, element, partitions: columns, free: [rows], name: "t")
                if target.dma.canTransposeInFlight {
                    body.load(source, at: [rowOffset, columnOffset], into: result, transpose: true)
                } else {
                    let block = body.alloc(.sbuf, element, partitions: rows, free: [columns], name: "block")
                    body.load(source, at: [rowOffset, columnOffset], into: block)
                    let transposed = body.alloc(.psum, element, partitions: columns, free: [rows], name: "t_psum")
                    body.emit(.peTranspose(source: block, destination: transposed))
                    body.emit(.dveCopy(source: transposed, destination: result))
                }
                for output in outputs { body.store(result, to: output, at: [columnOffset, rowOffset]) }
            }
        }
    }
}
