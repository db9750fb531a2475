// PassPipeline.swift: pipeline strings (`fuse,tile,allocate`) parsed into passes, and the default pipeline per target.

import KilnMachine
import KilnTileIR

/// A parsed pipeline: the passes to run, in order, each with the options its entry gives it.
public struct PassPipeline: Sendable {
    /// One entry of a pipeline string: a pass and the values of its options (`tile{tile_m=64,tile_k=128}`).
    public struct Entry: Sendable {
        public var pass: any Pass
        public var options: PassOptionValues

        public init(pass: any Pass, options: PassOptionValues = PassOptionValues()) {
            self.pass = pass
            self.options = options
        }

        /// The entry as a pipeline string spells it: options in the order the pass declares them.
        public var text: String {
            let given = pass.options.compactMap { option in options.values[option.name].map { "\(option.name)=\($0)" } }
            return given.isEmpty ? pass.name : pass.name + "{" + given.joined(separator: ",") + "}"
        }
    }

    public var entries: [Entry]
    public var passes: [any Pass] { entries.map(\.pass) }
    public var names: [String] { passes.map(\.name) }
    /// The pipeline as a string that parses back to it.
    public var text: String { entries.map(\.text).joined(separator: ",") }

    public init(entries: [Entry]) {
        self.entries = entries
    }

    public init(passes: [any Pass]) {
        self.entries = passes.map { Entry(pass: $0) }
    }

    /// pipeline := (entry (',' entry)*)?        entry := NAME ('{' (option (',' option)*)? '}')?
    /// option := NAME '=' VALUE                  -- spaces around names and values are ignored; "" is no passes.
    /// Unknown pass names are collected (all reported at once); the first malformed entry, unknown option or
    /// bad value stops the parse with its column in the string.
    public static func parse(_ text: String, registry: PassRegistry) throws(PassPipelineError) -> PassPipeline {
        if text.trimmingSpaces().isEmpty { return PassPipeline(entries: []) }
        var scanner = PipelineScanner(text)
        var entries: [Entry] = []
        var unknown: [PassPipelineError.UnknownPass] = []
        var position = 0
        repeat {
            position += 1
            let (name, nameColumn) = scanner.word(stoppingAt: ",{}=")
            guard !name.isEmpty else {
                if scanner.peek == "{" || scanner.peek == "}" || scanner.peek == "=" {
                    throw .malformed("expected a pass name before '\(scanner.peek!)'", column: scanner.column, pipeline: text)
                }
                throw .emptyEntry(position: position, pipeline: text)
            }
            let pass = registry.pass(named: name)
            if pass == nil {
                unknown.append(.init(name: name, suggestions: NameSuggestions.closeMatches(to: name, in: registry.names)))
            }
            var values = PassOptionValues()
            if scanner.accept("{") {
                values = try parseOptions(&scanner, of: pass, named: name, column: nameColumn, pipeline: text)
            }
            if let pass { entries.append(Entry(pass: pass, options: values)) }
            if scanner.atEnd { break }
            guard scanner.accept(",") else {
                throw .malformed("expected ',' between passes, found '\(scanner.peek!)'", column: scanner.column, pipeline: text)
            }
        } while true
        if !unknown.isEmpty { throw .unknownPasses(unknown, known: registry.names) }
        return PassPipeline(entries: entries)
    }

    /// The options of one entry, after its '{' up to and including its '}'. Checked against `pass`'s declaration
    /// when the pass is known (an unknown pass is reported by name afterwards).
    private static func parseOptions(_ scanner: inout PipelineScanner, of pass: (any Pass)?, named passName: String,
                                     column: Int, pipeline: String) throws(PassPipelineError) -> PassOptionValues {
        var values = PassOptionValues()
        if scanner.accept("}") { return values }
        repeat {
            let (name, nameColumn) = scanner.word(stoppingAt: ",{}=")
            guard !name.isEmpty else {
                throw .malformed("expected an option name in the options of pass '\(passName)'", column: scanner.column,
                                 pipeline: pipeline)
            }
            guard scanner.accept("=") else {
                throw .malformed("expected '=' and a value after option '\(name)' of pass '\(passName)'", column: scanner.column,
                                 pipeline: pipeline)
            }
            let (value, valueColumn) = scanner.word(stoppingAt: ",{}=")
            if let pass {
                guard let option = pass.options.first(where: { $0.name == name }) else {
                    let known = pass.options.map(\.name)
                    let hint = known.isEmpty ? "; it takes no options"
                        : "; its options: " + known.joined(separator: ", ")
                    throw .malformed("unknown option '\(name)' of pass '\(passName)'\(hint)", column: nameColumn, pipeline: pipeline)
                }
                guard values.values[name] == nil else {
                    throw .malformed("option '\(name)' of pass '\(passName)' is given twice", column: nameColumn, pipeline: pipeline)
                }
                switch option.parse(value) {
                case .success(let parsed): values.values[name] = parsed
                case .failure(let error):
                    throw .malformed("bad value '\(value)' for option '\(name)' of pass '\(passName)': \(error.reason)",
                                     column: valueColumn, pipeline: pipeline)
                }
            }
            if scanner.accept("}") { return values }
            guard scanner.accept(",") else {
                let found = scanner.peek.map { "found '\($0)'" } ?? "the pipeline ends"
                throw .malformed("expected ',' or '}' in the options of pass '\(passName)', \(found)", column: scanner.column,
                                 pipeline: pipeline)
            }
        } while true
    }

    /// The pipeline `kiln build` runs when no `--passes` is given. Per target so that targets can differ
    /// (they will once the tiling passes exist); today both run the clean-up passes.
    public static func defaultPipeline(for target: MachineTarget) -> String {
        // Both targets run the same passes; what differs (DMA transpose on trn2, SBUF size, engine
        // port sharing on trn1) is read from the target by the passes themselves.
        [
            "inline", "canonicalize", "cse",          // tensor level: helpers inlined, folded, merged
            "fuse", "tile",                           // tensor level -> tile loops and engine ops
            "canonicalize", "cse",                    // clean up what tiling leaves
            "fold-copies", "dce",                     // copies, casts and row reductions done by their producers
            "licm",                                   // loop-invariant computations out of tile loops
            "assign-engines", "double-buffer",        // balance act/dve, overlap loads with compute
            "interleave",                             // overlap independent straight-line chains on the engines
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
    /// A malformed entry, an unknown option or a bad value, at a 1-based column of the pipeline string.
    case malformed(String, column: Int, pipeline: String)

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
        case .malformed(let message, let column, let pipeline):
            return "\(message) (pipeline column \(column))\n  \(pipeline)\n  " + String(repeating: " ", count: column - 1) + "^"
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

/// Reads a pipeline string character by character, keeping 1-based columns for errors.
struct PipelineScanner {
    private let characters: [Character]
    private var index = 0

    init(_ text: String) {
        characters = Array(text)
    }

    var atEnd: Bool { nextIndex >= characters.count }
    var peek: Character? { nextIndex < characters.count ? characters[nextIndex] : nil }
    /// The 1-based column of the next non-space character (one past the end at the end).
    var column: Int { nextIndex + 1 }

    /// The index of the next character that is not a space.
    private var nextIndex: Int {
        var next = index
        while next < characters.count, characters[next].isWhitespace { next += 1 }
        return next
    }

    /// The characters up to one of `stops` (or the end), trimmed of spaces, and the column where they start.
    mutating func word(stoppingAt stops: String) -> (String, Int) {
        let start = column
        var text = ""
        while index < characters.count, !stops.contains(characters[index]) {
            text.append(characters[index])
            index += 1
        }
        return (text.trimmingSpaces(), start)
    }

    /// Consumes `character` (after spaces) if it is next.
    mutating func accept(_ character: Character) -> Bool {
        guard peek == character else { return false }
        index = nextIndex + 1
        return true
    }
}
