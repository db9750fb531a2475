// ReportCommand.swift: `kiln report RUN.json -o report.html`: a simulated run as one self-contained HTML page.

import ArgumentParser
import Foundation
import KilnReport

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Draw a simulated run: engine timelines, utilization, roofline and top instructions, as one HTML file.",
        discussion: """
            Examples: kiln run Examples/matmul.kiln --backend sim --random 1 --run-json run.json
                      kiln report run.json -o report.html
            RUN.json is a run record: what --run-json writes (or Result.save(path) in the Python package): the \
            stats of --stats-json, the timeline of --trace, the target's peak FLOP/s and DMA bandwidth, and the \
            source lines the timeline names. The page has no script and loads nothing from the network.
            """
    )

    @Argument(help: "The run record (written by kiln run --run-json).")
    var record: String

    @Option(name: [.short, .long], help: "The HTML file to write (default: standard output).")
    var output: String?

    func run() throws {
        guard case .loaded(let file) = load(record) else { throw ExitCode(1) }
        switch HTMLReport.render(recordJSON: String(decoding: file.bytes, as: UTF8.self)) {
        case .success(let html):
            try writeOutput(html, to: output)
        case .failure(let error):
            printError("\(record): error: \(error)")
            throw ExitCode(1)
        }
    }
}
