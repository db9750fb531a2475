// ElementType.swift: the element types the machine stores and computes with, and its memory spaces.

/// An element type as the machine stores it; Kiln's source dtypes are this type
/// (`KilnSema.DType` is an alias of it).
public enum ElementType: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    case f32, bf16, f16, f8e4m3, f8e4m3fn, f8e5m2, f4e2m1fn, i32, bool

    /// Storage size of one element in bytes. `f4e2m1fn` takes a byte per element (its code in the low four bits),
    /// as ml_dtypes' `float4_e2m1fn` does; the machine's two-per-byte packing is not modelled.
    public var byteSize: Int {
        switch self {
        case .f32, .i32: 4
        case .bf16, .f16: 2
        case .f8e4m3, .f8e4m3fn, .f8e5m2, .f4e2m1fn, .bool: 1
        }
    }

    public var isFloat: Bool {
        switch self {
        case .f32, .bf16, .f16, .f8e4m3, .f8e4m3fn, .f8e5m2, .f4e2m1fn: true
        case .i32, .bool: false
        }
    }

    /// The 8-bit float formats (the trn2 and trn3 tensor engines run them at twice the bf16 rate): `f8e4m3`
    /// (IEEE-style, largest finite 240), `f8e4m3fn` (no infinities, largest finite 448) and `f8e5m2`.
    public var isFP8: Bool { byteSize == 1 && isFloat && self != .f4e2m1fn }

    /// The 4-bit float of the OCP MX formats (MXFP4): `f4e2m1fn`, two exponent bits (bias 1), one mantissa bit,
    /// finite only (largest 6, no infinity, no NaN; as ml_dtypes' `float4_e2m1fn`). The tensor engine has no plain
    /// fp4 matmul; it multiplies fp4 only block-scaled, in its MX mode (Docs/numerics.md).
    public var isFP4: Bool { self == .f4e2m1fn }

    /// The element types of the OCP MX formats: `f8e4m3fn` and `f8e5m2` (MXFP8), `f4e2m1fn` (MXFP4); each block of
    /// `mxBlockSize` elements along the contraction shares one E8M0 scale (KilnNumerics' MXQuantization).
    public var isMXElement: Bool { self == .f8e4m3fn || self == .f8e5m2 || self == .f4e2m1fn }
    /// Elements per MX block (OCP MX v1.0: 32).
    public static let mxBlockSize = 32

    public var description: String { rawValue }

    /// "f32, bf16, f16, f8e4m3, f8e4m3fn, f8e5m2, f4e2m1fn, i32, bool", for messages.
    public static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// The machine's memories: off-chip HBM, the on-chip state buffer (SBUF) and the matmul
/// accumulation buffer (PSUM).
public enum MemorySpace: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    case hbm, sbuf, psum
    public var description: String { rawValue }
}

/// The engines of one NeuronCore, named as the tile IR names them (`pe.matmul`, `act.activate`, ...).
/// Each has its own in-order instruction queue.
public enum Engine: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    /// Tensor engine: the 128x128 systolic array (matmul, transpose).
    case pe
    /// Scalar engine: activation functions, func(in * scale + bias).
    case act
    /// Vector engine: tensor-tensor, tensor-scalar, reductions, copies.
    case dve
    /// GpSimd engine: eight general-purpose SIMD cores (iota, select).
    case pool
    /// The DMA engines and their queues (HBM <-> SBUF transfers).
    case dma

    public var description: String { rawValue }
}

/// How an engine touches a memory.
public enum MemoryAccess: String, Sendable, Hashable, CustomStringConvertible {
    case read, write
    public var description: String { rawValue }
}
