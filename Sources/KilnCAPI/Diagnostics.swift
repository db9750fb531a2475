// Diagnostics.swift: a kernel's or run's diagnostics as C structs (kiln_diagnostic) and rendered text.

import CKiln
import KilnSource

/// The diagnostics of one compile or run, with the C strings `kiln_diagnostics_get` hands out.
final class DiagnosticsObject: @unchecked Sendable {
    let entries: [kiln_diagnostic]
    let text: UnsafePointer<CChar>
    private let arena = CArena()

    /// `diagnostics` in source order; those with a known span are located in `source`.
    init(_ diagnostics: [Diagnostic], source: SourceFile?) {
        var entries: [kiln_diagnostic] = []
        for diagnostic in diagnostics {
            var entry = kiln_diagnostic()
            entry.id = arena.string(diagnostic.id.code)
            entry.name = arena.string(diagnostic.id.name)
            entry.severity = switch diagnostic.severity {
            case .note: KILN_NOTE
            case .warning: KILN_WARNING
            case .error: KILN_ERROR
            }
            entry.message = arena.string(diagnostic.message)
            if let source, diagnostic.span.isKnown {
                let position = source.lineColumn(of: diagnostic.span.start)
                entry.path = arena.string(source.path)
                entry.line = Int32(clamping: position.line)
                entry.column = Int32(clamping: position.column)
            } else {
                entry.path = arena.string("")
            }
            entries.append(entry)
        }
        self.entries = entries
        if let source {
            text = arena.string(DiagnosticRenderer().render(diagnostics, in: source))
        } else {
            text = arena.string(diagnostics.map { "kiln: \($0.severity.rawValue): \($0.message)\n" }.joined())
        }
    }
}

@_cdecl("kiln_diagnostics_count")
public func kilnDiagnosticsCount(_ handle: OpaquePointer?) -> Int {
    HandleTable.shared.lookup(handle, as: DiagnosticsObject.self, in: "kiln_diagnostics_count")?.entries.count ?? 0
}

@_cdecl("kiln_diagnostics_get")
public func kilnDiagnosticsGet(_ handle: OpaquePointer?, _ index: Int, _ out: UnsafeMutablePointer<kiln_diagnostic>?) -> kiln_status {
    let function = "kiln_diagnostics_get"
    guard let object = HandleTable.shared.lookup(handle, as: DiagnosticsObject.self, in: function) else { return KILN_ERROR_USAGE }
    guard let out else { return usageError(function, "out is NULL") }
    guard index >= 0, index < object.entries.count else {
        return usageError(function, "index \(index) is out of range (\(object.entries.count) diagnostics)")
    }
    out.pointee = object.entries[index]
    LastError.clear()
    return KILN_OK
}

@_cdecl("kiln_diagnostics_text")
public func kilnDiagnosticsText(_ handle: OpaquePointer?) -> UnsafePointer<CChar>? {
    HandleTable.shared.lookup(handle, as: DiagnosticsObject.self, in: "kiln_diagnostics_text")?.text
}

/// Sets the thread's last error to `function: problem` and returns KILN_ERROR_USAGE.
func usageError(_ function: String, _ problem: String) -> kiln_status {
    LastError.set("\(function): \(problem)")
    return KILN_ERROR_USAGE
}
