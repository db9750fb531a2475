// TraceJSON.swift: a run's timeline as Chrome Trace Event JSON: one track per engine and DMA queue.

import KilnBytecode

extension SimulationResult {
    /// Chrome Trace Event Format (`chrome://tracing`, Perfetto): complete events (`ph: X`) in microseconds,
    /// one thread per stream (named by thread_name metadata), each event named `mnemonic file:line` with the
    /// stream, instruction index and source position in `args`.
    public func traceJSON() -> String {
        var tracks: [StreamUnit] = []
        for event in trace where !tracks.contains(event.site.unit) { tracks.append(event.site.unit) }
        tracks.sort()
        var events: [[String: Any]] = tracks.enumerated().map { index, unit in
            ["name": "thread_name", "ph": "M", "pid": 1, "tid": index, "args": ["name": unit.description]]
        }
        events.append(["name": "process_name", "ph": "M", "pid": 1, "tid": 0, "args": ["name": "kiln sim (\(stats.target))"]])
        for event in trace {
            let site = event.site
            let file = site.sourcePath.split(separator: "/").last.map(String.init) ?? site.sourcePath
            let location = site.line.isKnown ? " \(file):\(site.line.line)" : ""
            events.append([
                "name": site.mnemonic + location, "cat": site.unit.engine.rawValue, "ph": "X", "pid": 1,
                "tid": tracks.firstIndex(of: site.unit) ?? 0, "ts": event.startNanoseconds / 1e3,
                "dur": event.durationNanoseconds / 1e3,
                "args": ["stream": site.unit.description, "index": site.index,
                         "source": site.line.isKnown ? "\(site.sourcePath):\(site.line.line):\(site.line.column)" : "?"],
            ])
        }
        return JSONText.encode(["traceEvents": events, "displayTimeUnit": "ns"])
    }
}
