// ReportModel.swift: a run record read into what the HTML report draws: tracks, boxes, engine figures, roofline inputs.

import Foundation

/// One instruction on the timeline.
struct ReportBox {
    var track: Int
    var mnemonic: String
    /// The kernel source line, when the instruction has one.
    var line: Int?
    var start: Double
    var duration: Double
}

/// One engine's or DMA queue's figures from the stats.
struct ReportEngine {
    var name: String
    var busyNanoseconds: Double
    var utilization: Double
    var instructions: Int
}

/// What the report shows, read from a run record (`RunRecord`). Times in microseconds, as the trace has them.
struct ReportModel {
    var kernel: String
    var source: String
    var target: String
    var dims: [(name: String, size: Int)]
    var seconds: Double
    var hfu: Double, mfu: Double, mbu: Double
    var hardwareFlops: Double
    var dmaBytes: Double
    var peakFlops: Double?
    var bandwidth: Double?
    var sourceLines: [Int: String]
    var engines: [ReportEngine]
    /// Track names: every engine and DMA queue of the stats, in their order, then any the trace adds.
    var tracks: [String]
    var boxes: [ReportBox]

    /// Reads a record, or says what is missing from it.
    init(recordJSON: String) throws(ReportError) {
        guard let record = RunRecord.parse(recordJSON) else { throw ReportError("it is not a JSON object") }
        guard record["format"] as? String == RunRecord.format else {
            throw ReportError("it is not a kiln run record (its \"format\" is not \"\(RunRecord.format)\"); "
                              + "write one with kiln run --backend sim --run-json RUN.json")
        }
        guard let stats = record["stats"] as? [String: Any], let trace = record["trace"] as? [String: Any],
              let events = trace["traceEvents"] as? [[String: Any]] else {
            throw ReportError("it has no \"stats\" object or no \"trace\" with \"traceEvents\"")
        }
        kernel = record["kernel"] as? String ?? "?"
        source = record["source"] as? String ?? "?"
        target = stats["target"] as? String ?? record["target"] as? String ?? "?"
        dims = (record["dims"] as? [[String: Any]] ?? []).compactMap { entry in
            guard let name = entry["name"] as? String, let size = number(entry["size"]) else { return nil }
            return (name, Int(size))
        }
        seconds = number(stats["seconds"]) ?? 0
        hfu = number(stats["hfu"]) ?? 0
        mfu = number(stats["mfu"]) ?? 0
        mbu = number(stats["mbu"]) ?? 0
        hardwareFlops = number(stats["hardware_flops"]) ?? 0
        dmaBytes = number(stats["dma_bytes"]) ?? 0
        let machine = record["machine"] as? [String: Any] ?? [:]
        peakFlops = number(machine["peak_flops_per_second"])
        bandwidth = number(machine["dma_bytes_per_second"])
        sourceLines = [:]
        for (key, value) in record["source_lines"] as? [String: Any] ?? [:] {
            if let line = Int(key), let text = value as? String { sourceLines[line] = text }
        }
        engines = (stats["engines"] as? [String: Any] ?? [:]).compactMap { name, value in
            guard let entry = value as? [String: Any] else { return nil }
            return ReportEngine(name: name, busyNanoseconds: number(entry["busy_ns"]) ?? 0,
                                utilization: number(entry["utilization"]) ?? 0,
                                instructions: Int(number(entry["instructions"]) ?? 0))
        }.sorted { Self.order($0.name) < Self.order($1.name) }
        tracks = engines.map(\.name)
        var trackOfThread: [Int: Int] = [:]
        for event in events where event["ph"] as? String == "M" && event["name"] as? String == "thread_name" {
            guard let thread = number(event["tid"]), let name = (event["args"] as? [String: Any])?["name"] as? String else { continue }
            if !tracks.contains(name) { tracks.append(name) }
            trackOfThread[Int(thread)] = tracks.firstIndex(of: name)
        }
        boxes = events.compactMap { event in
            guard event["ph"] as? String == "X", let thread = number(event["tid"]), let track = trackOfThread[Int(thread)],
                  let start = number(event["ts"]), let duration = number(event["dur"]) else { return nil }
            let name = event["name"] as? String ?? "?"
            let mnemonic = name.split(separator: " ").first.map(String.init) ?? name
            return ReportBox(track: track, mnemonic: mnemonic, line: RunRecord.sourceLine(of: event), start: start, duration: duration)
        }
    }

    /// Compute engines in the machine's order, then DMA queues by number, then the rest by name.
    static func order(_ name: String) -> (Int, Int, String) {
        if let index = ["pe", "act", "dve", "pool"].firstIndex(of: name) { return (0, index, name) }
        if name.hasPrefix("dma.q"), let queue = Int(name.dropFirst(5)) { return (1, queue, name) }
        return (2, 0, name)
    }

    /// The label of a box: its source line, or its mnemonic when it has none.
    func label(_ box: ReportBox) -> String {
        box.line.map { "line \($0)" } ?? box.mnemonic
    }
}

/// Why a record could not be turned into a report.
public struct ReportError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
