// DiagnosticCatalogue+Passes.swift: the diagnostics KilnPasses emits (K3510-K3720) (ids in the ranges DiagnosticCatalogue.swift gives).

import KilnSource

extension DiagnosticCatalogue {
    /// `inline`: calls still left after the depth limit (a recursive helper in hand-written IR).
    public static func inlineTooDeep(_ callee: String, limit: Int, at span: SourceSpan) -> Diagnostic {
        make("K3510", "inline-too-deep", .error,
             "calls to @\(callee) nest more than \(limit) deep when inlined; is the function recursive?", at: span)
    }
    /// A tile that does not fit next to the tiles live with it. `tile` describes the tile ("%acc psum
    /// f32[128 | 512]"), `live` the tiles live at that point with their bytes per partition.
    public static func allocationOverCapacity(memory: String, tile: String, bytes: Int, capacity: Int, target: String,
                                              live: [(name: String, bytes: Int)], at span: SourceSpan) -> Diagnostic {
        let used = live.reduce(0) { $0 + $1.bytes }
        let liveText = live.isEmpty ? "no other tile is live there"
            : "live there: " + live.map { "\($0.name) (\($0.bytes) B)" }.joined(separator: ", ") + ", \(used) B in all"
        return make("K3701", "over-capacity", .error,
                    "cannot place \(tile), \(bytes) bytes per partition: \(target) \(memory) has \(capacity) bytes per "
                        + "partition (\(capacity / 1024) KiB); \(liveText)", at: span)
    }
    /// A DMA transfer or synchronisation op naming a queue the target does not have.
    public static func dmaQueueOutOfRange(_ queue: Int, queues: Int, target: String, at span: SourceSpan) -> Diagnostic {
        make("K3720", "dma-queue-out-of-range", .error,
             "DMA queue \(queue) does not exist: \(target) has queues 0...\(queues - 1)", at: span)
    }
    /// An op (or an operand shape) the tiler has no lowering for.
    public static func tilingUnsupported(_ opcode: String, _ reason: String, at span: SourceSpan) -> Diagnostic {
        make("K3601", "tiling-unsupported", .error, "cannot tile '\(opcode)': \(reason)", at: span)
    }
    /// A value made in one tile loop nest and needed by another, with no HBM buffer to pass it through.
    public static func tilingValueCrossesLoopNests(_ value: String, at span: SourceSpan) -> Diagnostic {
        make("K3602", "tiling-value-crosses-loop-nests", .error,
             "\(value) is computed in one tile loop nest and used by another, but it is not a kernel output, so there "
                 + "is no HBM buffer to pass it through; run 'fuse' before 'tile' so that both land in one fusion group",
             at: span)
    }
    /// A fusion group whose tiles do not fit the SBUF budget even one column wide.
    public static func tilingRowsExceedSBUF(bytes: Int, capacity: Int, target: String, at span: SourceSpan) -> Diagnostic {
        make("K3603", "tiling-rows-exceed-sbuf", .error,
             "one row tile of this computation needs \(bytes) bytes per partition of SBUF even with its free axis split "
                 + "to one column, but \(target) leaves it \(capacity) (SBUF shared by the double-buffered copies)", at: span)
    }
    /// A `@schedule` tile size outside what the tensor engine takes.
    public static func tilingScheduleOutOfRange(_ key: String, _ value: Int, limit: Int, at span: SourceSpan) -> Diagnostic {
        make("K3604", "tiling-schedule-out-of-range", .error,
             "@schedule \(key) = \(value) is outside the machine's range 1...\(limit)", at: span)
    }
    /// A matmul whose moving operand slab cannot stay resident in SBUF.
    public static func tilingMatmulSlabTooLarge(bytes: Int, capacity: Int, target: String, at span: SourceSpan) -> Diagnostic {
        make("K3605", "tiling-matmul-slab-too-large", .error,
             "the matmul keeps a [K | tile_n] slab of its right operand in SBUF, \(bytes) bytes per partition, but \(target) "
                 + "leaves \(capacity) for it; a smaller tile_n or K is needed", at: span)
    }
    public static func tilingKBlocksTooLarge(bytes: Int, capacity: Int, target: String, at span: SourceSpan) -> Diagnostic {
        make("K3609", "tiling-matmul-blocks-too-large", .error,
             "the K-blocked matmul keeps its f32 output block, its A^T and B blocks and its A rows in SBUF, \(bytes) bytes "
                 + "per partition, but \(target) has \(capacity); smaller block_m, block_n or block_k are needed", at: span)
    }
    /// Fused row computations whose rows have different free sizes.
    public static func tilingInconsistentGroup(_ detail: String, at span: SourceSpan) -> Diagnostic {
        make("K3606", "tiling-inconsistent-group", .error, "cannot tile this fusion group: \(detail)", at: span)
    }
}
