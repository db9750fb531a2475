// Backend.swift: the one protocol every backend (built-in sim and llvm, and plugins) conforms to.

import KilnMachine
import KilnSource
import KilnTileIR

/// A backend: turns the tile IR the pass pipeline produced into an artifact (bytecode, LLVM IR, a graph).
/// It has a stable kebab-case name (`kiln build --emit NAME`, `kiln backends`), says what it writes, and
/// reports problems by throwing `BackendFailure` with diagnostics located in the kernel source.
public protocol Backend: Sendable {
    /// The stable name: lower-case words joined by `-`.
    var name: String { get }
    /// One line, for listings.
    var summary: String { get }
    /// The extension of the files it writes, without the dot (`kbc`, `ll`, `dot`).
    var fileExtension: String { get }
    /// Whether its output is text (printable on standard output) or binary (needs `-o`).
    var outputKind: BackendOutputKind { get }
    /// Emits `module` (the IR after the pass pipeline).
    func emit(module: Module, context: BackendContext) throws(BackendFailure) -> BackendOutput
}

/// Text or binary output.
public enum BackendOutputKind: String, Sendable {
    case text, binary
}

/// What a backend emitted.
public enum BackendOutput: Sendable, Equatable {
    case text(String)
    case binary([UInt8])

    /// The bytes to write to a file.
    public var bytes: [UInt8] {
        switch self {
        case .text(let text): Array(text.utf8)
        case .binary(let bytes): bytes
        }
    }
}

/// What a backend can see besides the module: the target machine, the kernel source the module's spans
/// point into (for line numbers), and the function to emit (nil: the module's kernel).
public struct BackendContext: Sendable {
    public var target: MachineTarget
    public var kernelSource: SourceFile?
    public var function: String?

    public init(target: MachineTarget, kernelSource: SourceFile? = nil, function: String? = nil) {
        self.target = target
        self.kernelSource = kernelSource
        self.function = function
    }

    /// `line:col` of `span` in the kernel source, or nil when either is unknown.
    public func lineColumn(of span: SourceSpan) -> LineColumn? {
        guard span.isKnown, let kernelSource else { return nil }
        return kernelSource.lineColumn(of: span.start)
    }
}

/// A backend that cannot emit the module, with diagnostics saying why.
public struct BackendFailure: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public var description: String { diagnostics.map(\.message).joined(separator: "\n") }
}
