// Program.swift: a bytecode program in memory: header, tensor table, memory plan, streams, line table.

import KilnISA
import KilnMachine

/// A whole simulator program, as `SimBackend` builds it and `BytecodeDecoder` reads it back.
/// Its byte layout is in Docs/bytecode.md; `BytecodeValidator` checks every index and size in it.
public struct BytecodeProgram: Hashable, Sendable {
    /// Target machine name (`trn1`, `trn2`).
    public var target: String
    /// The kernel's name.
    public var kernelName: String
    /// The kernel source file the line table points into ("" if unknown).
    public var sourcePath: String
    /// The kernel's HBM tensors and scalar parameters, in signature order (inputs, then outputs).
    public var tensors: [TensorEntry]
    /// The memory plan: every on-chip tile, placed.
    public var buffers: [BufferEntry]
    /// Number of semaphores (numbered 0..<count).
    public var semaphoreCount: Int
    /// Number of loop-variable slots (numbered 0..<count); each stream keeps its own values.
    public var loopSlotCount: Int
    /// One in-order instruction stream per engine and per DMA queue.
    public var streams: [InstructionStream]

    public init(target: String, kernelName: String, sourcePath: String, tensors: [TensorEntry] = [],
                buffers: [BufferEntry] = [], semaphoreCount: Int = 0, loopSlotCount: Int = 0,
                streams: [InstructionStream] = []) {
        self.target = target
        self.kernelName = kernelName
        self.sourcePath = sourcePath
        self.tensors = tensors
        self.buffers = buffers
        self.semaphoreCount = semaphoreCount
        self.loopSlotCount = loopSlotCount
        self.streams = streams
    }
}

/// What a tensor-table entry is to the kernel.
public enum TensorRole: UInt8, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case input = 0, output = 1, scalar = 2
    /// An internal HBM tensor (`hbm.alloc`): allocated per run, uninitialised, written and read by DMA.
    case scratch = 3
    public var description: String {
        switch self {
        case .input: "input"
        case .output: "output"
        case .scalar: "scalar"
        case .scratch: "scratch"
        }
    }
}

/// A kernel input or output in HBM, or a scalar parameter (shape `[]`, with an optional default).
public struct TensorEntry: Hashable, Sendable {
    public var name: String
    public var dtype: ElementType
    public var shape: [Int]
    public var role: TensorRole
    public var defaultValue: Double?

    public init(name: String, dtype: ElementType, shape: [Int], role: TensorRole, defaultValue: Double? = nil) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.role = role
        self.defaultValue = defaultValue
    }

    public var elementCount: Int { shape.reduce(1, *) }
}

/// One placed tile of the memory plan: `partitions` partitions from `partitionStart`, bytes
/// `[offset, offset + bytesPerPartition)` of each, holding `freeDims` elements of `dtype` per partition.
public struct BufferEntry: Hashable, Sendable {
    /// The IR name of the tile (for the disassembly and messages).
    public var name: String
    public var space: MemorySpace
    public var dtype: ElementType
    public var partitionStart: Int
    public var partitions: Int
    public var offset: Int
    public var freeDims: [Int]

    public init(name: String, space: MemorySpace, dtype: ElementType, partitionStart: Int, partitions: Int,
                offset: Int, freeDims: [Int]) {
        self.name = name
        self.space = space
        self.dtype = dtype
        self.partitionStart = partitionStart
        self.partitions = partitions
        self.offset = offset
        self.freeDims = freeDims
    }

    public var freeElements: Int { freeDims.reduce(1, *) }
    public var bytesPerPartition: Int { freeElements * dtype.byteSize }
    /// The buffer as the op table's rules and cost formulas see a tile.
    public var shape: TileShape { TileShape(space: space, element: dtype, partitions: partitions, freeDims: freeDims) }
    /// True if the two buffers share a memory, a partition and a byte.
    public func overlaps(_ other: BufferEntry) -> Bool {
        space == other.space
            && partitionStart < other.partitionStart + other.partitions && other.partitionStart < partitionStart + partitions
            && offset < other.offset + other.bytesPerPartition && other.offset < offset + bytesPerPartition
    }
}

/// The queue a stream feeds: one of the four compute engines or one DMA queue.
public enum StreamUnit: Hashable, Sendable, CustomStringConvertible, Comparable {
    case engine(Engine)
    case dmaQueue(Int)

    public var description: String {
        switch self {
        case .engine(let engine): engine.rawValue
        case .dmaQueue(let queue): "dma.q\(queue)"
        }
    }

    /// The engine whose instructions the stream may hold (`dma` for DMA queues).
    public var engine: Engine {
        switch self {
        case .engine(let engine): engine
        case .dmaQueue: .dma
        }
    }

    private var sortKey: (Int, Int) {
        switch self {
        case .engine(let engine): (Engine.allCases.firstIndex(of: engine) ?? 0, 0)
        case .dmaQueue(let queue): (Engine.allCases.count, queue)
        }
    }

    public static func < (lhs: StreamUnit, rhs: StreamUnit) -> Bool { lhs.sortKey < rhs.sortKey }
}

/// A source position for one instruction: line and column in `BytecodeProgram.sourcePath` (0 = unknown).
public struct LineEntry: Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public static let unknown = LineEntry(line: 0, column: 0)
    public var isKnown: Bool { line > 0 }
    public var description: String { isKnown ? "\(line):\(column)" : "?" }
}

/// One engine's or DMA queue's instructions, in order, with a line-table entry per instruction.
public struct InstructionStream: Hashable, Sendable {
    public var unit: StreamUnit
    public var instructions: [Instruction]
    /// `lines[i]` is where `instructions[i]` came from; same count as `instructions`.
    public var lines: [LineEntry]

    public init(unit: StreamUnit, instructions: [Instruction] = [], lines: [LineEntry] = []) {
        self.unit = unit
        self.instructions = instructions
        self.lines = lines
    }

    public mutating func append(_ instruction: Instruction, line: LineEntry) {
        instructions.append(instruction)
        lines.append(line)
    }
}

/// The HBM slice a DMA instruction moves, shared by the validator and the simulator.
public enum DMAGeometry {
    /// The slice's extents (`DMASlice.extents`); the tile's shape when the tile has more dims than the tensor
    /// (the validator reports that).
    public static func sliceExtents(tile: BufferEntry, rank: Int, transpose: Bool, broadcast: Bool,
                                    steps: DMASteps = .unit) -> [Int] {
        DMASlice.extents(partitions: tile.partitions, freeDims: tile.freeDims, rank: rank, transpose: transpose,
                         broadcast: broadcast, steps: steps) ?? ([tile.partitions] + tile.freeDims)
    }

    /// The leading tensor dims a transfer indexes (`DMASlice.lead`), 0 when the tile does not fit the tensor.
    public static func lead(tile: BufferEntry, rank: Int, transpose: Bool, broadcast: Bool) -> Int {
        DMASlice.lead(partitions: tile.partitions, freeDims: tile.freeDims, rank: rank, transpose: transpose,
                      broadcast: broadcast) ?? 0
    }

    public static func isFlat(rank: Int, transpose: Bool, broadcast: Bool) -> Bool {
        DMASlice.isFlat(rank: rank, transpose: transpose, broadcast: broadcast)
    }
}
