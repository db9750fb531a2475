// Memory.swift: the simulated memories: SBUF, PSUM and HBM tensors as stored bytes with written flags.

import KilnBytecode
import KilnMachine
import KilnNumerics

/// One on-chip memory (SBUF or PSUM) as raw bytes, `partitions x bytesPerPartition`, plus one "written"
/// flag per byte for the uninitialised-read check. Only the bytes the memory plan uses are allocated.
struct OnChipStore {
    let bytesPerPartition: Int
    var bytes: ZeroedPages<UInt8>
    var written: ZeroedPages<Bool>

    init(partitions: Int, bytesPerPartition: Int) {
        self.bytesPerPartition = bytesPerPartition
        bytes = ZeroedPages(count: partitions * bytesPerPartition)
        written = ZeroedPages(count: partitions * bytesPerPartition)
    }

    /// Back to the state of a new store (all bytes zero, none written), keeping its memory.
    mutating func clear() {
        bytes.zero()
        written.zero()
    }

    func address(_ buffer: BufferEntry, partition: Int, element: Int) -> Int {
        (buffer.partitionStart + partition) * bytesPerPartition + buffer.offset + element * buffer.dtype.byteSize
    }

    /// The buffer's values, partition-major (`values[p * freeElements + f]`), decoded from its element type;
    /// `firstUnwritten` is the first (partition, element) any of whose bytes was never written.
    func read(_ buffer: BufferEntry) -> (values: [Double], firstUnwritten: (Int, Int)?) {
        if buffer.dtype == .f32 || buffer.dtype == .bf16 { return readFast(buffer) }
        let size = buffer.dtype.byteSize
        var values = [Double]()
        values.reserveCapacity(buffer.partitions * buffer.freeElements)
        var firstUnwritten: (Int, Int)?
        for partition in 0..<buffer.partitions {
            var address = address(buffer, partition: partition, element: 0)
            for element in 0..<buffer.freeElements {
                var bits: UInt64 = 0
                for byte in 0..<size {
                    bits |= UInt64(bytes[address + byte]) << (8 * UInt64(byte))
                    if firstUnwritten == nil && !written[address + byte] { firstUnwritten = (partition, element) }
                }
                values.append(buffer.dtype.value(fromBits: bits))
                address += size
            }
        }
        return (values, firstUnwritten)
    }

    /// Stores computed values (rounded as the engines do: to f32, then to the buffer's type).
    mutating func write(_ buffer: BufferEntry, _ values: [Double]) {
        if buffer.dtype == .f32 || buffer.dtype == .bf16 {
            writeFast(buffer, values)
            return
        }
        let size = buffer.dtype.byteSize
        var index = 0
        for partition in 0..<buffer.partitions {
            var address = address(buffer, partition: partition, element: 0)
            for _ in 0..<buffer.freeElements {
                let stored = buffer.dtype.storeComputed(index < values.count ? values[index] : 0)
                let bits = buffer.dtype.bitPattern(of: stored)
                for byte in 0..<size {
                    bytes[address + byte] = UInt8(truncatingIfNeeded: bits >> (8 * UInt64(byte)))
                    written[address + byte] = true
                }
                address += size
                index += 1
            }
        }
    }
}

extension OnChipStore {
    /// `read` for f32 and bf16, the simulator's hot path: the same values (a bf16 is the top half of an f32,
    /// so its decoding is a shift), without the generic per-byte and per-format loops.
    func readFast(_ buffer: BufferEntry) -> (values: [Double], firstUnwritten: (Int, Int)?) {
        let isF32 = buffer.dtype == .f32
        let (partitions, free) = (buffer.partitions, buffer.freeElements)
        let values = [Double](unsafeUninitializedCapacity: partitions * free) { out, count in
            count = 0
            bytes.withUnsafeBufferPointer { raw in
                guard let memory = raw.baseAddress else { return }
                for partition in 0..<partitions {
                    let row = partition * free
                    let base = UnsafeRawPointer(memory + address(buffer, partition: partition, element: 0))
                    if isF32 {
                        for element in 0..<free {
                            out[row + element] = Double(Float(bitPattern: base.loadUnaligned(fromByteOffset: 4 * element, as: UInt32.self)))
                        }
                    } else {
                        for element in 0..<free {
                            let half = base.loadUnaligned(fromByteOffset: 2 * element, as: UInt16.self)
                            out[row + element] = Double(Float(bitPattern: UInt32(half) << 16))
                        }
                    }
                }
                count = partitions * free
            }
        }
        return (values, firstUnwritten(buffer))
    }

    /// `write` for f32 and bf16: each value rounded to f32, then (bf16) to nearest even in the top 16 bits,
    /// NaN to the quiet NaN with its sign, exactly as `ElementType.storeComputed` and `bitPattern(of:)` do.
    mutating func writeFast(_ buffer: BufferEntry, _ values: [Double]) {
        // Rounding each value to f32 first is exactly what `writeFloats` expects of its input.
        writeFloats(buffer, values.map { Float($0) })
    }

    /// An f32 rounded to bf16 bits, nearest even; NaN becomes the quiet NaN with its sign.
    static func bf16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) & 0x8000 | 0x7FC0 }
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }
}

/// An HBM tensor: its elements as stored bit patterns (`PackedTensor` layout, little-endian, `dtype.byteSize`
/// bytes each) and which elements were ever written.
struct HBMTensor {
    let entry: TensorEntry
    var bytes: [UInt8]
    /// One flag per element: was it ever written. Empty when `startsWritten`.
    var written: [Bool]
    /// An input: every element holds a value before the kernel runs, so none needs a flag.
    let startsWritten: Bool
    /// Row-major strides, in elements.
    let strides: [Int]

    /// `bytes`: the input's stored patterns; nil for an output (NaN for floats) or scratch tensor (zeros), never
    /// written.
    init(entry: TensorEntry, bytes: [UInt8]?) {
        self.entry = entry
        let count = entry.elementCount
        startsWritten = bytes != nil
        if let bytes {
            self.bytes = bytes
        } else if entry.role == .output, entry.dtype.isFloat {
            // Result elements no `store` writes read as NaN, as on the reference (Docs/numerics.md).
            self.bytes = HBMTensor.filled(count: count, with: entry.dtype.bitPattern(of: .nan), size: entry.dtype.byteSize)
        } else {
            self.bytes = HugePageArray.zeroed(count: count * entry.dtype.byteSize)
        }
        written = startsWritten ? [] : HugePageArray.zeroed(count: count)
        var strides = Array(repeating: 1, count: entry.shape.count)
        for dim in stride(from: entry.shape.count - 2, through: 0, by: -1) {
            strides[dim] = strides[dim + 1] * entry.shape[dim + 1]
        }
        self.strides = strides
    }

    /// `count` elements of `size` bytes, each holding the low `size` bytes of `bits` (little-endian), written a
    /// whole element at a time.
    static func filled(count: Int, with bits: UInt64, size: Int) -> [UInt8] {
        HugePageArray.make(count: count * size) { (buffer: UnsafeMutableBufferPointer<UInt8>) in
            guard let base = buffer.baseAddress.map(UnsafeMutableRawPointer.init) else { return }
            switch size {
            case 4: base.initializeMemory(as: UInt32.self, repeating: UInt32(truncatingIfNeeded: bits), count: count)
            case 2: base.initializeMemory(as: UInt16.self, repeating: UInt16(truncatingIfNeeded: bits), count: count)
            case 8: base.initializeMemory(as: UInt64.self, repeating: bits, count: count)
            default:
                for index in 0..<count * size {
                    base.storeBytes(of: UInt8(truncatingIfNeeded: bits >> UInt64(8 * (index % size))), toByteOffset: index, as: UInt8.self)
                }
            }
        }
    }

    /// The value of element `index` (of the tensor's type).
    func value(at index: Int) -> Double {
        let size = entry.dtype.byteSize
        var bits: UInt64 = 0
        for byte in 0..<size { bits |= UInt64(bytes[index * size + byte]) << UInt64(8 * byte) }
        return entry.dtype.value(fromBits: bits)
    }

    /// Stores `value` converted to the tensor's type at element `index`, marking it written.
    mutating func store(_ value: Double, at index: Int) {
        let size = entry.dtype.byteSize
        let bits = entry.dtype.bitPattern(of: entry.dtype.convert(value))
        for byte in 0..<size { bytes[index * size + byte] = UInt8(truncatingIfNeeded: bits >> UInt64(8 * byte)) }
        if !startsWritten { written[index] = true }
    }

    /// The first HBM index of the runs (in tile order) never written.
    func firstUnwritten(in runs: [HBMRun]) -> Int? {
        startsWritten ? nil : HBMRun.firstUnwritten(runs, written)
    }

    /// How many elements were never written.
    var unwrittenCount: Int {
        if startsWritten { return 0 }
        return written.withUnsafeBufferPointer { flags in
            OnChipStore.firstFalse(flags, from: 0, count: flags.count) == nil ? 0 : flags.reduce(0) { $1 ? $0 : $0 + 1 }
        }
    }
}

/// The memories of one simulation.
struct MachineMemory {
    var sbuf: OnChipStore
    var psum: OnChipStore
    var hbm: [HBMTensor]
    /// Per buffer of the program: every byte of it is known to have been written. Written flags are never
    /// cleared, so once a whole-buffer write or a read that found no unwritten byte has set this, later reads of
    /// the buffer skip the flag scan and later writes skip setting its flags (a tensor engine's PSUM accumulator
    /// is read and written 2 x 256 KiB per instruction; its flags were scanned and set each time).
    var wholeWritten: [Bool]

    /// Allocates, per on-chip memory, the partitions and bytes the memory plan reaches; or clears and reuses the
    /// stores of an earlier run of the same program (`recycled`), which spares mapping and faulting in fresh pages.
    init(program: BytecodeProgram, target: MachineTarget, inputs: [Int: [UInt8]], recycled: OnChipStores? = nil) {
        func store(_ space: MemorySpace) -> OnChipStore {
            let used = program.buffers.filter { $0.space == space }
            return OnChipStore(partitions: used.map { $0.partitionStart + $0.partitions }.max() ?? 0,
                               bytesPerPartition: used.map { $0.offset + $0.bytesPerPartition }.max() ?? 0)
        }
        if var recycled {
            recycled.sbuf.clear()
            recycled.psum.clear()
            (sbuf, psum) = (recycled.sbuf, recycled.psum)
        } else {
            sbuf = store(.sbuf)
            psum = store(.psum)
        }
        hbm = program.tensors.enumerated().map { HBMTensor(entry: $0.element, bytes: inputs[$0.offset]) }
        wholeWritten = Array(repeating: false, count: program.buffers.count)
    }

    func read(_ buffer: BufferEntry) -> (values: [Double], firstUnwritten: (Int, Int)?) {
        buffer.space == .psum ? psum.read(buffer) : sbuf.read(buffer)
    }

    mutating func write(_ buffer: BufferEntry, _ values: [Double]) {
        if buffer.space == .psum { psum.write(buffer, values) } else { sbuf.write(buffer, values) }
    }
}

/// The two on-chip memories of a finished run, kept to be cleared and reused by the next run of the program.
struct OnChipStores {
    var sbuf: OnChipStore
    var psum: OnChipStore
}
