// BuildCommand+Backends.swift: `kiln build --emit NAME` for any registered backend (built-in or from a plugin).

import ArgumentParser
import KilnDriver
import KilnPluginAPI
import KilnSource

/// `--emit`: one of the built-in stages (`EmitKind`), or else the name of a registered backend.
struct EmitChoice: ExpressibleByArgument {
    /// The built-in stage, nil when `name` is to be looked up among the registered backends.
    var stage: EmitKind?
    var name: String

    init(_ stage: EmitKind) {
        self.stage = stage
        name = stage.rawValue
    }

    init?(argument: String) {
        guard !argument.isEmpty else { return nil }
        stage = EmitKind(rawValue: argument)
        name = argument
    }

    var defaultValueDescription: String { name }
}

extension BuildCommand {
    /// `--emit NAME` for a registered backend: the whole pipeline through `Driver.emit`; text output goes to
    /// stdout or -o, binary output needs -o; IR dumps and timings go to standard error first.
    func emitWithBackend(_ source: SourceFile, named name: String) throws {
        let emission = Driver.emit(source, dims: try dimFlags(), options: pipeline.options(target: pipeline.target ?? "trn1"),
                                   backend: name, dtypes: try dtypeFlags.resolved())
        if let run = emission.compilation.pipeline {
            if !run.irDumps.isEmpty { printError(run.irDumps, terminator: "") }
            if let timing = run.timingReport { printError(timing, terminator: "") }
        }
        printError(emission.renderedDiagnostics(showIDs: showIDs), terminator: "")
        guard let produced = emission.output else { throw ExitCode(1) }
        switch produced {
        case .text(let text):
            try writeOutput(text, to: output)
        case .binary(let bytes):
            guard let output else { throw ValidationError("backend '\(name)' writes a binary file; give -o FILE") }
            try writeOutput(bytes: bytes, to: output)
        }
    }
}
