// Tensor.swift: a dense row-major tensor of one element type, the value every executor exchanges.

import KilnMachine

/// A dense tensor in row-major (C) order. `values` are Doubles, which hold every value of every
/// element type exactly (f32, the narrow floats, i32, and bool as 0/1), and they are always
/// already converted to `dtype` (`ElementType.convert`): the initialiser rounds them.
/// Rank 0 (a scalar) has shape `[]` and one value.
public struct Tensor: Sendable, Equatable, CustomStringConvertible {
    public let dtype: ElementType
    public let shape: [Int]
    public private(set) var values: [Double]

    /// Makes a tensor, converting each value to `dtype`. Returns nil when the shape has a
    /// negative dim or its element count differs from `values.count`.
    public init?(dtype: ElementType, shape: [Int], values: [Double]) {
        guard let count = Tensor.elementCount(of: shape), count == values.count else { return nil }
        self.dtype = dtype
        self.shape = shape
        self.values = values.map(dtype.convert)
    }

    /// A tensor filled with one value (converted to `dtype`). Nil for an invalid shape.
    public init?(dtype: ElementType, shape: [Int], repeating value: Double) {
        guard let count = Tensor.elementCount(of: shape) else { return nil }
        self.dtype = dtype
        self.shape = shape
        self.values = Array(repeating: dtype.convert(value), count: count)
    }

    /// A scalar (rank 0).
    public init(scalar value: Double, dtype: ElementType) {
        self.dtype = dtype
        self.shape = []
        self.values = [dtype.convert(value)]
    }

    public var rank: Int { shape.count }
    public var count: Int { values.count }

    /// The product of the dims, or nil if a dim is negative or the product overflows Int.
    public static func elementCount(of shape: [Int]) -> Int? {
        var product = 1
        for dim in shape {
            guard dim >= 0 else { return nil }
            let (next, overflow) = product.multipliedReportingOverflow(by: dim)
            if overflow { return nil }
            product = next
        }
        return product
    }

    /// Makes a tensor from results computed in f64, storing each as the machine would
    /// (`ElementType.storeComputed`: to f32, then to `dtype`). Nil on a shape/count mismatch.
    public init?(dtype: ElementType, shape: [Int], computed: [Double]) {
        guard let count = Tensor.elementCount(of: shape), count == computed.count else { return nil }
        self.dtype = dtype
        self.shape = shape
        self.values = computed.map(dtype.storeComputed)
    }

    /// The same values converted to another element type (`ElementType.convert`).
    public func converted(to type: ElementType) -> Tensor {
        Tensor(uncheckedDtype: type, shape: shape, values: values.map(type.convert))
    }

    /// A tensor whose values are already of `dtype` (decoded from its bit patterns): no rounding pass.
    init(exactValues values: [Double], dtype: ElementType, shape: [Int]) {
        self.init(uncheckedDtype: dtype, shape: shape, values: values)
    }

    private init(uncheckedDtype: ElementType, shape: [Int], values: [Double]) {
        self.dtype = uncheckedDtype
        self.shape = shape
        self.values = values
    }

    /// Summary statistics over the values (NaNs are skipped for min/max/mean and counted).
    public var statistics: (min: Double, max: Double, mean: Double, nanCount: Int) {
        var low = Double.infinity, high = -Double.infinity, total = 0.0, nans = 0
        for value in values {
            if value.isNaN { nans += 1; continue }
            low = Swift.min(low, value)
            high = Swift.max(high, value)
            total += value
        }
        let finiteCount = values.count - nans
        return (low, high, finiteCount == 0 ? .nan : total / Double(finiteCount), nans)
    }

    /// `dtype[d0, d1]`, e.g. `bf16[256, 512]`.
    public var typeDescription: String {
        "\(dtype)[\(shape.map(String.init).joined(separator: ", "))]"
    }

    public var description: String { "\(typeDescription) \(values.prefix(8))" }

    /// Element-wise bit-for-bit equality (NaNs compare equal to NaNs, +0 differs from -0).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        guard lhs.dtype == rhs.dtype, lhs.shape == rhs.shape else { return false }
        for (left, right) in zip(lhs.values, rhs.values) where left.bitPattern != right.bitPattern {
            if !(left.isNaN && right.isNaN) { return false }
        }
        return true
    }
}
