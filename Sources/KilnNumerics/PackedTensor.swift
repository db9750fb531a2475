// PackedTensor.swift: a tensor as its stored bit patterns (the simulator's HBM and a .npy file's data, byte for byte).

import KilnMachine

/// A dense row-major tensor held as the little-endian bit patterns of its element type, `dtype.byteSize`
/// bytes per element: exactly the bytes of the .npy file Kiln writes for it (`NpyArray.encoding(for:)`)
/// and of the simulator's HBM. Moving a large f32 or bf16 tensor between a file and the simulator in this
/// form costs a copy, where `Tensor` (one `Double` per element) costs a decode, a rounding and 2-8x the
/// memory. `Tensor` stays the form every executor compares and computes with; `init(_:)` and `tensor`
/// convert between the two exactly (NaN payloads aside: `Tensor` holds one NaN).
public struct PackedTensor: Sendable, Equatable {
    public let dtype: ElementType
    public let shape: [Int]
    /// `count * dtype.byteSize` bytes, C order.
    public private(set) var bytes: [UInt8]

    /// Nil when the shape is invalid or `bytes` is not `count * dtype.byteSize` long. Bool bytes are kept as
    /// given; the simulator reads any nonzero byte as true, as `ElementType.value(fromBits:)` does.
    public init?(dtype: ElementType, shape: [Int], bytes: [UInt8]) {
        guard let count = Tensor.elementCount(of: shape) else { return nil }
        let (size, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, size == bytes.count else { return nil }
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    public var count: Int { bytes.count / dtype.byteSize }

    /// The stored bit patterns of `tensor`'s values.
    public init(_ tensor: Tensor) {
        dtype = tensor.dtype
        shape = tensor.shape
        let (type, size) = (tensor.dtype, tensor.dtype.byteSize)
        bytes = [UInt8](unsafeUninitializedCapacity: tensor.count * size) { out, initialized in
            guard let base = out.baseAddress.map(UnsafeMutableRawPointer.init) else { return initialized = 0 }
            tensor.values.withUnsafeBufferPointer { values in
                switch type {
                case .f32:
                    for (index, value) in values.enumerated() { base.storeBytes(of: Float(value).bitPattern, toByteOffset: 4 * index, as: UInt32.self) }
                case .bf16:
                    // A bf16 value is an f32 whose low 16 bits are zero: its pattern is the f32's top half.
                    for (index, value) in values.enumerated() {
                        let bits = value.isNaN ? type.bitPattern(of: value) : UInt64(Float(value).bitPattern >> 16)
                        base.storeBytes(of: UInt16(truncatingIfNeeded: bits), toByteOffset: 2 * index, as: UInt16.self)
                    }
                default:
                    for (index, value) in values.enumerated() {
                        let bits = type.bitPattern(of: value)
                        for byte in 0..<size { base.storeBytes(of: UInt8(truncatingIfNeeded: bits >> UInt64(8 * byte)), toByteOffset: size * index + byte, as: UInt8.self) }
                    }
                }
            }
            initialized = tensor.count * size
        }
    }

    /// The values, decoded (`ElementType.value(fromBits:)`; f32 and bf16 by widening, the same values).
    public var tensor: Tensor {
        let (type, size, count) = (dtype, dtype.byteSize, count)
        let values = [Double](unsafeUninitializedCapacity: count) { out, initialized in
            bytes.withUnsafeBytes { raw in
                switch type {
                case .f32:
                    for index in 0..<count { out[index] = Double(Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))) }
                case .bf16:
                    for index in 0..<count {
                        out[index] = Double(Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)) << 16))
                    }
                default:
                    for index in 0..<count {
                        var bits: UInt64 = 0
                        for byte in 0..<size { bits |= UInt64(raw[size * index + byte]) << UInt64(8 * byte) }
                        out[index] = type.value(fromBits: bits)
                    }
                }
            }
            initialized = count
        }
        return Tensor(exactValues: values, dtype: dtype, shape: shape)
    }
}
