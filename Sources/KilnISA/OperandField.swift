// OperandField.swift: how an engine op's declaration describes one operand: its kind, effect and text syntax.

import KilnMachine

/// What an operand is. The tile IR, the bytecode and both executors read an op's operands by these kinds.
public enum OperandKind: Hashable, Sendable {
    /// An SBUF or PSUM tile, with the op's effect on it.
    case tile(Access)
    /// A slice of an HBM tensor: the tensor and one affine offset per dim (`%x[%i * 128, 0]`).
    case hbmSlice(Access)
    /// A constant or a per-partition `[P | 1]` tile (or a scalar kernel parameter); read.
    case scalar
    /// A scalar-engine function (`exp`, `identity`, ...).
    case activationFunction
    /// A vector-engine operator (`add`, `lt`, ...).
    case binaryOperator
    /// A free-axis reduction (`add`, `max`, `min`).
    case reduceOperator
    /// A floating-point immediate.
    case float
    /// An integer immediate.
    case integer
    /// An integer affine in the enclosing loops' variables (`%i * 128 + 3`), evaluated when the op runs.
    case affine
    /// A yes/no immediate, written as its keyword when set.
    case flag
    /// When a matmul flag holds: never (absent), always (`start`), or on one iteration (`start(%i == 0)`).
    case condition
    /// An optional free-axis reduction of the op's result into a `[P | 1]` tile, which it writes.
    case reduceInto
}

/// What an op does to a tile or HBM operand: the one source of reads and writes for the scheduler's
/// dependences, dce, liveness and the verifier.
public enum Access: Hashable, Sendable {
    case read
    case write
    /// Written; also read unless the op's `start` condition is `always` (a matmul accumulator: the first matmul
    /// of a group overwrites, later ones add).
    case accumulate
}

/// How an operand is written in the text form.
public enum FieldSyntax: Hashable, Sendable {
    /// In order: operator words bare, values separated by `,`, and `->` before the first written operand.
    case positional
    /// `name value` (or `name` alone for a flag; `name(%i == 0)` for a condition). With a default, the
    /// keyword is left out when the operand has that value (and an absent keyword means the default).
    case keyword(default: Double? = nil)
}

/// One operand of an engine op's declaration.
public struct OperandField: Hashable, Sendable {
    public var name: String
    public var kind: OperandKind
    public var syntax: FieldSyntax

    public init(_ name: String, _ kind: OperandKind, _ syntax: FieldSyntax = .positional) {
        self.name = name
        self.kind = kind
        self.syntax = syntax
    }

    /// The effect on the operand's tile or tensor, if it names one.
    public var access: Access? {
        switch kind {
        case .tile(let access), .hbmSlice(let access): access
        case .scalar: .read
        case .reduceInto: .write
        default: nil
        }
    }

    /// True if the operand is printed after `->` (it is written).
    public var isOutput: Bool {
        guard case .positional = syntax, let access else { return false }
        return access != .read
    }
}
