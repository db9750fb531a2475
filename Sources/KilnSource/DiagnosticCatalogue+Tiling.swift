// DiagnosticCatalogue+Tiling.swift: diagnostics of the `fuse` and `tile` passes (K36xx): kernels the tiler cannot map.

extension DiagnosticCatalogue {
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
    /// Fused row computations whose rows have different free sizes.
    public static func tilingInconsistentGroup(_ detail: String, at span: SourceSpan) -> Diagnostic {
        make("K3606", "tiling-inconsistent-group", .error, "cannot tile this fusion group: \(detail)", at: span)
    }
}
