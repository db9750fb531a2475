// HTMLReport.swift: a run record as one self-contained HTML page: timeline, utilization, roofline, top instructions.

import Foundation

/// The report `kiln report RUN.json -o report.html` writes and the Python package shows in notebooks: inline
/// CSS and SVG only (no script, no network), every class prefixed `kiln-` so it can sit inside another page.
/// Sections: a timeline with one track per engine and DMA queue, each instruction a box labelled with its
/// kernel source line; busy time and utilization per engine; the run as a point under the target's roofline
/// (arithmetic intensity = hardware FLOPs / DMA bytes against peak bf16 FLOP/s and DMA bandwidth); the
/// instructions that took the most time, grouped by mnemonic and source line.
public enum HTMLReport {
    /// The page for a run record (`RunRecord`), or why the record cannot be drawn.
    public static func render(recordJSON: String) -> Result<String, ReportError> {
        do {
            let model = try ReportModel(recordJSON: recordJSON)
            return .success(page(model))
        } catch {
            return .failure(error)
        }
    }

    static func page(_ model: ReportModel) -> String {
        let dims = model.dims.map { "\($0.name)=\($0.size)" }.joined(separator: " ")
        let title = "kiln report: \(model.kernel) on \(model.target)"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
            <style>\(style)</style></head>
            <body><div class="kiln-report">
            <h1>\(escape(model.kernel)) <span class="kiln-dim">\(escape(model.source)) · \(escape(model.target))\
            \(dims.isEmpty ? "" : " · " + escape(dims))</span></h1>
            <p class="kiln-summary">\(format(model.seconds * 1e6)) µs simulated · HFU \(percent(model.hfu)) · \
            MFU \(percent(model.mfu)) · MBU \(percent(model.mbu)) · \(format(model.hardwareFlops)) FLOP · \
            \(format(model.dmaBytes)) DMA bytes</p>
            <h2>Timeline</h2>
            \(timeline(model))
            <div class="kiln-row">
            <div><h2>Utilization</h2>\(utilization(model))</div>
            <div><h2>Roofline</h2>\(roofline(model))</div>
            </div>
            <h2>Top instructions by time</h2>
            \(topInstructions(model))
            </div></body></html>

            """
    }

    static let style = """
        .kiln-report{font:13px/1.4 system-ui,sans-serif;color:#222;max-width:1200px;margin:12px}
        .kiln-report h1{font-size:18px;margin:4px 0}.kiln-report h2{font-size:15px;margin:16px 0 6px}
        .kiln-dim{color:#777;font-weight:normal;font-size:13px}.kiln-summary{margin:2px 0 8px}
        .kiln-row{display:flex;gap:40px;flex-wrap:wrap}
        .kiln-report table{border-collapse:collapse}.kiln-report td,.kiln-report th{padding:2px 8px;text-align:right}
        .kiln-report th{border-bottom:1px solid #bbb}.kiln-report td.kiln-text,.kiln-report th.kiln-text{text-align:left}
        .kiln-bar{background:#4e79a7;height:10px}.kiln-bar-lane{background:#eee;width:160px}
        .kiln-report code{font:12px ui-monospace,monospace}
        .kiln-report svg text{font:11px system-ui,sans-serif}
        .kiln-legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}
        """

    /// Busy time, utilization bar and instruction count per engine and DMA queue.
    static func utilization(_ model: ReportModel) -> String {
        var rows = ""
        for engine in model.engines {
            let width = max(0, min(100, engine.utilization * 100))
            rows += "<tr class=\"kiln-engine\" data-engine=\"\(escape(engine.name))\"><td class=\"kiln-text\">\(escape(engine.name))</td>"
                + "<td>\(format(engine.busyNanoseconds / 1e3))</td><td>\(percent(engine.utilization))</td>"
                + "<td><div class=\"kiln-bar-lane\"><div class=\"kiln-bar\" style=\"width:\(String(format: "%.1f", width))%\"></div></div></td>"
                + "<td>\(engine.instructions)</td></tr>\n"
        }
        return "<table class=\"kiln-utilization\"><tr><th class=\"kiln-text\">engine</th><th>busy µs</th><th>utilization</th>"
            + "<th></th><th>instructions</th></tr>\n\(rows)</table>"
    }

    /// The instructions grouped by mnemonic and source line, the twelve with the most time.
    static func topInstructions(_ model: ReportModel) -> String {
        struct Group { var mnemonic: String; var line: Int?; var tracks: Set<String>; var count: Int; var time: Double }
        var groups: [String: Group] = [:]
        for box in model.boxes {
            let key = "\(box.mnemonic)@\(box.line ?? 0)"
            var group = groups[key] ?? Group(mnemonic: box.mnemonic, line: box.line, tracks: [], count: 0, time: 0)
            group.tracks.insert(model.tracks[box.track])
            group.count += 1
            group.time += box.duration
            groups[key] = group
        }
        let total = model.seconds * 1e6
        var rows = ""
        for (rank, group) in groups.values.sorted(by: { ($0.time, $1.mnemonic) > ($1.time, $0.mnemonic) }).prefix(12).enumerated() {
            let line = group.line.map { "\($0)" } ?? "?"
            let text = group.line.flatMap { model.sourceLines[$0] } ?? ""
            let tracks = group.tracks.sorted { ReportModel.order($0) < ReportModel.order($1) }.joined(separator: " ")
            rows += "<tr class=\"kiln-top\"><td>\(rank + 1)</td><td class=\"kiln-text\"><code>\(escape(group.mnemonic))</code></td>"
                + "<td class=\"kiln-text\">\(escape(tracks))</td><td>\(line)</td><td class=\"kiln-text\"><code>\(escape(text))</code></td>"
                + "<td>\(group.count)</td><td>\(format(group.time))</td><td>\(total > 0 ? percent(group.time / total) : "-")</td></tr>\n"
        }
        return "<table class=\"kiln-top-instructions\"><tr><th>#</th><th class=\"kiln-text\">instruction</th>"
            + "<th class=\"kiln-text\">tracks</th><th>line</th><th class=\"kiln-text\">source</th><th>count</th>"
            + "<th>total µs</th><th>of run time</th></tr>\n\(rows)</table>"
            + "<p class=\"kiln-dim\">Engines overlap, so the shares can add up to more than 100%.</p>"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A number with three significant digits and an SI prefix (k, M, G, T).
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        let prefixes: [(Double, String)] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
        for (scale, prefix) in prefixes where abs(value) >= scale { return String(format: "%.3g", value / scale) + prefix }
        return String(format: "%.3g", value)
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }
}
