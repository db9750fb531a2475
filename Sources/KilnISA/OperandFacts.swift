// OperandFacts.swift: what the type rules and cost formulas see of an op's operands, in any layer.

import KilnMachine

/// An on-chip tile as the rules see it: the tile IR's tile types and the bytecode's buffers both map to this.
public struct TileShape: Hashable, Sendable, CustomStringConvertible {
    public var space: MemorySpace
    public var element: ElementType
    public var partitions: Int
    public var freeDims: [Int]

    public init(space: MemorySpace, element: ElementType, partitions: Int, freeDims: [Int]) {
        self.space = space
        self.element = element
        self.partitions = partitions
        self.freeDims = freeDims
    }

    public var freeElements: Int { freeDims.reduce(1, *) }
    public var description: String {
        "\(space) \(element)[\(partitions) | \(freeDims.map(String.init).joined(separator: ", "))]"
    }
    func hasSameShape(as other: TileShape) -> Bool { partitions == other.partitions && freeDims == other.freeDims }
}

/// One operand of one op, as a layer knows it. A layer gives nil for an operand whose kind is wrong (and
/// reports that itself); the rules skip what they cannot see.
public enum OperandFact: Hashable, Sendable {
    case tile(TileShape)
    /// An HBM slice: the tensor's element type and shape.
    case hbm(ElementType, [Int])
    case scalarConstant(Double)
    /// A scalar kernel parameter: the same value in every partition.
    case scalarParameter
    case scalarTile(TileShape)
    case activationFunction(ActivationFunction)
    case binaryOperator(BinaryOperator)
    case reduceOperator(EngineReduceOp)
    case float(Double)
    case integer(Int)
    case flag(Bool)
    case condition(isAlways: Bool)
    /// `reduce op -> tile`, or nil when the op does not reduce.
    case reduceInto(EngineReduceOp, TileShape)
    case noReduce
}

/// An op's operands in field order, with typed access for rules and cost formulas.
public struct OperandFacts: Sendable {
    public var facts: [OperandFact?]
    public init(_ facts: [OperandFact?]) { self.facts = facts }

    public subscript(_ field: Int) -> OperandFact? { field < facts.count ? facts[field] : nil }

    /// The tile of a tile operand, a per-partition scalar tile, or a reduction's destination.
    public func tile(_ field: Int) -> TileShape? {
        switch self[field] {
        case .tile(let tile), .scalarTile(let tile), .reduceInto(_, let tile): tile
        default: nil
        }
    }

    /// Elements per partition of a tile operand (0 when unknown).
    public func n(_ field: Int) -> Int { tile(field)?.freeElements ?? 0 }

    public func flag(_ field: Int) -> Bool {
        if case .flag(let value) = self[field] { return value }
        return false
    }

    /// True when every listed field is a 2-byte float tile in SBUF: what the vector engine's bf16/fp16
    /// performance mode needs (CostModel.swift, `tensorScalarCycles`).
    public func vectorPerfMode(_ fields: [Int]) -> Bool {
        fields.allSatisfy { field in
            guard let tile = tile(field) else { return false }
            return tile.space == .sbuf && (tile.element == .bf16 || tile.element == .f16)
        }
    }

    public func reduces(_ field: Int) -> Bool {
        if case .reduceInto = self[field] { return true }
        return false
    }

    public func reduceOperator(_ field: Int) -> EngineReduceOp? {
        if case .reduceOperator(let op) = self[field] { return op }
        return nil
    }
}
