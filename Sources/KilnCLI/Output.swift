// Output.swift: writing to standard error and loading files with CLI-style errors.

import ArgumentParser
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

/// Writes `text` to `path` (or standard output when nil) all at once: to a temporary file in the same
/// folder, then renamed over the destination, so a failure never leaves a half-written file.
func writeOutput(_ text: String, to path: String?) throws {
    guard let path else {
        FileHandle.standardOutput.write(Data(text.utf8))
        return
    }
    let destination = URL(fileURLWithPath: path)
    let temporary = destination.deletingLastPathComponent()
        .appendingPathComponent(".\(destination.lastPathComponent).kiln-tmp-\(ProcessInfo.processInfo.processIdentifier)")
    do {
        try Data(text.utf8).write(to: temporary)
        if FileManager.default.fileExists(atPath: destination.path) {
            _ = try FileManager.default.replaceItemAt(destination, withItemAt: temporary)
        } else {
            try FileManager.default.moveItem(at: temporary, to: destination)
        }
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        printError("kiln: error: cannot write '\(path)': \(error.localizedDescription)")
        throw ExitCode(1)
    }
}
