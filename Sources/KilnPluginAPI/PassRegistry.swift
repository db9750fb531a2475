// PassRegistry.swift: the registry of passes by stable kebab-case name, with where each came from.

/// Where a registered pass comes from.
public enum PassOrigin: Hashable, Sendable, CustomStringConvertible {
    case builtIn
    /// A plugin loaded from this path.
    case plugin(path: String)

    public var description: String {
        switch self {
        case .builtIn: "built-in"
        case .plugin(let path): path
        }
    }
}

/// A registered pass and its origin.
public struct RegisteredPass: Sendable {
    public var pass: any Pass
    public var origin: PassOrigin
}

/// Why a pass could not be registered.
public enum PassRegistrationError: Error, Equatable, CustomStringConvertible {
    case invalidName(String)
    case nameClash(name: String, existing: PassOrigin, new: PassOrigin)

    public var description: String {
        switch self {
        case .invalidName(let name):
            "invalid pass name '\(name)': pass names are lower-case words of letters and digits joined by '-' (e.g. 'double-buffer')"
        case .nameClash(let name, let existing, let new):
            "pass '\(name)' from \(new) clashes with the pass of that name from \(existing)"
        }
    }
}

/// Passes by name. Built-in passes and plugins register here; the pass manager looks names up here.
/// Reference type so plugin entry points can be handed the one registry the driver owns.
public final class PassRegistry {
    private var entries: [String: RegisteredPass] = [:]

    public init() {}

    /// Registers a pass under its name; the name must be kebab-case and not taken.
    public func register(_ pass: any Pass, origin: PassOrigin = .builtIn) throws(PassRegistrationError) {
        guard PassRegistry.isValidName(pass.name) else { throw .invalidName(pass.name) }
        if let existing = entries[pass.name] {
            throw .nameClash(name: pass.name, existing: existing.origin, new: origin)
        }
        entries[pass.name] = RegisteredPass(pass: pass, origin: origin)
    }

    public func pass(named name: String) -> (any Pass)? {
        entries[name]?.pass
    }

    public func entry(named name: String) -> RegisteredPass? {
        entries[name]
    }

    /// All names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// All registered passes, sorted by name.
    public var all: [RegisteredPass] { names.compactMap { entries[$0] } }

    /// `kiln passes`: one line per pass: name, origin, summary, in aligned columns; under a pass that takes
    /// options, one line per option: `name=values`, help and default.
    public func listing() -> String {
        let rows = all
        let nameWidth = rows.map(\.pass.name.count).max() ?? 0
        let originWidth = rows.map(\.origin.description.count).max() ?? 0
        func padded(_ text: String, _ width: Int) -> String {
            text + String(repeating: " ", count: max(0, width - text.count))
        }
        let indent = String(repeating: " ", count: nameWidth + 2)
        return rows.map { row in
            let options = row.pass.options
            let optionWidth = options.map { $0.name.count + 3 + $0.values.description.count }.max() ?? 0
            return padded(row.pass.name, nameWidth) + "  " + padded(row.origin.description, originWidth) + "  "
                + row.pass.summary + "\n"
                + options.map { option in
                    indent + padded("{" + option.name + "=" + option.values.description + "}", optionWidth) + "  " + option.help
                        + " (default: " + option.defaultDescription + ")\n"
                }.joined()
        }.joined()
    }

    /// Lower-case ASCII letters and digits, in words joined by single `-`, starting with a letter.
    public static func isValidName(_ name: String) -> Bool {
        let words = name.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return words.allSatisfy { word in
            !word.isEmpty && word.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
        }
    }
}
