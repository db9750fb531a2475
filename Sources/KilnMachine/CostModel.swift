// CostModel.swift: instruction cost formulas (engine cycles) and DMA transfer time, from the machine's parameters.

extension MachineTarget {
    /// `pe.matmul` of stationary[K, M] by moving[K, N]: max(min(64, M), N) cycles, x4 for fp32 inputs,
    /// halved (rounded up) for fp8 inputs where the target has "double row" fp8. [isa]
    public func matmulCycles(m: Int, n: Int, input: ElementType) -> Int {
        let base = max(min(costs.matmulMinStationaryColumns, m), n)
        if input == .f32 { return base * tensorEngine.fp32Slowdown }
        if input.isFP8 { return (base + tensorEngine.fp8Speedup - 1) / tensorEngine.fp8Speedup }
        return base
    }

    /// `pe.matmul_mx` of MX stationary[K, M] by moving[K, N], K <= 128: a quarter (`TensorEngine.mx.speedup`) of the
    /// bf16 instruction's max(min(64, M), N) cycles, rounded up. The hardware's nc_matmul_mx contracts up to 512 (four
    /// elements per PE row) in the bf16 instruction's time, 4x the bf16 rate [arch3]; an instruction of K <= 128 at a
    /// quarter of the time is the same PE time per K. A target without the MX mode has no such instruction (the op
    /// table's `mxOnTarget` rule rejects it); it is costed as bf16 there.
    public func matmulMXCycles(m: Int, n: Int) -> Int {
        let base = max(min(costs.matmulMinStationaryColumns, m), n)
        guard let speedup = tensorEngine.mx?.speedup else { return base }
        return (base + speedup - 1) / speedup
    }

    /// `dve.quantize_mx` / `dve.scale_mx` over N elements per partition: two vector passes, the block maxima (a
    /// tensor_reduce) and the scaled cast (a tensor_scalar), each max(MIN_II, N) plus the access start [isa]. NKI
    /// publishes no cost for quantize_mx; this is the cost of the two instructions it replaces.
    public func quantizeMXCycles(elementsPerPartition n: Int) -> Int {
        2 * (max(costs.minII, n) + costs.memoryAccessStart)
    }

    /// `pe.transpose` of a [P | F] tile: max(P, min(64, F)) cycles. [isa]
    public func peTransposeCycles(partitions: Int, free: Int) -> Int {
        max(partitions, min(costs.matmulMinStationaryColumns, free))
    }

    /// `act.activate` over N elements per partition: max(MIN_II, N), plus MIN_II for the accumulate of a free-axis
    /// reduce [isa], plus the SBUF/PSUM access start. [perf]
    public func activationCycles(elementsPerPartition n: Int, withReduce: Bool) -> Int {
        max(costs.minII, n) + (withReduce ? costs.minII : 0) + costs.memoryAccessStart
    }

    /// `dve.tensor_scalar` and `dve.copy`: max(MIN_II, N) [isa], N / 4 in the bf16/fp16 performance mode of targets
    /// that have one (`perfMode`: every operand a 2-byte float tile in SBUF), plus the access start [perf]; a fused
    /// reduce along the free axis (tensor_scalar_reduce) adds MIN_II [isa].
    public func tensorScalarCycles(elementsPerPartition n: Int, perfMode: Bool = false, withReduce: Bool = false) -> Int {
        max(costs.minII, vectorElementCycles(n, perfMode: perfMode, inputs: 1)) + (withReduce ? costs.minII : 0)
            + costs.memoryAccessStart
    }

    /// `dve.partition_broadcast` of a [1 | F] row into P partitions: NKI's `nc_stream_shuffle` moves data across
    /// partitions on the vector engine within quadrants of 32 partitions, one pass per quadrant [isa], each pass
    /// costed as a copy of N elements per partition.
    public func partitionBroadcastCycles(elementsPerPartition n: Int, partitions: Int) -> Int {
        max(1, (partitions + 31) / 32) * tensorScalarCycles(elementsPerPartition: n)
    }

    /// `dve.tensor_tensor`: max(MIN_II, 2N), or N when one input is in PSUM [isa] (N / 2 in perf mode, where the two
    /// inputs halve the speed-up); plus the access start. [perf]
    public func tensorTensorCycles(elementsPerPartition n: Int, oneInputInPSUM: Bool, perfMode: Bool = false) -> Int {
        (oneInputInPSUM ? n : max(costs.minII, vectorElementCycles(n, perfMode: perfMode, inputs: 2)))
            + costs.memoryAccessStart
    }

    /// Cycles of a vector-engine pass over N elements per partition and `inputs` inputs: `inputs` x N at one element
    /// per lane and cycle; in the bf16/fp16 perf mode the rate is `vectorElementsPerCyclePerfMode` / lanes elements
    /// per lane and cycle (512 / 128 = 4 on trn2 [arch2]) divided among the inputs: 4x for one input, 2x for two
    /// ([arch2]: "2-4x").
    func vectorElementCycles(_ n: Int, perfMode: Bool, inputs: Int) -> Int {
        let plain = inputs * n
        let perLaneCycle = vectorElementsPerCyclePerfMode / vectorLanes
        guard perfMode, perLaneCycle > 1 else { return plain }
        let speedup = max(1, perLaneCycle / inputs)
        return (plain + speedup - 1) / speedup
    }

    /// `dve.reduce`: N cycles, N/2 (rounded up) for bf16 add/max [isa], plus the access start. [perf]
    public func tensorReduceCycles(elementsPerPartition n: Int, input: ElementType, isAddOrMax: Bool) -> Int {
        (input == .bf16 && isAddOrMax ? (n + 1) / 2 : n) + costs.memoryAccessStart
    }

    /// `dve.max8` and `dve.find_index8`: N cycles for N elements per partition (NKI `max8` and `nc_find_index8`,
    /// "Estimated instruction cost: N engine cycles" [isa]), plus the access start. [perf]
    public func vectorSearchCycles(elementsPerPartition n: Int) -> Int {
        n + costs.memoryAccessStart
    }

    /// `dve.bn_stats`: max(MIN_II, N) for N elements per partition (NKI `bn_stats`, "Estimated instruction cost:
    /// max(MIN_II, N) Vector Engine cycles" [isa]), plus the access start. [perf]
    public func bnStatsCycles(elementsPerPartition n: Int) -> Int {
        max(costs.minII, n) + costs.memoryAccessStart
    }

    /// `dve.bn_aggr`: max(MIN_II, 13 * (N / 3)) for N elements per partition, 13 cycles per (count, mean, m2) tuple
    /// (NKI `bn_aggr`, "Estimated instruction cost: max(MIN_II, 13*(N/3))" [isa]), plus the access start. [perf]
    public func bnAggrCycles(elementsPerPartition n: Int) -> Int {
        max(costs.minII, 13 * (n / 3)) + costs.memoryAccessStart
    }

    /// `dve.reciprocal`: max(MIN_II, 8N) [isa], plus the access start. [perf]
    public func reciprocalCycles(elementsPerPartition n: Int) -> Int {
        max(costs.minII, costs.reciprocalCyclesPerElement * n) + costs.memoryAccessStart
    }

    /// `pool.iota` and `pool.select` (GpSimd): 150 + N [isa]; the fixed 150 includes the access start.
    public func gpsimdCycles(elementsPerPartition n: Int) -> Int {
        costs.gpsimdFixed + n
    }

    /// Engine cycles to nanoseconds at the engine's clock.
    public func nanoseconds(cycles: Int, on engine: Engine) -> Double {
        let hertz = clocks.hertz(engine)
        return hertz > 0 ? Double(cycles) / hertz * 1e9 : 0
    }

    /// The rate the core's DMA engines share: all engines at their per-engine rate, capped by the core's HBM
    /// share (trn1: min(16 x 17, 410) = 272 B/ns). Queues take turns on it (SimulationRun). [dma]
    public var dmaCoreBytesPerNanosecond: Double {
        min(Double(dma.engines) * dma.bytesPerNanosecondPerEngine, dma.hbmShareBytesPerSecond / 1e9)
    }

    /// The fraction of the DMA rate a transfer of `bytesPerPartition` contiguous bytes per partition reaches:
    /// `smallTransferEfficiency` below the recommended 2 KiB per partition, rising linearly to 1 at the saturating
    /// 4 KiB ([dma]: transfers pay per-packet overhead, >= 2 KiB recommended, >= 4 KiB saturates); a contiguous run
    /// under `efficientRunBytes` (512 B, [perf]) moves at run / 512 of the rate at most. A transposing load runs at
    /// `transposeThroughputFraction` instead (the DMA engine's transpose unit, [arch2]).
    /// `runBytes` is the length of the transfer's contiguous HBM runs (one descriptor each; `DMASlice.runElements`),
    /// the partition's bytes when not given.
    public func dmaEfficiency(bytesPerPartition: Int, runBytes: Int? = nil, transpose: Bool = false) -> Double {
        if transpose && dma.transposeThroughputFraction > 0 { return dma.transposeThroughputFraction }
        let bytes = Double(bytesPerPartition)
        let low = Double(dma.recommendedBytesPerPartition), high = Double(dma.saturatingBytesPerPartition)
        var efficiency = 1.0
        if bytes < low {
            efficiency = dma.smallTransferEfficiency
        } else if bytes < high {
            efficiency = dma.smallTransferEfficiency + (1 - dma.smallTransferEfficiency) * (bytes - low) / (high - low)
        }
        return min(efficiency, min(1, Double(runBytes ?? bytesPerPartition) / Double(dma.efficientRunBytes)))
    }

    /// One DMA transfer of `bytesPerPartition` bytes on each of `partitions` partitions: the fixed cost, then the
    /// bytes at the rate of the engines it fans out to (one engine per 8 partitions), capped by the core's HBM
    /// share, times `dmaEfficiency`; it uses the core's shared rate times the same efficiency. [dma]
    /// `runBytes`: the contiguous run each descriptor moves (`dmaEfficiency`).
    public func dmaTransfer(partitions: Int, bytesPerPartition: Int, runBytes: Int? = nil,
                            transpose: Bool = false) -> DMATransferTiming {
        let enginesUsed = min(dma.engines, max(1, (partitions + dma.partitionsPerEngine - 1) / dma.partitionsPerEngine))
        let efficiency = dmaEfficiency(bytesPerPartition: bytesPerPartition, runBytes: runBytes, transpose: transpose)
        let own = min(Double(enginesUsed) * dma.bytesPerNanosecondPerEngine, dma.hbmShareBytesPerSecond / 1e9)
        return DMATransferTiming(fixedNanoseconds: dma.fixedCostNanoseconds, bytes: partitions * bytesPerPartition,
                                 bytesPerNanosecond: own * efficiency,
                                 channelBytesPerNanosecond: dmaCoreBytesPerNanosecond * efficiency)
    }

    /// `dmaTransfer`'s time when the transfer has the DMA engines to itself.
    public func dmaNanoseconds(partitions: Int, bytesPerPartition: Int, runBytes: Int? = nil,
                               transpose: Bool = false) -> Double {
        dmaTransfer(partitions: partitions, bytesPerPartition: bytesPerPartition, runBytes: runBytes,
                    transpose: transpose).nanoseconds
    }
}

/// The time parts of one DMA transfer (`MachineTarget.dmaTransfer`).
public struct DMATransferTiming: Sendable, Hashable {
    /// Descriptors, semaphore to start: the queue is busy, the engines are not.
    public var fixedNanoseconds: Double
    public var bytes: Int
    /// The transfer's own data rate.
    public var bytesPerNanosecond: Double
    /// The rate at which it occupies the core's shared DMA bandwidth.
    public var channelBytesPerNanosecond: Double
    /// Fixed cost plus the bytes at the transfer's own rate.
    public var nanoseconds: Double { fixedNanoseconds + Double(bytes) / bytesPerNanosecond }
}
