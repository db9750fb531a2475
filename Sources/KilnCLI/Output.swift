// Output.swift: writing to standard error and loading files with CLI-style errors.

import Foundation
import KilnDriver
import KilnSource

/// Writes to standard error (diagnostics never go to standard output).
func printError(_ text: String, terminator: String = "\n") {
    let all = text + terminator
    guard !all.isEmpty else { return }
    FileHandle.standardError.write(Data(all.utf8))
}

enum SourceFileLoad {
    case loaded(SourceFile)
    case failed
}

/// Loads a source file, reporting `kiln: error: cannot read ...` on failure.
func load(_ path: String) -> SourceFileLoad {
    do {
        return .loaded(try Driver.loadSource(path: path))
    } catch {
        printError("kiln: error: \(error)")
        return .failed
    }
}
