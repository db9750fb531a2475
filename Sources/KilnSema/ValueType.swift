// ValueType.swift: dims (constant or symbolic) and the type of a Kiln value: dtype, shape and memory space.

/// One dimension of a shape: a positive constant (`128`), a symbolic dim (`N`) or an affine
/// combination of dims (`N + 1`, `2*D`). Dims never mention loop variables.
public struct Dim: Hashable, Sendable, CustomStringConvertible {
    public var affine: AffineExpr

    public init(_ affine: AffineExpr) { self.affine = affine }
    public static func constant(_ value: Int) -> Dim { Dim(AffineExpr(constant: value)) }
    public static func symbol(_ name: String) -> Dim { Dim(AffineExpr(.dim(name))) }

    /// The size, when it is a constant.
    public var constantValue: Int? { affine.constantValue }
    /// The dim name, when the dim is exactly one symbolic dim.
    public var symbolName: String? { affine.singleVariable?.name }
    /// The dim names it mentions.
    public var dimNames: [String] { affine.variables.map(\.name) }
    public var isOne: Bool { constantValue == 1 }

    /// The size once every symbolic dim has a value; nil if a name is missing or on overflow.
    public func evaluate(_ sizes: [String: Int]) -> Int? {
        var values: [AffineVar: Int] = [:]
        for name in dimNames {
            guard let size = sizes[name] else { return nil }
            values[.dim(name)] = size
        }
        return affine.evaluate(values)
    }

    public var description: String { affine.description }
}

/// The rank limits of the language, in one place: raising a limit is a one-line change here.
public enum RankLimit {
    /// Whole tensors (hbm parameters and computed values) have rank 1 to `tensor`.
    public static let tensor = 4
    /// Tiles (sbuf, psum) have rank 1 to `tile`: a partition dim and up to three free dims, laid out contiguously
    /// (row-major) in each partition, as NKI's `(par_dim(128), n_tiles, d_head)` tiles.
    public static let tile = tensor
}

/// The type of a value: element dtype, shape (empty = scalar) and memory space.
public struct ValueType: Hashable, Sendable, CustomStringConvertible {
    public var dtype: DType
    public var shape: [Dim]
    public var space: MemorySpace

    public init(_ dtype: DType, _ shape: [Dim] = [], space: MemorySpace = .value) {
        self.dtype = dtype
        self.shape = shape
        self.space = space
    }

    public static func scalar(_ dtype: DType) -> ValueType { ValueType(dtype) }

    public var rank: Int { shape.count }
    public var isScalar: Bool { shape.isEmpty }
    /// An sbuf or psum tile.
    public var isTile: Bool { space.isTile && !shape.isEmpty }
    /// A whole tensor (hbm or unplaced), not a scalar.
    public var isWholeTensor: Bool { !space.isTile && !shape.isEmpty }

    public func with(dtype: DType) -> ValueType { ValueType(dtype, shape, space: space) }
    public func with(shape: [Dim]) -> ValueType { ValueType(dtype, shape, space: space) }
    public func with(space: MemorySpace) -> ValueType { ValueType(dtype, shape, space: space) }

    /// `[N, 1]`, or `[]` for a scalar.
    public var shapeDescription: String { "[" + shape.map(\.description).joined(separator: ", ") + "]" }

    /// `f32[N, 1]`, `sbuf bf16[128, 512]`, `hbm f32[N, D]`, `i32` for a scalar.
    public var description: String {
        let prefix = space == .value ? "" : space.rawValue + " "
        return prefix + dtype.rawValue + (shape.isEmpty ? "" : shapeDescription)
    }
}

/// A compile-time scalar: a parameter's default value.
public enum ScalarValue: Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case float(Double)
    case bool(Bool)

    public var description: String {
        switch self {
        case .int(let v): String(v)
        case .float(let v): String(v)
        case .bool(let v): String(v)
        }
    }
}
