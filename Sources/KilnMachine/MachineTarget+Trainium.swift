// MachineTarget+Trainium.swift: the trn1 (NeuronCore-v2) and trn2 (NeuronCore-v3) targets, each number with its source.
//
// Sources (AWS Neuron documentation, awsdocs-neuron.readthedocs-hosted.com), abbreviated below:
//   [arch1]  NKI "Trainium/Inferentia2 Architecture Guide" (NeuronCore-v2).
//   [arch2]  NKI "Trainium2 Architecture Guide" (NeuronCore-v3).
//   [perf]   NKI "Performance Guide" (instruction costs, MIN_II, fixed overheads).
//   [isa]    `nki.isa` API reference, 2025 revision (per-instruction cost formulas).
//   [dma]    NKI "DMA bandwidth" guide (queues, per-engine bandwidth, fixed cost, transfer sizes).
//   [mm]     NKI matmul tutorial (peak FLOP/s, ridge point).
//   [dmaov]  NKI "Introduction to DMA with NKI" (16 engines per core, 27.2 GB/s theoretical per engine on
//            NC-v2/v3, 38.4 GB/s on NC-v4) and Neuron Explorer "How to identify and reduce inefficient DMA
//            transfers" (a transfer splits into one packet per engine per partition group; descriptors,
//            semaphores and a per-packet setup are a fixed cost per transfer).
//   [arch3]  "Trainium3 Architecture Guide" (NeuronCore-v4).
// The collected figures are in /work/shared/machine-model.md; where two pages disagree the
// number is a parameter and the comment says which value the model takes.

private let kibibyte = 1024
private let gibibyte = 1024 * 1024 * 1024

extension MachineTarget {
    /// Trainium1, NeuronCore-v2.
    public static let trn1 = MachineTarget(
        name: "trn1",
        hardware: "Trainium1 NeuronCore-v2",
        clocks: EngineClocks(
            pe: 2.8e9,      // [arch1] tensor engine 2.8 GHz
            act: 1.4e9,     // [arch1] scalar engine 1.4 GHz
            dve: 1.12e9,    // [arch1] vector engine 1.12 GHz
            pool: 1.4e9),   // [arch1] GpSimd engine 1.4 GHz
        tensorEngine: TensorEngine(
            rows: 128, columns: 128,          // [arch1] 128x128 systolic array
            maxK: 128, maxM: 128, maxN: 512,  // [isa] nc_matmul: K<=128, M<=128, N<=512 (one PSUM bank of fp32)
            fp32Slowdown: 4,                  // [arch1] fp32 matmul at 1/4 of the bf16 rate
            fp8Speedup: 1,                    // [arch1] fp8 runs at the bf16 rate on NC-v2
            peakBF16FlopsPerSecond: 128 * 128 * 2 * 2.8e9),  // [mm] 91.75e12 ~ "92 TFLOP/s"
        vectorLanes: 128,                     // [arch1] vector engine: 128 lanes
        vectorElementsPerCyclePerfMode: 128,  // [arch1] no bf16 perf mode on NC-v2: one element per lane
        gpsimdCores: 8,                       // [arch1] GpSimd: 8 SIMD cores
        activationFunctions: Set(ActivationFunction.allCases),  // [isa] nki.language activation functions
        sbuf: OnChipMemory(space: .sbuf,
                           partitions: 128,                // [arch1] 128 partitions
                           bytesPerPartition: 192 * kibibyte),  // [arch1] 24 MiB = 128 x 192 KiB
        psum: OnChipMemory(space: .psum,
                           partitions: 128,                // [arch1] 128 partitions
                           bytesPerPartition: 16 * kibibyte),   // [arch1] 2 MiB = 128 x 16 KiB
        psumBankBytes: 2 * kibibyte,          // [arch1] 8 banks x 2 KiB per partition (512 fp32)
        psumBanks: 8,                         // [arch1] up to 8 accumulation groups in flight
        hbm: HBM(bytesPerChip: 32 * gibibyte,         // [arch1] 32 GiB per chip
                 chipBandwidthBytesPerSecond: 820e9,  // [arch1] 820 GB/s per chip
                 coresPerChip: 2),                    // [arch1] 2 NeuronCores per chip
        dma: DMA(
            engines: 16, queuesPerEngine: 16,         // [dma] 16 DMA engines, 16 queues each
            partitionsPerEngine: 8,                   // [dma] each engine serves 8 partitions
            // [dma] 17 B/ns sustained per engine (272 GB/s per core); [dmaov] gives 27.2 GB/s as the theoretical
            // peak. The model takes the sustained figure (Docs/simulator.md shows the table with each).
            bytesPerNanosecondPerEngine: 17.0,
            publishedBytesPerNanosecondPerEngine: 17.0...27.2,
            hbmShareBytesPerSecond: 410e9,            // [dma] HBM share per core ~410 GB/s
            fixedCostNanoseconds: 1300,               // [dma] ~1.3 us per transfer
            overheadBoundBytesPerPartition: 256,      // [dma] < 256 B per partition is overhead-bound
            recommendedBytesPerPartition: 2 * kibibyte,  // [dma] >= 2 KiB per partition recommended
            saturatingBytesPerPartition: 4 * kibibyte,   // [dma] >= 4 KiB per partition saturates
            canTransposeInFlight: false,              // [arch2] DMA transpose is new in NC-v3
            transposeThroughputFraction: 0,
            smallTransferEfficiency: smallTransferEfficiency,
            efficientRunBytes: 512),                  // [perf] contiguous runs under 512 B lose bandwidth
        costs: trainiumCosts,
        access: trainiumAccess,
        exclusiveMemoryUse: [
            // [arch1] NC-v2: vector and GpSimd share the SBUF port; vector and scalar share the PSUM port.
            ExclusiveMemoryUse(first: .dve, second: .pool, memory: .sbuf),
            ExclusiveMemoryUse(first: .dve, second: .act, memory: .psum),
        ])

    /// Trainium2, NeuronCore-v3.
    public static let trn2 = MachineTarget(
        name: "trn2",
        hardware: "Trainium2 NeuronCore-v3",
        clocks: EngineClocks(
            pe: 2.4e9,      // [arch2] tensor engine 2.4 GHz
            act: 1.2e9,     // [arch2] scalar engine 1.2 GHz
            dve: 0.96e9,    // [arch2] vector engine 0.96 GHz
            pool: 1.2e9),   // [arch2] GpSimd engine 1.2 GHz
        tensorEngine: TensorEngine(
            rows: 128, columns: 128,          // [arch2] 128x128 systolic array
            maxK: 128, maxM: 128, maxN: 512,  // [isa] nc_matmul limits, unchanged on NC-v3
            fp32Slowdown: 4,                  // [arch2] fp32 at 1/4 of the bf16 rate
            fp8Speedup: 2,                    // [arch2] fp8 "double row": 2x the bf16 rate
            peakBF16FlopsPerSecond: 128 * 128 * 2 * 2.4e9),  // [arch2] ~79 TFLOP/s
        vectorLanes: 128,                     // [arch2] 128 lanes
        vectorElementsPerCyclePerfMode: 512,  // [arch2] 512 elems/cycle in bf16/fp16 perf mode (256 otherwise)
        gpsimdCores: 8,                       // [arch2] 8 SIMD cores
        activationFunctions: Set(ActivationFunction.allCases),  // [isa] same function set
        sbuf: OnChipMemory(space: .sbuf,
                           partitions: 128,                // [arch2] 128 partitions
                           bytesPerPartition: 224 * kibibyte),  // [arch2] 28 MiB = 128 x 224 KiB
        psum: OnChipMemory(space: .psum,
                           partitions: 128,                // [arch2] 128 partitions
                           bytesPerPartition: 16 * kibibyte),   // [arch2] 2 MiB, as NC-v2
        psumBankBytes: 2 * kibibyte,          // [arch2] 8 banks x 2 KiB
        psumBanks: 8,                         // [arch2] 8 accumulation groups
        hbm: HBM(bytesPerChip: 96 * gibibyte,         // [arch2] 96 GiB per chip
                 chipBandwidthBytesPerSecond: 2.9e12, // [arch2] 2.9 TB/s per chip
                 coresPerChip: 8),                    // [arch2] 8 NeuronCores per chip
        dma: DMA(
            engines: 16, queuesPerEngine: 16,         // [dma] 16 DMA engines, 16 queues each
            partitionsPerEngine: 8,                   // [dma] 8 partitions per engine
            bytesPerNanosecondPerEngine: 22.75,       // [dma] ~364 GB/s per core (362-368) / 16 engines
            publishedBytesPerNanosecondPerEngine: 22.6...23.0,
            hbmShareBytesPerSecond: 362.5e9,          // [arch2] 2.9 TB/s over 8 cores
            // [dma] ~1.3 us per transfer. [perf]'s ~600 ns per hardware-DGE instruction is the issuing engine's
            // time to write descriptors; Kiln's queues issue their own transfers, so it is inside this figure.
            fixedCostNanoseconds: 1300,
            overheadBoundBytesPerPartition: 256,      // [dma]
            recommendedBytesPerPartition: 2 * kibibyte,  // [dma]
            saturatingBytesPerPartition: 4 * kibibyte,   // [dma]
            canTransposeInFlight: true,               // [arch2] DMA transpose HBM -> SBUF
            transposeThroughputFraction: 0.9,         // [arch2] at ~90% of DMA throughput
            smallTransferEfficiency: smallTransferEfficiency,
            efficientRunBytes: 512),                  // [perf]
        costs: trainiumCosts,
        access: trainiumAccess,
        exclusiveMemoryUse: [])  // [arch2] the NC-v2 port sharing restrictions are lifted
}

/// Shared fit (Docs/simulator.md, "Calibration"): the DMA rate reached by transfers under the recommended
/// 2 KiB per partition, as a fraction of the engines' rate. AWS's three DMA-bound matmul schedules (naive,
/// hoisted loads, free-dim blocking; 1 KiB and 256 B rows) each move their bytes at 97-104 GB/s on trn1, which
/// is 0.36-0.38 of 16 x 17 B/ns; 0.36 fits all three. No source gives the figure for smaller transfers.
let smallTransferEfficiency = 0.39

/// [perf] and [isa]: the same cycle parameters on both generations.
private let trainiumCosts = CostParameters(
    minII: 64,                       // [perf] MIN_II ~ 64 cycles
    fixedInstructionOverhead: 100,   // [perf] ~100 cycles for a tiny or dependent instruction
    memoryAccessStart: 60,           // [perf] ~60 cycles to start an SBUF/PSUM access
    gpsimdFixed: 150,                // [isa] iota / affine_select: 150 + N
    reciprocalCyclesPerElement: 8,   // [isa] vector reciprocal: max(MIN_II, 8N)
    matmulMinStationaryColumns: 64)  // [isa] nc_matmul: max(min(64, M), N)

/// [arch1]/[arch2]: which engine reaches which memory. The tensor engine reads SBUF and writes PSUM;
/// scalar and vector engines read and write both on-chip memories; GpSimd has no PSUM access;
/// DMA moves data between HBM and SBUF.
private let trainiumAccess = AccessRules([
    .pe: [.sbuf: [.read], .psum: [.write]],
    .act: [.sbuf: [.read, .write], .psum: [.read, .write]],
    .dve: [.sbuf: [.read, .write], .psum: [.read, .write]],
    .pool: [.sbuf: [.read, .write]],
    .dma: [.hbm: [.read, .write], .sbuf: [.read, .write]],
])
