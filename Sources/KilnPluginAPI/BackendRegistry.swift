// BackendRegistry.swift: the registry of backends by stable kebab-case name, with where each came from.

/// A registered backend and its origin (`built-in` or the plugin's path).
public struct RegisteredBackend: Sendable {
    public var backend: any Backend
    public var origin: PassOrigin
}

/// Why a backend could not be registered.
public enum BackendRegistrationError: Error, Equatable, CustomStringConvertible {
    case invalidName(String)
    case nameClash(name: String, existing: PassOrigin, new: PassOrigin)

    public var description: String {
        switch self {
        case .invalidName(let name):
            "invalid backend name '\(name)': backend names are lower-case words of letters and digits joined by '-'"
        case .nameClash(let name, let existing, let new):
            "backend '\(name)' from \(new) clashes with the backend of that name from \(existing)"
        }
    }
}

/// Backends by name. The built-in backends and plugins register here; `kiln build --emit NAME` looks up here.
public final class BackendRegistry {
    private var entries: [String: RegisteredBackend] = [:]

    public init() {}

    /// Registers a backend under its name; the name must be kebab-case and not taken.
    public func register(_ backend: any Backend, origin: PassOrigin = .builtIn) throws(BackendRegistrationError) {
        guard PassRegistry.isValidName(backend.name) else { throw .invalidName(backend.name) }
        if let existing = entries[backend.name] {
            throw .nameClash(name: backend.name, existing: existing.origin, new: origin)
        }
        entries[backend.name] = RegisteredBackend(backend: backend, origin: origin)
    }

    public func backend(named name: String) -> (any Backend)? {
        entries[name]?.backend
    }

    public func entry(named name: String) -> RegisteredBackend? {
        entries[name]
    }

    /// All names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// All registered backends, sorted by name.
    public var all: [RegisteredBackend] { names.compactMap { entries[$0] } }

    /// `kiln backends`: one line per backend: name, output (`.ext text|binary`), origin, summary, aligned.
    public func listing() -> String {
        let rows = all.map { entry in
            [entry.backend.name, ".\(entry.backend.fileExtension) \(entry.backend.outputKind.rawValue)",
             entry.origin.description, entry.backend.summary]
        }
        let widths = (0..<3).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            (0..<3).map { row[$0] + String(repeating: " ", count: widths[$0] - row[$0].count) + "  " }.joined() + row[3] + "\n"
        }.joined()
    }
}
