// MachineTarget.swift: a NeuronCore target as data: engines, memories, limits, DMA and access rules.

/// One target machine (one NeuronCore). Every number lives in `MachineTarget+Trainium.swift`, with the
/// page it comes from; everything else in Kiln (verifier, passes, simulator) reads the numbers from here.
public struct MachineTarget: Sendable, Hashable, CustomStringConvertible {
    /// The name used on the command line and in tile IR headers: `trn1`, `trn2`.
    public var name: String
    /// The hardware it models, for messages: "Trainium1 NeuronCore-v2".
    public var hardware: String

    /// Engine clocks in Hz.
    public var clocks: EngineClocks
    /// Tensor engine (systolic array) shape and matmul limits.
    public var tensorEngine: TensorEngine
    /// Vector and GpSimd engine widths.
    public var vectorLanes: Int
    public var vectorElementsPerCyclePerfMode: Int
    public var gpsimdCores: Int
    /// Activation functions the scalar engine implements.
    public var activationFunctions: Set<ActivationFunction>

    /// On-chip memories.
    public var sbuf: OnChipMemory
    public var psum: OnChipMemory
    /// Bytes of one PSUM bank per partition; a matmul accumulation group lives in one bank.
    public var psumBankBytes: Int
    /// Number of PSUM banks (and so of accumulation groups in flight).
    public var psumBanks: Int
    /// Off-chip memory as seen by one core.
    public var hbm: HBM
    /// DMA engines, queues, bandwidth, fixed cost.
    public var dma: DMA
    /// Instruction cost parameters (see `CostModel.swift` for the formulas).
    public var costs: CostParameters

    /// Which engine may read or write which memory.
    public var access: AccessRules
    /// Engine pairs that cannot use a memory at the same time (the scheduler serialises them).
    public var exclusiveMemoryUse: [ExclusiveMemoryUse]

    public var description: String { name }

    /// True if `engine` may access `memory` in the given way.
    public func allows(_ engine: Engine, _ access: MemoryAccess, _ memory: MemorySpace) -> Bool {
        self.access.allows(engine, access, memory)
    }

    /// The memories an engine may access in a given way, for messages ("sbuf, psum").
    public func memories(_ engine: Engine, _ access: MemoryAccess) -> [MemorySpace] {
        MemorySpace.allCases.filter { allows(engine, access, $0) }
    }

    /// The on-chip memory of a space; nil for HBM.
    public func onChipMemory(_ space: MemorySpace) -> OnChipMemory? {
        switch space {
        case .sbuf: sbuf
        case .psum: psum
        case .hbm: nil
        }
    }

    /// The partition starts allowed for a tile of `partitions` partitions: a tile of more than 64
    /// partitions starts at 0; 33-64 partitions at 0 or 64; up to 32 at 0, 32, 64 or 96.
    public func allowedPartitionStarts(forPartitions partitions: Int) -> [Int] {
        let quadrant = sbuf.partitions / 4
        if partitions > 2 * quadrant { return [0] }
        if partitions > quadrant { return [0, 2 * quadrant] }
        return [0, quadrant, 2 * quadrant, 3 * quadrant]
    }

    /// The targets Kiln knows, by name.
    public static let all: [MachineTarget] = [.trn1, .trn2, .trn3, .trn1TheoreticalDMA]

    /// Looks a target up by its name (`trn1`, `trn2`, `trn3`); nil for unknown names.
    public static func named(_ name: String) -> MachineTarget? {
        all.first { $0.name == name }
    }

    /// "trn1, trn2, trn3, ...", for messages.
    public static var allNames: String { all.map(\.name).joined(separator: ", ") }
}

/// Engine clock frequencies in Hz.
public struct EngineClocks: Sendable, Hashable {
    public var pe: Double
    public var act: Double
    public var dve: Double
    public var pool: Double

    /// The clock of an engine; DMA has no instruction clock and reports 0.
    public func hertz(_ engine: Engine) -> Double {
        switch engine {
        case .pe: pe
        case .act: act
        case .dve: dve
        case .pool: pool
        case .dma: 0
        }
    }
}

/// The systolic array: `matmul(stationary[K, M], moving[K, N]) -> psum f32[M, N]`.
public struct TensorEngine: Sendable, Hashable {
    /// Array rows and columns (128 x 128).
    public var rows: Int
    public var columns: Int
    /// Contraction (partition) size limit of both inputs.
    public var maxK: Int
    /// Stationary free size limit (output partitions).
    public var maxM: Int
    /// Moving free size limit (one PSUM bank of fp32).
    public var maxN: Int
    /// fp32 inputs run this many times slower than bf16.
    public var fp32Slowdown: Int
    /// fp8 inputs run this many times faster than bf16 (2 on trn2: "double row").
    public var fp8Speedup: Int
    /// Peak bf16 FLOP/s: rows * columns * 2 * clock.
    public var peakBF16FlopsPerSecond: Double
    /// The MX (block-scaled fp8/fp4) matmul mode, where the target has one: K per instruction and the rate
    /// relative to bf16; `pe.matmul_mx` and `dve.quantize_mx` / `dve.scale_mx` run only where it is present.
    public var mx: MXMatmulMode? = nil
}

/// The tensor engine's MX mode (`nc_matmul_mx`): block-scaled fp8/fp4 operands, a longer contraction per
/// instruction, and a higher rate.
public struct MXMatmulMode: Sendable, Hashable {
    /// Contraction (K) per instruction.
    public var contractionPerInstruction: Int
    /// Throughput relative to bf16.
    public var speedup: Int
    /// Peak MX FLOP/s.
    public func peakFlopsPerSecond(_ engine: TensorEngine) -> Double { engine.peakBF16FlopsPerSecond * Double(speedup) }
}

/// An on-chip memory: partitions times bytes per partition.
public struct OnChipMemory: Sendable, Hashable {
    public var space: MemorySpace
    public var partitions: Int
    public var bytesPerPartition: Int
    public var totalBytes: Int { partitions * bytesPerPartition }
}

/// HBM as seen from one core.
public struct HBM: Sendable, Hashable {
    public var bytesPerChip: Int
    public var chipBandwidthBytesPerSecond: Double
    public var coresPerChip: Int
}

/// The DMA system of one core.
public struct DMA: Sendable, Hashable {
    public var engines: Int
    public var queuesPerEngine: Int
    /// Each DMA engine serves this many partitions of a transfer.
    public var partitionsPerEngine: Int
    /// Bandwidth of one DMA engine, bytes per nanosecond (the value the model uses).
    public var bytesPerNanosecondPerEngine: Double
    /// The range AWS pages give for it (they disagree; the model picks `bytesPerNanosecondPerEngine`).
    public var publishedBytesPerNanosecondPerEngine: ClosedRange<Double>
    /// Per-core share of HBM bandwidth, bytes per second.
    public var hbmShareBytesPerSecond: Double
    /// Fixed cost of one transfer in nanoseconds (descriptors, semaphore to start).
    public var fixedCostNanoseconds: Double
    /// Below this many bytes per partition a transfer is overhead-bound.
    public var overheadBoundBytesPerPartition: Int
    /// The recommended minimum bytes per partition of one transfer.
    public var recommendedBytesPerPartition: Int
    /// From this many bytes per partition a transfer saturates bandwidth.
    public var saturatingBytesPerPartition: Int
    /// True if HBM -> SBUF transfers can transpose in flight.
    public var canTransposeInFlight: Bool
    /// Throughput of a transposing transfer relative to a plain one.
    public var transposeThroughputFraction: Double
    /// The fraction of the DMA rate a transfer under `recommendedBytesPerPartition` reaches (per-packet overhead).
    public var smallTransferEfficiency: Double
    /// A contiguous run shorter than this moves at run / this of the rate at most.
    public var efficientRunBytes: Int
}

/// Cost-model parameters in engine cycles.
public struct CostParameters: Sendable, Hashable {
    /// Minimum initiation interval of a vector/scalar instruction.
    public var minII: Int
    /// Fixed overhead of a tiny or dependent instruction.
    public var fixedInstructionOverhead: Int
    /// Start of an SBUF/PSUM access.
    public var memoryAccessStart: Int
    /// Fixed part of a GpSimd iota / affine_select.
    public var gpsimdFixed: Int
    /// Cycles per element of a vector-engine reciprocal.
    public var reciprocalCyclesPerElement: Int
    /// The stationary tile width below which a matmul costs the same as a 64-wide one.
    public var matmulMinStationaryColumns: Int
}

/// Two engines that cannot use one memory at the same time.
public struct ExclusiveMemoryUse: Sendable, Hashable {
    public var first: Engine
    public var second: Engine
    public var memory: MemorySpace
}

/// A scalar-engine activation function (`act.activate` computes func(in * scale + bias)): a `MathFunction`
/// the engine implements (`MathFunction.runsOnScalarEngine`; `activationFunctions` says which on a target).
public typealias ActivationFunction = MathFunction

/// Which engine may read or write which memory, as one bit per (engine, memory, access): the verifier and
/// the scheduler ask this for every operand of every instruction, so it is a bit test, not a lookup.
public struct AccessRules: Sendable, Hashable {
    private var bits: UInt64 = 0

    public init(_ rules: [Engine: [MemorySpace: Set<MemoryAccess>]]) {
        for (engine, memories) in rules {
            for (memory, accesses) in memories {
                for access in accesses { bits |= Self.bit(engine, access, memory) }
            }
        }
    }

    public func allows(_ engine: Engine, _ access: MemoryAccess, _ memory: MemorySpace) -> Bool {
        bits & Self.bit(engine, access, memory) != 0
    }

    private static func bit(_ engine: Engine, _ access: MemoryAccess, _ memory: MemorySpace) -> UInt64 {
        let index = (engine.index * MemorySpace.allCases.count + memory.index) * 2 + (access == .read ? 0 : 1)
        return 1 << UInt64(index)
    }
}

extension Engine {
    /// The engine's place in `allCases`.
    var index: Int {
        switch self {
        case .pe: 0
        case .act: 1
        case .dve: 2
        case .pool: 3
        case .dma: 4
        }
    }
}

extension MemorySpace {
    /// The memory's place in `allCases`.
    var index: Int {
        switch self {
        case .hbm: 0
        case .sbuf: 1
        case .psum: 2
        }
    }
}
