// RunRecord.swift: the run record (RUN.json): a simulation's stats and trace with the machine's peaks and source lines.

import Foundation
import KilnMachine
import KilnSource

/// The run record `kiln run --run-json` and libKiln write and `kiln report` reads: one JSON object with
/// `format` "kiln-run-record", `version` 1, `kernel`, `source` (path), `backend`, `target`, `dims` (name and
/// size in kernel order), `machine` (the target's peak bf16 FLOP/s and DMA bytes/s: the denominators of
/// HFU and MBU), `source_lines` (line number -> text of each line the trace names), `stats` (the
/// `--stats-json` object) and `trace` (the `--trace` Chrome Trace Event object).
public enum RunRecord {
    public static let format = "kiln-run-record"
    public static let version = 1

    /// The record of one simulation, from its stats and trace JSON texts.
    public static func json(kernel: String, source: SourceFile, dims: [(name: String, size: Int)], backend: String,
                            statsJSON: String, traceJSON: String) -> String {
        let stats = parse(statsJSON) ?? [:]
        let trace = parse(traceJSON) ?? [:]
        let target = stats["target"] as? String ?? ""
        var machine: [String: Any] = [:]
        if let model = MachineTarget.named(target) {
            machine["peak_flops_per_second"] = model.tensorEngine.peakBF16FlopsPerSecond
            // As SimulationStats's MBU: every DMA engine at its modelled rate, capped by the core's HBM share.
            machine["dma_bytes_per_second"] = min(Double(model.dma.engines) * model.dma.bytesPerNanosecondPerEngine * 1e9,
                                                  model.dma.hbmShareBytesPerSecond)
        }
        var lines: [String: String] = [:]
        for event in trace["traceEvents"] as? [[String: Any]] ?? [] {
            guard let line = sourceLine(of: event), line >= 1, line <= source.lineStarts.count else { continue }
            lines[String(line)] = source.lineText(line).trimmingCharacters(in: .whitespaces)
        }
        let record: [String: Any] = [
            "format": format, "version": version, "kernel": kernel, "source": source.path, "backend": backend, "target": target,
            "dims": dims.map { ["name": $0.name, "size": $0.size] }, "machine": machine, "source_lines": lines,
            "stats": stats, "trace": trace,
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// The line of a trace event's `args.source` (`path:line:col`), if known.
    static func sourceLine(of event: [String: Any]) -> Int? {
        guard let source = (event["args"] as? [String: Any])?["source"] as? String else { return nil }
        let parts = source.split(separator: ":")
        guard parts.count >= 3 else { return nil }
        return Int(parts[parts.count - 2])
    }

    static func parse(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }
}

/// A JSON number as a Double, whether the parser made it an integer or a float.
func number(_ value: Any?) -> Double? {
    switch value {
    case let value as Double: value
    case let value as Int: Double(value)
    case let value as NSNumber: value.doubleValue
    default: nil
    }
}
