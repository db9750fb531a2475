// BuildCommand.swift: `kiln build FILE --emit ...`: compile a kernel file to one of its stages.

import ArgumentParser
import KilnDriver
import KilnSource

/// `--dim NAME=SIZE`
struct DimBinding: ExpressibleByArgument {
    var name: String
    var size: Int

    init?(argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, let size = Int(parts[1]) else { return nil }
        name = parts[0]
        self.size = size
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

enum EmitKind: String, ExpressibleByArgument, CaseIterable {
    case ast
}

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Compile a kernel file and emit one stage of it.",
        discussion: "Example: kiln build Examples/softmax.kiln --emit ast --dim N=1024 --dim D=512"
    )

    @Argument(help: "The kernel file.")
    var file: String

    @Option(help: "What to emit: \(EmitKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var emit: EmitKind = .ast

    @Option(name: .customLong("dim"), help: ArgumentHelp("Bind a symbolic dim, e.g. --dim N=1024 (repeatable).", valueName: "NAME=SIZE"))
    var dims: [DimBinding] = []

    @Option(name: .shortAndLong, help: "Write the output here instead of standard output.")
    var output: String?

    @Flag(help: "Show each diagnostic's stable id.")
    var showIDs = false

    /// `--dim` flags as a dictionary; a name given twice is a usage error.
    func dimFlags() throws -> [String: Int] {
        var result: [String: Int] = [:]
        for binding in dims {
            if result[binding.name] != nil {
                throw ValidationError("--dim \(binding.name) is given more than once")
            }
            result[binding.name] = binding.size
        }
        return result
    }

    func run() throws {
        guard case .loaded(let source) = load(file) else { throw ExitCode(1) }
        let result = Driver.runFrontEnd(source)
        printError(result.renderedDiagnostics(showIDs: showIDs), terminator: "")
        if result.hasErrors { throw ExitCode(1) }
        let options = CompileOptions(dims: try dimFlags())
        let (bound, bindDiagnostics) = Driver.bindDims(result, options: options)
        if !bindDiagnostics.diagnostics.isEmpty {
            printError(DiagnosticRenderer(showIDs: showIDs).render(bindDiagnostics.sorted(), in: source), terminator: "")
        }
        if bindDiagnostics.hasErrors { throw ExitCode(1) }
        let text: String
        switch emit {
        case .ast: text = Driver.dumpAST(result, bound: bound)
        }
        try writeOutput(text, to: output)
    }
}
