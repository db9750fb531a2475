// RandomInputs.swift: the deterministic input generator behind `--random SEED`, identical in every backend.

import KilnMachine

/// Generates a kernel's inputs from a seed, so that `kiln run --random SEED` gives the same
/// inputs whatever the backend. Each parameter gets its own stream, derived from the seed and
/// the parameter's *name* (FNV-1a of its UTF-8 bytes), so adding or reordering parameters does
/// not change the others' values. The stream is SplitMix64.
///
/// Values, then converted to the element type:
/// - float types: uniform in [-1, 1) on a grid of 2^-23 (the top 24 bits of a draw), so the
///   value is exact in f32 before it is rounded to a narrower format;
/// - `i32`: uniform integers in [-8, 8];
/// - `bool`: true or false with equal probability;
/// - the block scales of an MX matmul (`mxScales`): powers of two, 2^-4 to 2^4 with equal probability.
public struct RandomInputs: Sendable {
    public let seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    /// The tensor for parameter `name` of the given type and shape (nil for an invalid shape).
    public func tensor(named name: String, dtype: ElementType, shape: [Int]) -> Tensor? {
        guard let count = Tensor.elementCount(of: shape) else { return nil }
        var stream = SplitMix64(state: seed ^ Self.fnv1a(name))
        var values = [Double]()
        values.reserveCapacity(count)
        for _ in 0..<count {
            let draw = stream.next()
            switch dtype {
            case .i32: values.append(Double(Int(draw % 17) - 8))
            case .bool: values.append(Double(draw >> 63))
            case .f32, .bf16, .f16, .f8e4m3, .f8e4m3fn, .f8e5m2, .f4e2m1fn:
                values.append(Double(draw >> 40) / Double(1 << 23) - 1)
            }
        }
        return Tensor(dtype: dtype, shape: shape, values: values)
    }

    /// The tensor for parameter `name` when a kernel reads it as MX block scales (`nc_matmul_mx`): powers of two
    /// 2^-4 ... 2^4, the scales of blocks whose largest magnitudes are about 1 (a [-1, 1) draw would make half of
    /// them negative, which E8M0 reads as NaN). The same stream as `tensor(named:dtype:shape:)`.
    public func mxScales(named name: String, dtype: ElementType, shape: [Int]) -> Tensor? {
        guard let count = Tensor.elementCount(of: shape) else { return nil }
        var stream = SplitMix64(state: seed ^ Self.fnv1a(name))
        let values = (0..<count).map { _ in FloatFormat.scale(1, by: Int(stream.next() % 9) - 4) }
        return Tensor(dtype: dtype, shape: shape, values: values)
    }

    /// 64-bit FNV-1a of the text's UTF-8 bytes (also the tuning cache's key hash).
    public static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a 64-bit state advanced by a Weyl increment and mixed.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
