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

/// Writes `text` to `path` (or standard output when nil); see `writeOutput(bytes:to:)`.
func writeOutput(_ text: String, to path: String?) throws {
    try writeOutput(bytes: Array(text.utf8), to: path)
}

/// Writes `bytes` to `path` (or standard output when nil) all at once: to a temporary file in the same
/// folder, then `rename(2)`d over the destination, so a failure never leaves a half-written file. A path
/// that is not a regular file (`/dev/null`, a pipe) is written directly.
func writeOutput(bytes: [UInt8], to path: String?) throws {
    guard let path else {
        FileHandle.standardOutput.write(Data(bytes))
        return
    }
    var status = stat()
    if stat(path, &status) == 0, (status.st_mode & S_IFMT) != S_IFREG {
        guard let handle = FileHandle(forWritingAtPath: path) else {
            printError("kiln: error: cannot write '\(path)'")
            throw ExitCode(1)
        }
        handle.write(Data(bytes))
        return
    }
    let destination = URL(fileURLWithPath: path)
    let temporary = destination.deletingLastPathComponent()
        .appendingPathComponent(".\(destination.lastPathComponent).kiln-tmp-\(ProcessInfo.processInfo.processIdentifier)")
    do {
        try Data(bytes).write(to: temporary)
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        printError("kiln: error: cannot write '\(path)': \(error.localizedDescription)")
        throw ExitCode(1)
    }
    if rename(temporary.path, destination.path) != 0 {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(at: temporary)
        printError("kiln: error: cannot write '\(path)': \(reason)")
        throw ExitCode(1)
    }
}
