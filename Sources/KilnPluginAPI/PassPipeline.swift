// PassPipeline.swift: pipeline strings (`fuse,tile,allocate`) parsed into passes, and the default pipeline per target.

import KilnMachine
import KilnTileIR

/// A parsed pipeline: the passes to run, in order.
public struct PassPipeline: Sendable {
    public var passes: [any Pass]
    public var names: [String] { passes.map(\.name) }

    /// pipeline := (name (',' name)*)?  -- names are trimmed of spaces; the empty string is no passes.
    public static func parse(_ text: String, registry: PassRegistry) throws(PassPipelineError) -> PassPipeline {
        let trimmed = text.trimmingSpaces()
        if trimmed.isEmpty { return PassPipeline(passes: []) }
        var passes: [any Pass] = []
        var unknown: [PassPipelineError.UnknownPass] = []
        for (position, entry) in trimmed.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let name = String(entry).trimmingSpaces()
            guard !name.isEmpty else { throw .emptyEntry(position: position + 1, pipeline: text) }
            if let pass = registry.pass(named: name) {
                passes.append(pass)
            } else {
                unknown.append(.init(name: name, suggestions: NameSuggestions.closeMatches(to: name, in: registry.names)))
            }
        }
        if !unknown.isEmpty { throw .unknownPasses(unknown, known: registry.names) }
        return PassPipeline(passes: passes)
    }

    /// The pipeline `kiln build` runs when no `--passes` is given. Per target so that targets can differ
    /// (they will once the tiling passes exist); today both run the clean-up passes.
    public static func defaultPipeline(for target: MachineTarget) -> String {
        // Both targets run the same passes; what differs (DMA transpose on trn2, SBUF size, engine
        // port sharing on trn1) is read from the target by the passes themselves.
        [
            "inline", "canonicalize", "cse",          // tensor level: helpers inlined, folded, merged
            "fuse", "tile",                           // tensor level -> tile loops and engine ops
            "canonicalize", "cse", "dce",             // clean up what tiling leaves
            "assign-engines", "double-buffer",        // balance act/dve, overlap loads with compute
            "allocate", "schedule",                   // place tiles, order streams with semaphores
        ].joined(separator: ",")
    }
}

/// A pipeline string that does not name registered passes.
public enum PassPipelineError: Error, Equatable, CustomStringConvertible {
    public struct UnknownPass: Equatable, Sendable {
        public var name: String
        public var suggestions: [String]
    }

    case emptyEntry(position: Int, pipeline: String)
    case unknownPasses([UnknownPass], known: [String])

    public var description: String {
        switch self {
        case .emptyEntry(let position, let pipeline):
            return "pass pipeline '\(pipeline)' has an empty entry at position \(position); separate pass names with single commas"
        case .unknownPasses(let unknown, let known):
            let lines = unknown.map { entry in
                "unknown pass '\(entry.name)'" + (entry.suggestions.isEmpty ? ""
                    : "; did you mean " + entry.suggestions.map { "'\($0)'" }.joined(separator: " or ") + "?")
            }
            return lines.joined(separator: "\n") + "\nregistered passes: " + known.joined(separator: ", ")
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
