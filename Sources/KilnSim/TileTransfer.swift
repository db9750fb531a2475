// TileTransfer.swift: DMA between HBM tensors and f32 / bf16 tiles as row copies of stored bytes, no intermediate arrays.

import KilnBytecode
import KilnMachine

/// The same values and checks as `readHBM` + `OnChipStore.write` (loads) and `OnChipStore.read` + `scatter`
/// (stores), moved in one pass: each `HBMRun` is split at partition boundaries into row pieces, and each piece
/// is a `memcpy` (same type, contiguous) or a loop between the HBM elements `start + i * stride` and the tile
/// row's bytes (f32 bits, or bf16 rounded to nearest even by `OnChipStore.bf16Bits`); written flags are set per
/// row piece.
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

    /// Stores HBM elements into an f32 or bf16 tile, as `writeFast` would store their values: the same type is
    /// copied bit for bit (one `memcpy` per contiguous row piece), f32 <-> bf16 is widened or rounded to nearest
    /// even (`bf16Bits`), any other type is decoded and rounded to f32 first.
    mutating func fill(_ buffer: BufferEntry, _ runs: [HBMRun], from tensor: HBMTensor, markingWritten: Bool = true) {
        let isF32 = buffer.dtype == .f32
        let size = isF32 ? 4 : 2
        let source = tensor.entry.dtype
        let sourceSize = source.byteSize
        let free = buffer.freeElements
        let bytesPerPartition = self.bytesPerPartition
        bytes.withUnsafeMutableBufferPointer { raw in
            written.withUnsafeMutableBufferPointer { flags in
                tensor.bytes.withUnsafeBytes { hbm in
                    guard let memory = raw.baseAddress, let flagBase = flags.baseAddress, let hbmBase = hbm.baseAddress else { return }
                    Self.rowPieces(runs, free: free) { partition, element, start, stride, count in
                        let address = (buffer.partitionStart + partition) * bytesPerPartition + buffer.offset + element * size
                        let row = UnsafeMutableRawPointer(memory + address)
                        if source == buffer.dtype && stride == 1 {
                            row.copyMemory(from: hbmBase + start * size, byteCount: count * size)
                        } else {
                            var index = start
                            for offset in 0..<count {
                                let element = hbmBase + index * sourceSize
                                let value: Float = switch source {
                                case .f32: Float(bitPattern: element.loadUnaligned(as: UInt32.self))
                                case .bf16: Float(bitPattern: UInt32(element.loadUnaligned(as: UInt16.self)) << 16)
                                default: Float(tensor.value(at: index))
                                }
                                if isF32 {
                                    row.storeBytes(of: value.bitPattern, toByteOffset: 4 * offset, as: UInt32.self)
                                } else {
                                    row.storeBytes(of: Self.bf16Bits(value), toByteOffset: 2 * offset, as: UInt16.self)
                                }
                                index += stride
                            }
                        }
                        if markingWritten { (flagBase + address).update(repeating: true, count: count * size) }
                    }
                }
            }
        }
    }

    /// Reads an f32 or bf16 tile's elements into the HBM elements of the runs, converted to the tensor's type
    /// (`ElementType.convert`: the same type bit for bit, bf16 from f32 rounded to nearest even), marking them
    /// written; returns the first (partition, element) of the tile with a byte never written, as `read` does.
    func drain(_ buffer: BufferEntry, _ runs: [HBMRun], into tensor: inout HBMTensor, checkingWritten: Bool = true) -> (Int, Int)? {
        let isF32 = buffer.dtype == .f32
        let size = isF32 ? 4 : 2
        let free = buffer.freeElements
        let dtype = tensor.entry.dtype
        let targetSize = dtype.byteSize
        let firstUnwritten = checkingWritten ? self.firstUnwritten(buffer) : nil
        bytes.withUnsafeBufferPointer { raw in
            tensor.bytes.withUnsafeMutableBytes { hbm in
                tensor.written.withUnsafeMutableBufferPointer { marks in
                    // No marks for a tensor that starts written (an input). Its `written` is empty, whose buffer
                    // may still have a base address: the empty-array singleton, which must never be written.
                    guard let memory = raw.baseAddress, let hbmBase = hbm.baseAddress else { return }
                    let markBase = tensor.startsWritten ? nil : marks.baseAddress
                    Self.rowPieces(runs, free: free) { partition, element, start, stride, count in
                        let row = UnsafeRawPointer(memory + address(buffer, partition: partition, element: element))
                        if dtype == buffer.dtype && stride == 1 {
                            (hbmBase + start * size).copyMemory(from: row, byteCount: count * size)
                            markBase.map { ($0 + start).update(repeating: true, count: count) }
                            return
                        }
                        var index = start
                        for offset in 0..<count {
                            let value = isF32 ? Float(bitPattern: row.loadUnaligned(fromByteOffset: 4 * offset, as: UInt32.self))
                                : Float(bitPattern: UInt32(row.loadUnaligned(fromByteOffset: 2 * offset, as: UInt16.self)) << 16)
                            let element = hbmBase + index * targetSize
                            switch dtype {
                            case .f32: element.storeBytes(of: value.bitPattern, as: UInt32.self)
                            case .bf16 where !value.isNaN: element.storeBytes(of: Self.bf16Bits(value), as: UInt16.self)
                            default:
                                let bits = dtype.bitPattern(of: dtype.convert(Double(value)))
                                for byte in 0..<targetSize { element.storeBytes(of: UInt8(truncatingIfNeeded: bits >> UInt64(8 * byte)), toByteOffset: byte, as: UInt8.self) }
                            }
                            markBase?[index] = true
                            index += stride
                        }
                    }
                }
            }
        }
        return firstUnwritten
    }
}

extension MachineMemory {
    /// `write(buffer, gather(runs, hbm[tensor].values))` for f32 / bf16 tiles, in one pass (buffer `index`'s flags
    /// are left alone once it is known written whole).
    mutating func load(tensor: Int, _ runs: [HBMRun], into index: Int, _ buffer: BufferEntry) {
        let marking = !wholeWritten[index]
        if buffer.space == .psum {
            psum.fill(buffer, runs, from: hbm[tensor], markingWritten: marking)
        } else {
            sbuf.fill(buffer, runs, from: hbm[tensor], markingWritten: marking)
        }
    }

    /// `hbm[tensor].scatter(runs, read(buffer).values)` for f32 / bf16 tiles, in one pass; returns the tile's
    /// first unwritten element as `read` does (not looked for once buffer `index` is known written whole).
    mutating func store(_ index: Int, _ buffer: BufferEntry, tensor: Int, _ runs: [HBMRun]) -> (Int, Int)? {
        let first = firstUnwritten(index, buffer)
        let store = buffer.space == .psum ? psum : sbuf
        _ = store.drain(buffer, runs, into: &hbm[tensor], checkingWritten: false)
        return first
    }
}
