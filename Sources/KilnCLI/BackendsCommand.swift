// BackendsCommand.swift: `kiln backends`: every registered backend with its output, origin and summary.

import ArgumentParser
import KilnDriver

struct BackendsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backends",
        abstract: "List the registered backends: name, output (.ext text|binary), origin (built-in or plugin path), summary.",
        discussion: "Example: kiln backends --load-plugin Examples/Plugins/DotGraph/.build/debug/libDotGraph.so"
    )

    @OptionGroup var plugins: PluginFlags

    @Flag(name: .customLong("show-ids"), help: "Show each diagnostic's stable id.")
    var showIDs = false

    func run() throws {
        try plugins.load(showIDs: showIDs)
        try writeOutput(Driver.backendListing(), to: nil)
    }
}
