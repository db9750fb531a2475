// VectorExpAVX2.swift: KilnNumerics' eight-lane exp compiled for this module's ISA (the simulator's activation exp).

#if arch(x86_64)
import KilnNumerics

/// `VectorExp.expToFloat`, the same source (inlinable, always inlined) compiled for this module's x86-64 level,
/// so its `SIMD8<Double>` arithmetic uses the wide registers. Same operations in the same order, no FMA
/// contraction (Swift never contracts): results bit-identical to the portable copy. Only call it when the CPU
/// supports this module's level.
public enum VectorExpAVX2 {
    @inline(never)
    public static func expToFloat(_ x: UnsafePointer<Double>, count: Int, into out: UnsafeMutablePointer<Float>) {
        VectorExp.expToFloat(x, count: count, into: out)
    }
}
#endif
