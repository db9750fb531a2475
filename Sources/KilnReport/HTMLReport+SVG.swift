// HTMLReport+SVG.swift: the report's two drawings as inline SVG: the engine timeline and the roofline.

import Foundation

extension HTMLReport {
    /// At most this many boxes are drawn (the longest ones), so a long run still gives a page a browser opens.
    static let maxBoxes = 20_000
    /// Ten distinct colours; a box takes the colour of its mnemonic (the legend lists them).
    static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                          "#9c755f", "#bab0ac"]

    /// One track per engine and DMA queue (`g.kiln-track`, `data-track`); each instruction a `g.kiln-box` with
    /// `data-label` (its source line), a tooltip, and the label drawn inside when the box is wide enough.
    static func timeline(_ model: ReportModel) -> String {
        let (labelWidth, plotWidth, trackHeight, top) = (80.0, 1080.0, 22.0, 20.0)
        let end = max(model.boxes.map { $0.start + $0.duration }.max() ?? 0, model.seconds * 1e6, 1e-9)
        let scale = plotWidth / end
        let height = top + Double(model.tracks.count) * (trackHeight + 4) + 4
        var drawn = model.boxes
        if drawn.count > maxBoxes { drawn = Array(drawn.sorted { $0.duration > $1.duration }.prefix(maxBoxes)) }
        let mnemonics = Array(Set(model.boxes.map(\.mnemonic))).sorted()
        func colour(_ mnemonic: String) -> String { palette[(mnemonics.firstIndex(of: mnemonic) ?? 0) % palette.count] }
        var svg = legend(mnemonics.map { ($0, colour($0)) })
        svg += "<svg class=\"kiln-timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(labelWidth + plotWidth + 10))\" "
            + "height=\"\(Int(height))\">\n"
        for tick in ticks(upTo: end) {
            let x = labelWidth + tick * scale
            svg += "<line x1=\"\(f(x))\" y1=\"\(f(top - 4))\" x2=\"\(f(x))\" y2=\"\(f(height))\" stroke=\"#e4e4e4\"/>"
                + "<text x=\"\(f(x + 2))\" y=\"\(f(top - 8))\" fill=\"#777\">\(format(tick)) µs</text>\n"
        }
        for (index, name) in model.tracks.enumerated() {
            let y = top + Double(index) * (trackHeight + 4)
            let boxes = drawn.filter { $0.track == index }
            svg += "<g class=\"kiln-track\" data-track=\"\(escape(name))\" data-boxes=\"\(boxes.count)\">"
                + "<text class=\"kiln-track-name\" x=\"4\" y=\"\(f(y + 15))\">\(escape(name))</text>"
                + "<rect x=\"\(f(labelWidth))\" y=\"\(f(y))\" width=\"\(f(plotWidth))\" height=\"\(f(trackHeight))\" fill=\"#f6f6f6\"/>\n"
            for box in boxes {
                let x = labelWidth + box.start * scale
                let width = max(0.5, box.duration * scale)
                let label = model.label(box)
                let text = box.line.flatMap { model.sourceLines[$0] }.map { ": " + $0 } ?? ""
                svg += "<g class=\"kiln-box\" data-label=\"\(escape(label))\"><title>\(escape(box.mnemonic)) · \(escape(label))"
                    + "\(escape(text)) · \(format(box.start))–\(format(box.start + box.duration)) µs</title>"
                    + "<rect x=\"\(f(x))\" y=\"\(f(y + 1))\" width=\"\(f(width))\" height=\"\(f(trackHeight - 2))\" fill=\"\(colour(box.mnemonic))\" "
                    + "stroke=\"#fff\" stroke-width=\"0.5\"/>"
                if let shown = ["\(box.mnemonic) \(label)", label].first(where: { width >= Double($0.count) * 6 + 4 }) {
                    svg += "<text x=\"\(f(x + 2))\" y=\"\(f(y + 15))\" fill=\"#fff\">\(escape(shown))</text>"
                }
                svg += "</g>\n"
            }
            svg += "</g>\n"
        }
        svg += "</svg>"
        let note = drawn.count < model.boxes.count
            ? "<p class=\"kiln-dim\">Showing the \(drawn.count) longest of \(model.boxes.count) instructions.</p>" : ""
        return svg + note
    }

    /// One coloured square and name per mnemonic.
    static func legend(_ entries: [(name: String, colour: String)]) -> String {
        "<p class=\"kiln-legend\">" + entries.map { name, colour in
            "<span style=\"background:\(colour)\"></span><code>\(escape(name))</code>"
        }.joined(separator: " ") + "</p>\n"
    }

    /// Arithmetic intensity (FLOP per DMA byte) against achieved FLOP/s, under the memory roof (bandwidth x
    /// intensity) and the compute roof (peak bf16 FLOP/s).
    static func roofline(_ model: ReportModel) -> String {
        guard let peak = model.peakFlops, let bandwidth = model.bandwidth, peak > 0, bandwidth > 0 else {
            return "<p class=\"kiln-roofline-missing\">The record has no machine peaks for target '\(escape(model.target))'.</p>"
        }
        guard model.hardwareFlops > 0, model.dmaBytes > 0, model.seconds > 0 else {
            return "<p class=\"kiln-roofline-missing\">This run has no FLOPs or no DMA bytes, so it has no roofline point.</p>"
        }
        let intensity = model.hardwareFlops / model.dmaBytes
        let achieved = model.hardwareFlops / model.seconds
        let ridge = peak / bandwidth
        let xLow = floor(log10(min(intensity, ridge))) - 1, xHigh = ceil(log10(max(intensity, ridge))) + 1
        let yHigh = ceil(log10(peak)) + 0.3, yLow = floor(log10(min(achieved, bandwidth * pow(10, xLow)))) - 0.3
        let (width, height, left, bottom) = (420.0, 280.0, 56.0, 30.0)
        func x(_ value: Double) -> Double { left + (log10(value) - xLow) / (xHigh - xLow) * (width - left - 10) }
        func y(_ value: Double) -> Double { (height - bottom) - (log10(value) - yLow) / (yHigh - yLow) * (height - bottom - 10) }
        var svg = "<svg class=\"kiln-roofline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\">\n"
        svg += "<rect x=\"\(f(left))\" y=\"10\" width=\"\(f(width - left - 10))\" height=\"\(f(height - bottom - 10))\" fill=\"#fafafa\" stroke=\"#ccc\"/>\n"
        for exponent in stride(from: xLow, through: xHigh, by: 1) {
            svg += "<text x=\"\(f(x(pow(10, exponent)) - 8))\" y=\"\(f(height - 14))\" fill=\"#777\">1e\(Int(exponent))</text>"
        }
        for exponent in stride(from: ceil(yLow), through: floor(yHigh), by: 1) {
            svg += "<text x=\"4\" y=\"\(f(y(pow(10, exponent)) + 4))\" fill=\"#777\">1e\(Int(exponent))</text>"
        }
        let xMin = pow(10, xLow), xMax = pow(10, xHigh)
        svg += "<polyline fill=\"none\" stroke=\"#e15759\" stroke-width=\"2\" points=\"\(f(x(xMin))),\(f(y(bandwidth * xMin))) "
            + "\(f(x(ridge))),\(f(y(peak))) \(f(x(xMax))),\(f(y(peak)))\"/>\n"
        svg += "<text x=\"\(f(x(ridge) + 4))\" y=\"\(f(y(peak) - 4))\" fill=\"#e15759\">peak \(format(peak)) FLOP/s</text>"
        svg += "<text x=\"\(f(left + 4))\" y=\"\(f(height - bottom - 6))\" fill=\"#e15759\">DMA \(format(bandwidth)) B/s</text>\n"
        svg += "<circle class=\"kiln-roofline-point\" cx=\"\(f(x(intensity)))\" cy=\"\(f(y(achieved)))\" r=\"5\" fill=\"#4e79a7\">"
            + "<title>\(format(intensity)) FLOP/byte, \(format(achieved)) FLOP/s</title></circle>"
        svg += "<text x=\"\(f(x(intensity) + 8))\" y=\"\(f(y(achieved) + 4))\" fill=\"#4e79a7\">this run</text>\n"
        svg += "<text x=\"\(f(width / 2 - 60))\" y=\"\(f(height - 2))\" fill=\"#444\">FLOP per DMA byte</text></svg>"
        return svg + "<p class=\"kiln-dim\">\(format(intensity)) FLOP/byte, \(format(achieved)) FLOP/s "
            + "(\(percent(achieved / min(peak, bandwidth * intensity))) of the roof at this intensity).</p>"
    }

    /// About eight round tick positions from 0 to `end`.
    static func ticks(upTo end: Double) -> [Double] {
        let raw = end / 8
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        return stride(from: 0, through: end, by: step).map { $0 }
    }

    static func f(_ value: Double) -> String { String(format: "%.2f", value) }
}
