// PassesCommand.swift: `kiln passes`: every registered pass with its origin and one-line summary.

import ArgumentParser
import KilnDriver

struct PassesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passes",
        abstract: "List the registered passes: name, origin (built-in or plugin path), summary."
    )

    @OptionGroup var plugins: PluginFlags

    @Flag(name: .customLong("show-ids"), help: "Show each diagnostic's stable id.")
    var showIDs = false

    func run() throws {
        try plugins.load(showIDs: showIDs)
        try writeOutput(Driver.passListing(), to: nil)
    }
}
