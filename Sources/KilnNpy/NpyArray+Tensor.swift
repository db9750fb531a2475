// NpyArray+Tensor.swift: the .npy encoding Kiln writes for each element type, from a Tensor or its stored bytes.

import KilnMachine
import KilnNumerics

extension NpyArray {
    /// The encoding Kiln writes for a tensor of `type`: `<f4` f32, `<f2` f16, `<i4` i32, `|b1` bool;
    /// bf16 as its 16-bit patterns in `<u2` and the fp8 types as their 8-bit patterns in `|u1`
    /// (numpy has no such dtypes; `np.load(f).view(ml_dtypes.bfloat16)` reads them back).
    public static func encoding(for type: ElementType) -> NpyElementEncoding {
        switch type {
        case .f32: .float32
        case .f16: .float16
        case .bf16: .bits16
        case .f8e4m3, .f8e4m3fn, .f8e5m2, .f4e2m1fn: .bits8
        case .i32: .int32
        case .bool: .bool
        }
    }

    /// The array holding `tensor`'s stored bit patterns, in C order.
    public init(_ tensor: Tensor) {
        self.init(PackedTensor(tensor))
    }

    /// The array holding these stored bit patterns: `encoding(for:)` is the element type's own layout, so the
    /// bytes are the data as they are.
    public init(_ packed: PackedTensor) {
        self.init(shape: packed.shape, encoding: Self.encoding(for: packed.dtype), data: packed.bytes)
    }
}
