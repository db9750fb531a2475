// MachineTarget+Trainium3.swift: the trn3 (NeuronCore-v4) target and trn1's theoretical-DMA variant, each number with its source.
//
// Sources as in MachineTarget+Trainium.swift; [arch3] is AWS's "Trainium3 Architecture Guide" and
// [dmaov] the NKI DMA overview (per-engine theoretical rates). Where [arch3] is silent, the NC-v3 value is
// kept and the comment says "as NC-v3".

private let kibibyte = 1024
private let gibibyte = 1024 * 1024 * 1024

extension MachineTarget {
    /// Trainium3, NeuronCore-v4.
    public static let trn3: MachineTarget = {
        var target = MachineTarget.trn2
        target.name = "trn3"
        target.hardware = "Trainium3 NeuronCore-v4"
        target.clocks = EngineClocks(
            pe: 2.4e9,      // [arch3] tensor engine 2.4 GHz
            act: 1.2e9,     // [arch3] scalar engine 1.2 GHz
            dve: 1.2e9,     // [arch3] vector engine 1.2 GHz
            pool: 1.2e9)    // [arch3] GpSimd 1.2 GHz
        target.tensorEngine.peakBF16FlopsPerSecond = 128 * 128 * 2 * 2.4e9  // [arch3] 79 TFLOP/s bf16 dense per core
        // [arch3] MXFP8 / MXFP4: 315 TFLOP/s dense per core (4x bf16), K = 512 per instruction (nc_matmul_mx).
        target.tensorEngine.mx = MXMatmulMode(contractionPerInstruction: 512, speedup: 4)
        target.sbuf = OnChipMemory(space: .sbuf, partitions: 128,       // [arch3] 128 partitions
                                   bytesPerPartition: 256 * kibibyte)  // [arch3] 32 MiB = 128 x 256 KiB
        // PSUM: [arch3] 2 MiB, 8 banks of 2 KiB per partition, as NC-v3 (kept from trn2).
        target.hbm = HBM(bytesPerChip: 144 * gibibyte,          // [arch3] 144 GiB per chip
                         chipBandwidthBytesPerSecond: 4.7e12,   // [arch3] 4.7 TB/s (another AWS page: 4.9)
                         coresPerChip: 8)                       // [arch3] 8 NeuronCores per chip
        target.dma.engines = 16                                 // [arch3] 16 DMA engines per core
        target.dma.bytesPerNanosecondPerEngine = 33             // [arch3] 33 B/ns per engine ([dmaov]: 38.4 theoretical)
        target.dma.publishedBytesPerNanosecondPerEngine = 33...38.4
        target.dma.hbmShareBytesPerSecond = 4.7e12 / 8          // [arch3] chip bandwidth over 8 cores
        return target
    }()

    /// trn1 with [dmaov]'s theoretical 27.2 GB/s per DMA engine instead of the sustained 17 B/ns: the other side
    /// of the disagreement Docs/simulator.md's calibration report shows the effect of (`Benchmarks/fidelity.py
    /// --dma-variant`). Everything else is trn1's.
    public static let trn1TheoreticalDMA: MachineTarget = {
        var target = MachineTarget.trn1
        target.name = "trn1-dma27"
        target.hardware = "Trainium1 NeuronCore-v2, theoretical DMA engine rate"
        target.dma.bytesPerNanosecondPerEngine = 27.2  // [dmaov] 27.2 GB/s per engine (NC-v2)
        return target
    }()
}
