// PluginOptions.swift: `--load-plugin PATH` (repeatable) for every command that compiles, with errors located at the flag.

import ArgumentParser
import KilnDriver
import KilnSource

/// `--load-plugin PATH`: shared libraries whose passes and backends register beside the built-ins.
struct PluginFlags: ParsableArguments {
    @Option(name: .customLong("load-plugin"),
            help: ArgumentHelp("Load a Kiln plugin (a shared library); its passes and backends join the built-ins (repeatable).",
                               valueName: "PATH"))
    var paths: [String] = []

    /// Loads every plugin in command-line order. Each failure is reported at its flag's value on the
    /// command line (`<command line>:1:COL: error: ...` with a caret); any failure exits 1.
    func load(showIDs: Bool = false) throws {
        guard !paths.isEmpty else { return }
        let commandLine = CommandLineText(arguments: CommandLine.arguments)
        var failed = false
        for (occurrence, path) in paths.enumerated() {
            let span = commandLine.spanOfValue(flag: "--load-plugin", occurrence: occurrence)
            if let diagnostic = Driver.loadPlugin(path: path, at: span) {
                printError(DiagnosticRenderer(showIDs: showIDs).render([diagnostic], in: commandLine.source), terminator: "")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

/// The command line as one line of text, so diagnostics about a flag can point at it.
struct CommandLineText {
    let source: SourceFile
    /// Each argument and the byte offset where it starts in `source`.
    private let arguments: [(text: String, offset: Int)]

    init(arguments raw: [String]) {
        var text = ""
        var placed: [(text: String, offset: Int)] = []
        for (index, argument) in raw.enumerated() {
            let shown = index == 0 ? "kiln" : argument
            if index > 0 { text += " " }
            placed.append((shown, text.utf8.count))
            text += shown
        }
        source = SourceFile(path: "<command line>", text: text)
        arguments = placed
    }

    /// The span of the value of the `occurrence`-th (from 0) use of `flag`, as `--flag VALUE` or
    /// `--flag=VALUE`; unknown when the flag is not found that many times.
    func spanOfValue(flag: String, occurrence: Int) -> SourceSpan {
        var seen = 0
        var index = 1
        while index < arguments.count {
            let (text, offset) = arguments[index]
            var valueSpan: SourceSpan?
            if text == flag, index + 1 < arguments.count {
                let value = arguments[index + 1]
                valueSpan = source.span(value.offset, value.offset + value.text.utf8.count)
                index += 1
            } else if text.hasPrefix(flag + "=") {
                let start = offset + flag.utf8.count + 1
                valueSpan = source.span(start, offset + text.utf8.count)
            }
            if let valueSpan {
                if seen == occurrence { return valueSpan }
                seen += 1
            }
            index += 1
        }
        return .unknown
    }
}
