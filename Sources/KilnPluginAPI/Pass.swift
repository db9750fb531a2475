// Pass.swift: the one protocol every tile IR pass conforms to, and the context a pass runs in.

import KilnMachine
import KilnSource
import KilnTileIR

/// A tile IR pass: a value with a stable kebab-case name (`cse`, `double-buffer`), a one-line summary for
/// `kiln passes`, and a `run` that rewrites a module in place. A pass reports problems it finds in the
/// input (a kernel the machine cannot run, say) to `context`; it throws only when it cannot go on.
/// Each pass's doc comment explains its algorithm.
public protocol Pass: Sendable {
    /// The stable name pipelines use: lower-case words joined by `-`.
    var name: String { get }
    /// One line, for listings.
    var summary: String { get }
    /// The options a pipeline may give the pass (`tile{tile_m=64}`), declared once; none by default.
    var options: [PassOption] { get }
    /// Rewrites `module`; reports diagnostics to `context`.
    func run(on module: inout Module, context: inout PassContext) throws
}

extension Pass {
    public var options: [PassOption] { [] }
}

/// What a pass can see besides the module: the target machine, the options its pipeline entry gives it, and a
/// place to report diagnostics.
public struct PassContext: Sendable {
    public let target: MachineTarget
    /// The values the pipeline string gives this pass's declared options (`tile{tile_m=64}`); empty if none.
    public let options: PassOptionValues
    public private(set) var diagnostics: [Diagnostic] = []

    public init(target: MachineTarget, options: PassOptionValues = PassOptionValues()) {
        self.target = target
        self.options = options
    }

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    public mutating func report(_ diagnostic: Diagnostic) {
        diagnostics.append(diagnostic)
    }

    /// Reports a diagnostic located at an op (its kernel source line, or its IR text line).
    public mutating func report(at op: Operation, _ make: (SourceSpan) -> Diagnostic) {
        diagnostics.append(.at(op, make))
    }
}

/// A pass that cannot continue, with the reason.
public struct PassFailure: Error, Sendable, CustomStringConvertible {
    public var pass: String
    public var reason: String
    public init(pass: String, reason: String) {
        self.pass = pass
        self.reason = reason
    }
    public var description: String { "pass '\(pass)' failed: \(reason)" }
}
