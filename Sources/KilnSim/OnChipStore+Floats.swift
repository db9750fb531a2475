// OnChipStore+Floats.swift: f32 / bf16 tiles read and written as `Float` arrays (the tensor engine's hot path).

import Foundation
import KilnBytecode
import KilnMachine

extension OnChipStore {
    /// Whether `readFloats` / `writeFloats` handle the buffer's type (f32 and bf16: both exact in `Float`).
    static func holdsFloats(_ buffer: BufferEntry) -> Bool { buffer.dtype == .f32 || buffer.dtype == .bf16 }

    /// The values `readFast` gives, as `Float` (each is an f32 or bf16 value, so `Float(readFast(...))` is
    /// exactly this), without the `Double` round trip.
    func readFloats(_ buffer: BufferEntry) -> (values: [Float], firstUnwritten: (Int, Int)?) {
        var firstUnwritten: (Int, Int)?
        let values = [Float](unsafeUninitializedCapacity: buffer.partitions * buffer.freeElements) { out, count in
            if let target = out.baseAddress { firstUnwritten = readFloats(buffer, into: target) }
            count = buffer.partitions * buffer.freeElements
        }
        return (values, firstUnwritten)
    }

    /// `readFloats` into `target` (room for `partitions * freeElements` values, partition-major); returns the first
    /// (partition, element) with a byte never written (nil without looking when not `checkingWritten`).
    func readFloats(_ buffer: BufferEntry, into target: UnsafeMutablePointer<Float>,
                    checkingWritten: Bool = true) -> (Int, Int)? {
        let isF32 = buffer.dtype == .f32
        let (partitions, free) = (buffer.partitions, buffer.freeElements)
        bytes.withUnsafeBufferPointer { raw in
            guard let memory = raw.baseAddress else { return }
            for partition in 0..<partitions {
                let row = target + partition * free
                let base = UnsafeRawPointer(memory + address(buffer, partition: partition, element: 0))
                if isF32 {
                    UnsafeMutableRawPointer(row).copyMemory(from: base, byteCount: 4 * free)
                } else {
                    for element in 0..<free {
                        let half = base.loadUnaligned(fromByteOffset: 2 * element, as: UInt16.self)
                        row[element] = Float(bitPattern: UInt32(half) << 16)
                    }
                }
            }
        }
        return checkingWritten ? firstUnwritten(buffer) : nil
    }

    /// Stores `Float` results as `writeFast` stores them (`Float(Double(x)) == x`): f32 bits as they are, bf16
    /// rounded to nearest even (`bf16Bits`); missing values are 0.
    mutating func writeFloats(_ buffer: BufferEntry, _ values: [Float]) {
        let count = buffer.partitions * buffer.freeElements
        if values.count >= count {
            values.withUnsafeBufferPointer { source in source.baseAddress.map { writeFloats(buffer, from: $0) } }
        } else {
            writeFloats(buffer, from: values + Array(repeating: 0, count: count - values.count))
        }
    }

    /// `writeFloats` from `source` (`partitions * freeElements` values, partition-major); the written flags are
    /// set unless not `markingWritten` (they are known to be set already).
    mutating func writeFloats(_ buffer: BufferEntry, from source: UnsafePointer<Float>, markingWritten: Bool = true) {
        let isF32 = buffer.dtype == .f32
        let size = isF32 ? 4 : 2
        let (partitions, free) = (buffer.partitions, buffer.freeElements)
        let bytesPerPartition = self.bytesPerPartition
        bytes.withUnsafeMutableBufferPointer { raw in
            written.withUnsafeMutableBufferPointer { flags in
                guard let memory = raw.baseAddress, let flagBase = flags.baseAddress else { return }
                for partition in 0..<partitions {
                    let start = (buffer.partitionStart + partition) * bytesPerPartition + buffer.offset
                    let row = source + partition * free
                    let base = UnsafeMutableRawPointer(memory + start)
                    if isF32 {
                        base.copyMemory(from: row, byteCount: 4 * free)
                    } else {
                        for element in 0..<free {
                            base.storeBytes(of: Self.bf16Bits(row[element]), toByteOffset: 2 * element, as: UInt16.self)
                        }
                    }
                    if markingWritten { (flagBase + start).update(repeating: true, count: free * size) }
                }
            }
        }
    }
}

extension OnChipStore {
    /// The first (partition, element) of the buffer with a byte never written.
    func firstUnwritten(_ buffer: BufferEntry) -> (Int, Int)? {
        let size = buffer.dtype.byteSize
        return written.withUnsafeBufferPointer { flags in
            for partition in 0..<buffer.partitions {
                let start = address(buffer, partition: partition, element: 0)
                if let unwritten = Self.firstFalse(flags, from: start, count: buffer.freeElements * size) {
                    return (partition, (unwritten - start) / size)
                }
            }
            return nil
        }
    }

    /// Whether `withFloatRows` can run on the buffer: f32 rows starting at 4-byte aligned addresses.
    func holdsAlignedFloatRows(_ buffer: BufferEntry) -> Bool {
        buffer.dtype == .f32 && buffer.offset % 4 == 0 && bytesPerPartition % 4 == 0 && buffer.partitions > 0
    }

    /// Runs `body(firstRow, rowStride)` on an f32 tile's elements where they are stored (rows `rowStride` floats
    /// apart) and marks the tile written when `markingWritten`; nil, running nothing, unless `holdsAlignedFloatRows`.
    mutating func withFloatRows<Result>(_ buffer: BufferEntry, markingWritten: Bool,
                                        _ body: (UnsafeMutablePointer<Float>, Int) -> Result) -> Result? {
        guard holdsAlignedFloatRows(buffer) else { return nil }
        let (first, rowBytes, pitch) = (address(buffer, partition: 0, element: 0), 4 * buffer.freeElements, bytesPerPartition)
        if markingWritten {
            written.withUnsafeMutableBufferPointer { flags in
                guard let base = flags.baseAddress else { return }
                for partition in 0..<buffer.partitions { (base + first + partition * pitch).update(repeating: true, count: rowBytes) }
            }
        }
        return bytes.withUnsafeMutableBufferPointer { raw in
            raw.baseAddress.map { body(UnsafeMutableRawPointer($0 + first).assumingMemoryBound(to: Float.self), pitch / 4) }
        }
    }

    /// The index of the first false flag in `flags[from..<from + count]` (a `Bool` false is a zero byte, so
    /// `memchr` scans the range a word at a time).
    static func firstFalse(_ flags: UnsafeBufferPointer<Bool>, from: Int, count: Int) -> Int? {
        guard count > 0, let base = flags.baseAddress, from >= 0, from + count <= flags.count else { return nil }
        let start = UnsafeRawPointer(base + from)
        guard let found = memchr(start, 0, count) else { return nil }
        return from + (UnsafeRawPointer(found) - start)
    }
}

extension MachineMemory {
    func readFloats(_ buffer: BufferEntry) -> (values: [Float], firstUnwritten: (Int, Int)?) {
        buffer.space == .psum ? psum.readFloats(buffer) : sbuf.readFloats(buffer)
    }

    mutating func writeFloats(_ buffer: BufferEntry, _ values: [Float]) {
        if buffer.space == .psum { psum.writeFloats(buffer, values) } else { sbuf.writeFloats(buffer, values) }
    }

    /// Buffer `index`'s values into `target`, with its first never-written element (not looked for once the
    /// buffer is known to be written whole: see `wholeWritten`).
    mutating func readFloats(_ index: Int, _ buffer: BufferEntry, into target: UnsafeMutablePointer<Float>) -> (Int, Int)? {
        let first = firstUnwritten(index, buffer)
        if buffer.space == .psum {
            _ = psum.readFloats(buffer, into: target, checkingWritten: false)
        } else {
            _ = sbuf.readFloats(buffer, into: target, checkingWritten: false)
        }
        return first
    }

    /// Buffer `index`'s first never-written element (not looked for once it is known written whole).
    mutating func firstUnwritten(_ index: Int, _ buffer: BufferEntry) -> (Int, Int)? {
        guard !wholeWritten[index] else { return nil }
        let first = buffer.space == .psum ? psum.firstUnwritten(buffer) : sbuf.firstUnwritten(buffer)
        if first == nil { wholeWritten[index] = true }
        return first
    }

    func holdsAlignedFloatRows(_ buffer: BufferEntry) -> Bool {
        buffer.space == .psum ? psum.holdsAlignedFloatRows(buffer) : sbuf.holdsAlignedFloatRows(buffer)
    }

    /// `OnChipStore.withFloatRows` on buffer `index`, which is then known written whole.
    mutating func withFloatRows<Result>(_ index: Int, _ buffer: BufferEntry,
                                        _ body: (UnsafeMutablePointer<Float>, Int) -> Result) -> Result? {
        let marking = !wholeWritten[index]
        let result = buffer.space == .psum ? psum.withFloatRows(buffer, markingWritten: marking, body)
            : sbuf.withFloatRows(buffer, markingWritten: marking, body)
        if result != nil { wholeWritten[index] = true }
        return result
    }

    /// Writes buffer `index` whole from `source`; its written flags are set only the first time.
    mutating func writeFloats(_ index: Int, _ buffer: BufferEntry, from source: UnsafePointer<Float>) {
        let marking = !wholeWritten[index]
        if buffer.space == .psum {
            psum.writeFloats(buffer, from: source, markingWritten: marking)
        } else {
            sbuf.writeFloats(buffer, from: source, markingWritten: marking)
        }
        wholeWritten[index] = true
    }
}
