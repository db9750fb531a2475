// ActivationExp.swift: the activation exp's eight-lane loop in the widest ISA the host supports.

#if arch(x86_64)
import KilnSimAVX2
import KilnSimAVX512
#endif
import KilnNumerics

/// `VectorExp.expToFloat` (KilnNumerics), run from the module compiled for the host's ISA, the one the matmul
/// kernel uses (`MatmulKernel.InstructionSet.host`): the same source, so the same results on every path.
enum ActivationExp {
    static func expToFloat(_ x: UnsafePointer<Double>, count: Int, into out: UnsafeMutablePointer<Float>,
                           using instructionSet: MatmulKernel.InstructionSet = .host) {
        switch instructionSet {
        case .portable: VectorExp.expToFloat(x, count: count, into: out)
        #if arch(x86_64)
        case .avx2: expAVX2(x, count: count, into: out)
        case .avx512: expAVX512(x, count: count, into: out)
        #endif
        }
    }
}
