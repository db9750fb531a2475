// Types.swift: tile IR types: scalars, indices, value tensors, HBM tensors and SBUF/PSUM tiles.

import KilnMachine

/// A tensor's element type and concrete shape (symbolic dims are bound before lowering).
public struct TensorType: Hashable, Sendable {
    public var element: ElementType
    public var shape: [Int]

    public init(_ element: ElementType, _ shape: [Int]) {
        self.element = element
        self.shape = shape
    }

    public var rank: Int { shape.count }
    public var elementCount: Int { shape.reduce(1, *) }
}

/// An on-chip tile: `partitions` rows on the partition axis (at most 128) and free dims within each partition.
public struct TileType: Hashable, Sendable {
    /// `sbuf` or `psum` (the verifier rejects `hbm`).
    public var space: MemorySpace
    public var element: ElementType
    public var partitions: Int
    public var freeDims: [Int]

    public init(_ space: MemorySpace, _ element: ElementType, partitions: Int, free freeDims: [Int]) {
        self.space = space
        self.element = element
        self.partitions = partitions
        self.freeDims = freeDims
    }

    /// Elements in one partition.
    public var freeElements: Int { freeDims.reduce(1, *) }
    /// Bytes the tile takes in each of its partitions.
    public var bytesPerPartition: Int { freeElements * element.byteSize }
    /// The shape as [partitions] + free dims.
    public var shape: [Int] { [partitions] + freeDims }
    /// Same partitions and free dims (element types may differ).
    public func hasSameShape(as other: TileType) -> Bool {
        partitions == other.partitions && freeDims == other.freeDims
    }
}

/// The type of an SSA value.
public enum IRType: Hashable, Sendable, CustomStringConvertible {
    /// A scalar (kernel scalar parameters, constants): `f32`.
    case scalar(ElementType)
    /// A loop induction variable, used in affine offsets: `index`.
    case index
    /// A value-semantic tensor at the tensor level, not yet placed in a memory: `f32[256, 512]`.
    case tensor(TensorType)
    /// A tensor in HBM (kernel inputs and outputs): `hbm f32[256, 512]`.
    case hbm(TensorType)
    /// An on-chip buffer, written and read by engine ops: `sbuf f32[128 | 512]`.
    case tile(TileType)

    public var description: String {
        switch self {
        case .scalar(let element): element.rawValue
        case .index: "index"
        case .tensor(let tensor): "\(tensor.element)[\(tensor.shape.map(String.init).joined(separator: ", "))]"
        case .hbm(let tensor): "hbm " + IRType.tensor(tensor).description
        case .tile(let tile):
            "\(tile.space) \(tile.element)[\(tile.partitions) | \(tile.freeDims.map(String.init).joined(separator: ", "))]"
        }
    }

    public var tensorType: TensorType? {
        if case .tensor(let tensor) = self { return tensor }
        return nil
    }

    public var hbmType: TensorType? {
        if case .hbm(let tensor) = self { return tensor }
        return nil
    }

    public var tileType: TileType? {
        if case .tile(let tile) = self { return tile }
        return nil
    }

    /// The element type of scalars, tensors and tiles; nil for `index`.
    public var element: ElementType? {
        switch self {
        case .scalar(let element): element
        case .index: nil
        case .tensor(let tensor), .hbm(let tensor): tensor.element
        case .tile(let tile): tile.element
        }
    }
}
