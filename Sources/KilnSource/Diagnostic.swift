// Diagnostic.swift: diagnostics as data (stable id, severity, message, span, notes) and their collector.

public enum Severity: String, Sendable, Comparable {
    case note, warning, error

    public static func < (lhs: Severity, rhs: Severity) -> Bool {
        let order: [Severity] = [.note, .warning, .error]
        return order.firstIndex(of: lhs)! < order.firstIndex(of: rhs)!
    }
}

/// A secondary message attached to a diagnostic, optionally at its own place in the source.
public struct DiagnosticNote: Sendable, Equatable {
    public var message: String
    public var span: SourceSpan?
    public init(_ message: String, at span: SourceSpan? = nil) {
        self.message = message
        self.span = span
    }
}

/// One diagnostic. Built only through the factories in `DiagnosticCatalogue`, so every id is listed in one place.
public struct Diagnostic: Sendable, Equatable {
    public var id: DiagnosticID
    public var severity: Severity
    public var message: String
    public var span: SourceSpan
    public var notes: [DiagnosticNote]

    public init(id: DiagnosticID, severity: Severity, message: String, span: SourceSpan, notes: [DiagnosticNote] = []) {
        self.id = id
        self.severity = severity
        self.message = message
        self.span = span
        self.notes = notes
    }

    public func with(note: String, at span: SourceSpan? = nil) -> Diagnostic {
        var copy = self
        copy.notes.append(DiagnosticNote(note, at: span))
        return copy
    }
}

/// Collects diagnostics for one file. Errors never stop a stage; the stage records and recovers.
/// After `errorLimit` errors further errors are dropped and one "too many errors" error is kept.
public struct DiagnosticBag: Sendable {
    public private(set) var diagnostics: [Diagnostic] = []
    public let errorLimit: Int
    private var droppedErrors = 0

    public init(errorLimit: Int = 100) {
        self.errorLimit = errorLimit
    }

    public var errorCount: Int { diagnostics.filter { $0.severity == .error }.count }
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    public mutating func report(_ diagnostic: Diagnostic) {
        if diagnostic.severity == .error {
            if errorCount >= errorLimit {
                droppedErrors += 1
                return
            }
        }
        diagnostics.append(diagnostic)
    }

    /// Drops repeats of an identical diagnostic (same id, span and message), keeping the first: one generic
    /// body checked once per dtype reports each of its errors once.
    public mutating func removeDuplicates() {
        var kept: [Diagnostic] = []
        for diagnostic in diagnostics where !kept.contains(diagnostic) { kept.append(diagnostic) }
        diagnostics = kept
    }

    public mutating func append(contentsOf other: DiagnosticBag) {
        for diagnostic in other.diagnostics { report(diagnostic) }
        droppedErrors += other.droppedErrors
    }

    /// The diagnostics in source order, with a final note if errors were dropped.
    public func sorted() -> [Diagnostic] {
        var result = diagnostics.enumerated().sorted { lhs, rhs in
            let (a, b) = (lhs.element.span.start, rhs.element.span.start)
            return a != b ? a < b : lhs.offset < rhs.offset
        }.map(\.element)
        if droppedErrors > 0, let last = result.last {
            result.append(DiagnosticCatalogue.tooManyErrors(dropped: droppedErrors, limit: errorLimit, at: last.span))
        }
        return result
    }
}
