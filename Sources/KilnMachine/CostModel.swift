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

    /// `pe.transpose` of a [P | F] tile: max(P, min(64, F)) cycles. [isa]
    public func peTransposeCycles(partitions: Int, free: Int) -> Int {
        max(partitions, min(costs.matmulMinStationaryColumns, free))
    }

    /// `act.activate` over N elements per partition: max(MIN_II, N), plus MIN_II with a free-axis reduce. [isa]
    public func activationCycles(elementsPerPartition n: Int, withReduce: Bool) -> Int {
        max(costs.minII, n) + (withReduce ? costs.minII : 0)
    }

    /// `dve.tensor_scalar` and `dve.copy`: max(MIN_II, N). [isa]
    public func tensorScalarCycles(elementsPerPartition n: Int) -> Int {
        max(costs.minII, n)
    }

    /// `dve.tensor_tensor`: max(MIN_II, 2N), or N when one input is in PSUM. [isa]
    public func tensorTensorCycles(elementsPerPartition n: Int, oneInputInPSUM: Bool) -> Int {
        oneInputInPSUM ? n : max(costs.minII, 2 * n)
    }

    /// `dve.reduce`: N cycles, N/2 (rounded up) for bf16 add/max. [isa]
    public func tensorReduceCycles(elementsPerPartition n: Int, input: ElementType, isAddOrMax: Bool) -> Int {
        input == .bf16 && isAddOrMax ? (n + 1) / 2 : n
    }

    /// `dve.reciprocal`: max(MIN_II, 8N). [isa]
    public func reciprocalCycles(elementsPerPartition n: Int) -> Int {
        max(costs.minII, costs.reciprocalCyclesPerElement * n)
    }

    /// `pool.iota` and `pool.select` (GpSimd): 150 + N. [isa]
    public func gpsimdCycles(elementsPerPartition n: Int) -> Int {
        costs.gpsimdFixed + n
    }

    /// Engine cycles to nanoseconds at the engine's clock.
    public func nanoseconds(cycles: Int, on engine: Engine) -> Double {
        let hertz = clocks.hertz(engine)
        return hertz > 0 ? Double(cycles) / hertz * 1e9 : 0
    }

    /// One DMA transfer of `bytesPerPartition` bytes on each of `partitions` partitions: the fixed cost plus
    /// the bytes over the bandwidth of the engines the transfer fans out to (one engine per 8 partitions),
    /// capped by the core's HBM share; transposing transfers run at `transposeThroughputFraction`. [dma]
    public func dmaNanoseconds(partitions: Int, bytesPerPartition: Int, transpose: Bool = false) -> Double {
        let enginesUsed = min(dma.engines, max(1, (partitions + dma.partitionsPerEngine - 1) / dma.partitionsPerEngine))
        var bytesPerNanosecond = min(Double(enginesUsed) * dma.bytesPerNanosecondPerEngine,
                                     dma.hbmShareBytesPerSecond / 1e9)
        if transpose && dma.transposeThroughputFraction > 0 {
            bytesPerNanosecond *= dma.transposeThroughputFraction
        }
        let bytes = Double(partitions * bytesPerPartition)
        return dma.fixedCostNanoseconds + bytes / bytesPerNanosecond
    }
}
