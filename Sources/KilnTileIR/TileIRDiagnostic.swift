// TileIRDiagnostic.swift: diagnostics about tile IR, located in the kernel source or in the IR text, and their rendering.

import KilnSource

/// Which file a tile IR diagnostic's span points into.
public enum SpanOrigin: String, Sendable, Hashable {
    /// The kernel source the op came from (`loc(...)`, byte offsets into `Module.sourcePath`).
    case kernelSource
    /// The `.tir` text the op was parsed from (for ops without a kernel location).
    case irText
}

/// A diagnostic and the file its span is in.
public struct TileIRDiagnostic: Sendable, Equatable {
    public var diagnostic: Diagnostic
    public var origin: SpanOrigin

    public init(_ diagnostic: Diagnostic, origin: SpanOrigin) {
        self.diagnostic = diagnostic
        self.origin = origin
    }

    /// Locates a diagnostic at an op: at its kernel source span if known, else at its place in the IR text.
    public static func at(_ op: Operation, _ make: (SourceSpan) -> Diagnostic) -> TileIRDiagnostic {
        op.span.isKnown ? TileIRDiagnostic(make(op.span), origin: .kernelSource)
                        : TileIRDiagnostic(make(op.textSpan), origin: .irText)
    }

    /// Locates a diagnostic at a function (its kernel span, else its IR text span).
    public static func at(_ function: Function, _ make: (SourceSpan) -> Diagnostic) -> TileIRDiagnostic {
        function.span.isKnown ? TileIRDiagnostic(make(function.span), origin: .kernelSource)
                              : TileIRDiagnostic(make(function.textSpan), origin: .irText)
    }

    public var severity: Severity { diagnostic.severity }
}

/// Renders tile IR diagnostics with whichever files are at hand: kernel-source diagnostics against the
/// kernel source (or as `path@start:end` byte offsets when it is not available), IR-text diagnostics
/// against the `.tir` file.
public struct TileIRDiagnosticRenderer: Sendable {
    public var kernelSource: SourceFile?
    public var kernelSourcePath: String?
    public var irText: SourceFile?
    public var renderer: DiagnosticRenderer

    public init(kernelSource: SourceFile? = nil, kernelSourcePath: String? = nil, irText: SourceFile? = nil,
                renderer: DiagnosticRenderer = DiagnosticRenderer()) {
        self.kernelSource = kernelSource
        self.kernelSourcePath = kernelSourcePath ?? kernelSource?.path
        self.irText = irText
        self.renderer = renderer
    }

    public func render(_ diagnostics: [TileIRDiagnostic]) -> String {
        diagnostics.map(render).joined()
    }

    public func render(_ located: TileIRDiagnostic) -> String {
        let file = located.origin == .kernelSource ? kernelSource : irText
        if let file { return renderer.render(located.diagnostic, in: file) }
        let diagnostic = located.diagnostic
        let path = (located.origin == .kernelSource ? kernelSourcePath : irText?.path) ?? "<tile-ir>"
        let place = diagnostic.span.isKnown ? "\(path)@\(diagnostic.span.start):\(diagnostic.span.end)" : path
        var out = "\(place): \(diagnostic.severity.rawValue): \(diagnostic.message)\n"
        for note in diagnostic.notes { out += "\(path): note: \(note.message)\n" }
        return out
    }
}
