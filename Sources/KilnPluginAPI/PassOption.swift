// PassOption.swift: the options a pass declares (name, values, default, help) and the values a pipeline gives them.

/// One option of a pass, declared once next to the pass (`Pass.options`): `tile{tile_m=64}` sets `tile_m`.
/// The pipeline parser checks given values against `values`; `kiln passes` lists the declaration.
public struct PassOption: Sendable, Equatable {
    /// What values the option takes.
    public enum Values: Sendable, Equatable {
        /// An integer in the range.
        case integers(ClosedRange<Int>)
        /// One of these words.
        case choices([String])

        /// `1..128` or `balance|act|dve`, for listings and errors.
        public var description: String {
            switch self {
            case .integers(let range): "\(range.lowerBound)..\(range.upperBound)"
            case .choices(let words): words.joined(separator: "|")
            }
        }
    }

    /// The option's name: lower-case words joined by `_` (`tile_m`), as `@schedule` spells its arguments.
    public var name: String
    public var values: Values
    /// What the pass does when the option is not given (`@schedule's tile_m, else the target's 128`).
    public var defaultDescription: String
    /// One line, for listings.
    public var help: String

    public init(_ name: String, _ values: Values, default defaultDescription: String, help: String) {
        self.name = name
        self.values = values
        self.defaultDescription = defaultDescription
        self.help = help
    }

    /// The value `text` means for this option, or why it is not one.
    public func parse(_ text: String) -> Result<PassOptionValue, PassOptionValueError> {
        switch values {
        case .integers(let range):
            guard let value = Int(text) else { return .failure(.init(reason: "expected an integer in \(values.description)")) }
            guard range.contains(value) else { return .failure(.init(reason: "\(value) is out of range \(values.description)")) }
            return .success(.integer(value))
        case .choices(let words):
            guard words.contains(text) else { return .failure(.init(reason: "expected one of \(values.description)")) }
            return .success(.word(text))
        }
    }
}

/// Why a pipeline's value does not fit its option.
public struct PassOptionValueError: Error, Equatable, Sendable {
    public var reason: String
}

/// A value given to an option in a pipeline string.
public enum PassOptionValue: Sendable, Hashable, CustomStringConvertible {
    case integer(Int)
    case word(String)

    public var description: String {
        switch self {
        case .integer(let value): String(value)
        case .word(let word): word
        }
    }
}

/// The options a pipeline entry gives its pass, by name. A pass reads them from `PassContext.options`;
/// an option not given is absent (the pass then uses its default).
public struct PassOptionValues: Sendable, Equatable {
    public var values: [String: PassOptionValue]

    public init(_ values: [String: PassOptionValue] = [:]) {
        self.values = values
    }

    public var isEmpty: Bool { values.isEmpty }

    /// The integer given to `name`, if any.
    public func integer(_ name: String) -> Int? {
        if case .integer(let value)? = values[name] { return value }
        return nil
    }

    /// The word given to `name`, if any.
    public func word(_ name: String) -> String? {
        if case .word(let word)? = values[name] { return word }
        return nil
    }

    /// The integer options laid over `hints` (a function's `@schedule` hints): a given option wins.
    public func overriding(_ hints: [String: Int]) -> [String: Int] {
        var merged = hints
        for (name, value) in values { if case .integer(let number) = value { merged[name] = number } }
        return merged
    }
}
