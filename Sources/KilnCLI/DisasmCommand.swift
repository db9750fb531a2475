// DisasmCommand.swift: `kiln disasm FILE.kbc`: a bytecode file as text, each stream with its source lines.

import ArgumentParser
import Foundation
import KilnBytecode
import KilnDriver

struct DisasmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disasm",
        abstract: "Print a simulator bytecode file: its tables, then each engine's and DMA queue's instructions.",
        discussion: """
            Example: kiln disasm softmax.kbc
            Each instruction ends with '; file:line:col' and, when the kernel source can be read, that line's text.
            """
    )

    @Argument(help: "The bytecode file (*.kbc).")
    var file: String

    func run() throws {
        let program = try loadBytecode(file)
        let source = program.sourcePath.isEmpty ? nil : try? Driver.loadSource(path: program.sourcePath)
        let text = BytecodeDisassembler(program, sourceLine: { line in
            guard let source, line <= source.lineStarts.count else { return nil }
            return source.lineText(line)
        }).render()
        try writeOutput(text, to: nil)
    }
}

/// Reads and validates a bytecode file, printing `FILE: error: at byte N: ...` and exiting 1 on any problem.
func loadBytecode(_ path: String) throws -> BytecodeProgram {
    guard let data = FileManager.default.contents(atPath: path) else {
        printError("kiln: error: cannot read '\(path)'")
        throw ExitCode(1)
    }
    do {
        return try BytecodeValidator.load([UInt8](data))
    } catch {
        printError("\(path): error: \(error)")
        throw ExitCode(1)
    }
}
