// CheckCommand.swift: `kiln check FILE...`: parse and check, diagnostics only.

import ArgumentParser
import KilnDriver

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Parse and check kernel files; print every diagnostic, exit 1 on errors.",
        discussion: "Diagnostics look like 'file.kiln:12:9: error: message', then the line and a caret."
    )

    @Argument(help: "Kernel files to check.")
    var files: [String]

    @OptionGroup var dtypeFlags: DTypeFlags

    @Flag(name: .customLong("show-ids"), help: "Show each diagnostic's stable id, e.g. [K2001].")
    var showIDs = false

    func run() throws {
        var failed = false
        for path in files {
            let source: SourceFileLoad = load(path)
            guard case .loaded(let file) = source else {
                failed = true
                continue
            }
            // A generic kernel whose dtype parameters nothing binds is checked at every dtype of their bounds.
            let result = Driver.checkEveryInstantiation(file, dtypes: try dtypeFlags.resolved())
            printError(result.renderedDiagnostics(showIDs: showIDs), terminator: "")
            if result.hasErrors { failed = true }
        }
        if failed { throw ExitCode(1) }
    }
}
