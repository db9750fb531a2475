// PassesCommand.swift: `kiln passes`: every registered pass with its origin and one-line summary.

import ArgumentParser
import KilnDriver

struct PassesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passes",
        abstract: "List the registered passes: name, origin (built-in or plugin path), summary."
    )

    func run() throws {
        try writeOutput(Driver.passListing(), to: nil)
    }
}
