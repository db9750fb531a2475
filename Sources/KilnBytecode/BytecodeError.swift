// BytecodeError.swift: the error a malformed bytecode file produces: a diagnostic at a byte offset.

import KilnSource

/// A problem with a bytecode file (or with building one). `diagnostic.span` is the byte range of the
/// offending field in the file when known; `description` names the byte offset and what is wrong.
public struct BytecodeError: Error, Sendable, CustomStringConvertible {
    public var diagnostic: Diagnostic

    public init(_ diagnostic: Diagnostic) {
        self.diagnostic = diagnostic
    }

    /// The byte offset of the problem in the file, if it is about a place in the file.
    public var byteOffset: Int? { diagnostic.span.isKnown ? diagnostic.span.start : nil }

    public var description: String {
        let place = byteOffset.map { "at byte \($0) (0x\(String($0, radix: 16))): " } ?? ""
        return "\(place)\(diagnostic.message) [\(diagnostic.id.code)]"
    }
}
