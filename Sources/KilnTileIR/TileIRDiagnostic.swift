// TileIRDiagnostic.swift: locating diagnostics at tile IR ops (in the kernel source or the IR text) and rendering them.

import KilnSource

extension Diagnostic {
    /// Locates a diagnostic at an op: at its kernel source span if known, else at its place in the IR text.
    /// The span names its file, so the diagnostic needs nothing beside it to be rendered.
    public static func at(_ op: Operation, _ make: (SourceSpan) -> Diagnostic) -> Diagnostic {
        make(op.span.isKnown ? op.span : op.textSpan)
    }

    /// Locates a diagnostic at a function (its kernel span, else its IR text span).
    public static func at(_ function: Function, _ make: (SourceSpan) -> Diagnostic) -> Diagnostic {
        make(function.span.isKnown ? function.span : function.textSpan)
    }
}

/// Renders tile IR diagnostics with whichever files are at hand: each diagnostic against the file its span
/// names (the kernel source or the `.tir` text), as `path@start:end` byte offsets when that file is not at
/// hand, and a diagnostic with no position against the IR text (else the kernel source).
public struct TileIRDiagnosticRenderer: Sendable {
    /// The loaded files by the name spans use for them (`SourceSpan.file`).
    public var files: [String: SourceFile]
    public var irText: SourceFile?
    public var kernelSource: SourceFile?
    public var renderer: DiagnosticRenderer

    /// `kernelSourceName` is the name the IR's spans use for the kernel source (the module's
    /// `source "path"`), when the file was found under another path.
    public init(kernelSource: SourceFile? = nil, kernelSourceName: String? = nil, irText: SourceFile? = nil,
                renderer: DiagnosticRenderer = DiagnosticRenderer()) {
        var files: [String: SourceFile] = [:]
        if let kernelSource {
            files[kernelSource.path] = kernelSource
            if let kernelSourceName { files[kernelSourceName] = kernelSource }
        }
        if let irText { files[irText.path] = irText }
        self.files = files
        self.irText = irText
        self.kernelSource = kernelSource
        self.renderer = renderer
    }

    public func render(_ diagnostics: [Diagnostic]) -> String {
        diagnostics.map(render).joined()
    }

    public func render(_ diagnostic: Diagnostic) -> String {
        let span = diagnostic.span
        if !span.isKnown, let file = irText ?? kernelSource { return renderer.render(diagnostic, in: file) }
        if span.isKnown, let file = files[span.file] { return renderer.render(diagnostic, in: file) }
        let path = span.file.isEmpty ? "<tile-ir>" : span.file
        let place = span.isKnown ? "\(path)@\(span.start):\(span.end)" : path
        var out = "\(place): \(diagnostic.severity.rawValue): \(diagnostic.message)\n"
        for note in diagnostic.notes { out += "\(path): note: \(note.message)\n" }
        return out
    }
}
