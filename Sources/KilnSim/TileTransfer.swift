// TileTransfer.swift: DMA between HBM tensors and f32 / bf16 tiles as strided row copies, no intermediate arrays.

import KilnBytecode
import KilnMachine

/// The same values and checks as `readHBM` + `OnChipStore.write` (loads) and `OnChipStore.read` + `scatter`
/// (stores), moved in one pass: each `HBMRun` is split at partition boundaries into row pieces, and each piece
/// is a loop between `hbm.values[start + i * stride]` and the tile row's bytes (f32 bits, or bf16 rounded to
/// nearest even by `OnChipStore.bf16Bits`); written flags are set per row piece.
extension OnChipStore {
    /// Calls `body(partition, firstElement, hbmStart, hbmStride, count)` for each row piece of the runs.
    static func rowPieces(_ runs: [HBMRun], free: Int, _ body: (Int, Int, Int, Int, Int) -> Void) {
        guard free > 0 else { return }
        for run in runs {
            var (tileIndex, hbmIndex, remaining) = (run.tileStart, run.start, run.count)
            while remaining > 0 {
                let (partition, element) = (tileIndex / free, tileIndex % free)
                let count = min(remaining, free - element)
                body(partition, element, hbmIndex, run.stride, count)
                tileIndex += count
                hbmIndex += count * run.stride
                remaining -= count
            }
        }
    }

    /// Stores HBM values (already of the tensor's type) into an f32 or bf16 tile, as `writeFast` would.
    mutating func fill(_ buffer: BufferEntry, _ runs: [HBMRun], from values: [Double]) {
        let isF32 = buffer.dtype == .f32
        let size = isF32 ? 4 : 2
        let free = buffer.freeElements
        let bytesPerPartition = self.bytesPerPartition
        bytes.withUnsafeMutableBufferPointer { raw in
            written.withUnsafeMutableBufferPointer { flags in
                values.withUnsafeBufferPointer { source in
                    guard let memory = raw.baseAddress, let flagBase = flags.baseAddress else { return }
                    Self.rowPieces(runs, free: free) { partition, element, start, stride, count in
                        let address = (buffer.partitionStart + partition) * bytesPerPartition + buffer.offset + element * size
                        let row = UnsafeMutableRawPointer(memory + address)
                        var index = start
                        for offset in 0..<count {
                            let value = Float(source[index])
                            if isF32 {
                                row.storeBytes(of: value.bitPattern, toByteOffset: 4 * offset, as: UInt32.self)
                            } else {
                                row.storeBytes(of: Self.bf16Bits(value), toByteOffset: 2 * offset, as: UInt16.self)
                            }
                            index += stride
                        }
                        (flagBase + address).update(repeating: true, count: count * size)
                    }
                }
            }
        }
    }

    /// Reads an f32 or bf16 tile's elements into the HBM elements of the runs, converted to `dtype`, marking them
    /// written; returns the first (partition, element) of the tile with a byte never written, as `read` does.
    func drain(_ buffer: BufferEntry, _ runs: [HBMRun], into tensor: inout HBMTensor) -> (Int, Int)? {
        let isF32 = buffer.dtype == .f32
        let size = isF32 ? 4 : 2
        let (partitions, free) = (buffer.partitions, buffer.freeElements)
        let dtype = tensor.entry.dtype
        let toF32 = dtype == .f32
        var firstUnwritten: (Int, Int)?
        bytes.withUnsafeBufferPointer { raw in
            written.withUnsafeBufferPointer { flags in
                for partition in 0..<partitions where firstUnwritten == nil {
                    let start = address(buffer, partition: partition, element: 0)
                    if let unwritten = Self.firstFalse(flags, from: start, count: free * size) {
                        firstUnwritten = (partition, (unwritten - start) / size)
                    }
                }
                guard let memory = raw.baseAddress else { return }
                tensor.values.withUnsafeMutableBufferPointer { target in
                    tensor.written.withUnsafeMutableBufferPointer { marks in
                        Self.rowPieces(runs, free: free) { partition, element, start, stride, count in
                            let row = UnsafeRawPointer(memory + address(buffer, partition: partition, element: element))
                            var index = start
                            for offset in 0..<count {
                                let value = isF32 ? Float(bitPattern: row.loadUnaligned(fromByteOffset: 4 * offset, as: UInt32.self))
                                    : Float(bitPattern: UInt32(row.loadUnaligned(fromByteOffset: 2 * offset, as: UInt16.self)) << 16)
                                target[index] = toF32 ? Double(value) : dtype.convert(Double(value))
                                marks[index] = true
                                index += stride
                            }
                        }
                    }
                }
            }
        }
        return firstUnwritten
    }
}

extension MachineMemory {
    /// `write(buffer, gather(runs, hbm[tensor].values))` for f32 / bf16 tiles, in one pass.
    mutating func load(tensor: Int, _ runs: [HBMRun], into buffer: BufferEntry) {
        let values = hbm[tensor].values
        if buffer.space == .psum { psum.fill(buffer, runs, from: values) } else { sbuf.fill(buffer, runs, from: values) }
    }

    /// `hbm[tensor].scatter(runs, read(buffer).values)` for f32 / bf16 tiles, in one pass; returns the tile's
    /// first unwritten element as `read` does.
    mutating func store(_ buffer: BufferEntry, tensor: Int, _ runs: [HBMRun]) -> (Int, Int)? {
        let store = buffer.space == .psum ? psum : sbuf
        return store.drain(buffer, runs, into: &hbm[tensor])
    }
}
