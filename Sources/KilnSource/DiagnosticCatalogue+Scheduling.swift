// DiagnosticCatalogue+Scheduling.swift: diagnostics of the engine, allocation, double-buffering and scheduling passes (K37xx).

extension DiagnosticCatalogue {
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
}
