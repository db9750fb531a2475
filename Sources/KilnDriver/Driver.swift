// Driver.swift: the Kiln pipeline, read top to bottom: source -> syntax -> checked program -> (later stages).

import KilnSource
import KilnSyntax

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a user asks of one compile: dim bindings and the target machine.
public struct CompileOptions: Sendable {
    public var dims: [String: Int]
    public var target: String

    public init(dims: [String: Int] = [:], target: String = "trn1") {
        self.dims = dims
        self.target = target
    }
}

/// The result of running the front end on one file: everything later stages and the CLI need.
public struct FrontEndResult: Sendable {
    public var source: SourceFile
    public var syntax: SourceFileSyntax
    public var diagnostics: DiagnosticBag

    public var hasErrors: Bool { diagnostics.hasErrors }

    /// All diagnostics rendered as `path:line:col: severity: message`, the line and a caret.
    public func renderedDiagnostics(showIDs: Bool = false) -> String {
        DiagnosticRenderer(showIDs: showIDs).render(diagnostics.sorted(), in: source)
    }
}

public enum DriverError: Error, CustomStringConvertible, Sendable {
    case cannotRead(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotRead(let path, let reason): "cannot read '\(path)': \(reason)"
        }
    }
}

public enum Driver {
    /// Reads a file's bytes; any byte sequence is accepted (the lexer reports what it cannot read).
    public static func loadSource(path: String) throws(DriverError) -> SourceFile {
        guard let handle = fopen(path, "rb") else {
            throw .cannotRead(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, handle)
            if count > 0 { bytes.append(contentsOf: buffer[0..<count]) }
            if count < buffer.count {
                if ferror(handle) != 0 { throw .cannotRead(path: path, reason: String(cString: strerror(errno))) }
                break
            }
        }
        return SourceFile(path: path, bytes: bytes)
    }

    /// The front end: lex and parse, then check names, dtypes and shapes.
    public static func runFrontEnd(_ source: SourceFile) -> FrontEndResult {
        let (syntax, diagnostics) = Parser.parse(source: source)
        return FrontEndResult(source: source, syntax: syntax, diagnostics: diagnostics)
    }
}
