// NpyArray.swift: an array read from a .npy file, its element encodings, and the errors reading or writing one.

/// How the elements of a .npy file are encoded (its `descr`), for the dtypes Kiln reads.
public enum NpyElementEncoding: Sendable, Hashable, CustomStringConvertible {
    /// IEEE floats: `<f2`, `<f4`, `<f8`.
    case float16, float32, float64
    /// Two's complement little-endian integers: `<i4`, `<i8`.
    case int32, int64
    /// `|b1`: one byte, nonzero is true.
    case bool
    /// 16-bit patterns of a 2-byte float, read as the parameter's type (bf16 or f16): `<u2`, and
    /// `<V2`, which is what `np.save` writes for an ml_dtypes `bfloat16` array.
    case bits16
    /// 8-bit patterns of an fp8 value, read as the parameter's fp8 type: `|u1`, and `<V1` / `<f1`,
    /// which is what `np.save` writes for ml_dtypes `float8_e4m3` / `float8_e5m2` arrays.
    case bits8

    public var byteSize: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .float16, .bits16: 2
        case .bool, .bits8: 1
        }
    }

    /// The descr Kiln writes for this encoding.
    public var descr: String {
        switch self {
        case .float16: "<f2"
        case .float32: "<f4"
        case .float64: "<f8"
        case .int32: "<i4"
        case .int64: "<i8"
        case .bool: "|b1"
        case .bits16: "<u2"
        case .bits8: "|u1"
        }
    }

    public var description: String { descr }

    /// Parses a little-endian or byte-order-free descr; `=` (native) is read as little-endian,
    /// since Kiln runs on little-endian hosts. Nil for descrs Kiln does not read.
    public init?(descr: String) {
        guard let first = descr.first, "<|=".contains(first) else { return nil }
        switch descr.dropFirst() {
        case "f2": self = .float16
        case "f4": self = .float32
        case "f8": self = .float64
        case "i4": self = .int32
        case "i8": self = .int64
        case "b1": self = .bool
        case "u2", "V2": self = .bits16
        case "u1", "V1", "f1": self = .bits8
        default: return nil
        }
    }
}

/// The contents of a .npy file: its shape, its element encoding and its elements in C (row-major)
/// order as raw little-endian bytes.
public struct NpyArray: Sendable, Equatable {
    public var shape: [Int]
    public var encoding: NpyElementEncoding
    /// `count * encoding.byteSize` bytes, C order.
    public var data: [UInt8]

    public init(shape: [Int], encoding: NpyElementEncoding, data: [UInt8]) {
        self.shape = shape
        self.encoding = encoding
        self.data = data
    }

    public var count: Int { shape.reduce(1, *) }

    /// The raw little-endian element at `index` (zero-extended to 64 bits).
    public func rawElement(_ index: Int) -> UInt64 {
        let size = encoding.byteSize
        var bits: UInt64 = 0
        for byte in 0..<size { bits |= UInt64(data[index * size + byte]) << UInt64(8 * byte) }
        return bits
    }
}

/// A problem reading or writing a .npy file: the file's path and what is wrong with it.
public struct NpyError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
