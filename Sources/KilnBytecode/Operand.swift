// Operand.swift: instruction operands and the field kinds the opcode table describes them with.

import KilnISA
import KilnMachine

/// How one operand field is encoded (Docs/bytecode.md, "Fields"). The opcode table lists each opcode's
/// fields by kind; the encoder, decoder, validator and disassembler all follow that list.
public enum FieldKind: Hashable, Sendable {
    /// u32 index into the memory plan.
    case buffer
    /// u32 index into the tensor table.
    case tensor
    /// u32 semaphore number.
    case semaphore
    /// u16 loop-variable slot.
    case loopSlot
    /// i64.
    case integer
    /// f64.
    case float
    /// An affine expression over loop slots: i64 constant, u8 term count, terms (u16 slot, i64 coefficient).
    case affine
    /// u8 count, then that many affine expressions.
    case affineList
    /// u8 0 never, 1 always, 2 when (u16 slot, i64 value).
    case condition
    /// u8 0 constant (f64), 1 per-partition buffer (u32).
    case scalarSource
    /// u8 activation function code (its position in `ActivationFunction.allCases`).
    case activationFunction
    /// u8 operator code (its position in `BinaryOperator.allCases`).
    case binaryOperator
    /// u8 reduction code (its position in `EngineReduceOp.allCases`).
    case reduceOperator
    /// u8 0 none, 1 then a reduction code (u8) and a buffer (u32): a free-axis reduction into a `[P | 1]` buffer.
    case reduceInto
    /// u8 0 or 1.
    case flag
}

/// `constant + sum(coefficient * slot value)`.
public struct AffineOffset: Hashable, Sendable, CustomStringConvertible {
    public struct Term: Hashable, Sendable {
        public var slot: Int
        public var coefficient: Int
        public init(slot: Int, coefficient: Int) {
            self.slot = slot
            self.coefficient = coefficient
        }
    }

    public var constant: Int
    public var terms: [Term]

    public init(constant: Int = 0, terms: [Term] = []) {
        self.constant = constant
        self.terms = terms
    }

    public var description: String {
        var parts = terms.map { $0.coefficient == 1 ? "L\($0.slot)" : "\($0.coefficient)*L\($0.slot)" }
        if constant != 0 || parts.isEmpty { parts.append(String(constant)) }
        return parts.joined(separator: " + ")
    }
}

/// When a matmul flag holds.
public enum FlagCondition: Hashable, Sendable, CustomStringConvertible {
    case never
    case always
    case when(slot: Int, equals: Int)

    public var description: String {
        switch self {
        case .never: "never"
        case .always: "always"
        case .when(let slot, let value): "L\(slot)==\(value)"
        }
    }
}

/// A constant or a per-partition `[P | 1]` buffer.
public enum ScalarSource: Hashable, Sendable {
    case constant(Double)
    case buffer(Int)
}

/// A free-axis reduction of an instruction's result into a `[P | 1]` buffer.
public struct ReduceInto: Hashable, Sendable {
    public var op: EngineReduceOp
    public var buffer: Int
    public init(_ op: EngineReduceOp, into buffer: Int) {
        self.op = op
        self.buffer = buffer
    }
}

/// The stable byte codes of element types, memory spaces, engines and activation functions.
public enum BytecodeCodes {
    public static let elementTypes: [ElementType] = [.f32, .bf16, .f16, .f8e4m3, .f8e5m2, .i32, .bool, .f8e4m3fn, .f4e2m1fn]
    public static let memorySpaces: [MemorySpace] = [.hbm, .sbuf, .psum]
    public static let engines: [Engine] = [.pe, .act, .dve, .pool, .dma]

    static func code<T: Equatable>(of value: T, in table: [T]) -> UInt8 {
        UInt8(truncatingIfNeeded: table.firstIndex(of: value) ?? 0)
    }
}

/// One decoded operand; its case always matches the field kind the opcode table gives for its position.
public enum Operand: Hashable, Sendable {
    case buffer(Int)
    case tensor(Int)
    case semaphore(Int)
    case loopSlot(Int)
    case integer(Int)
    case float(Double)
    case affine(AffineOffset)
    case affineList([AffineOffset])
    case condition(FlagCondition)
    case scalarSource(ScalarSource)
    case activationFunction(ActivationFunction)
    case binaryOperator(BinaryOperator)
    case reduceOperator(EngineReduceOp)
    case reduceInto(ReduceInto?)
    case flag(Bool)

    /// The kind of field this operand encodes as.
    public var kind: FieldKind {
        switch self {
        case .buffer: .buffer
        case .tensor: .tensor
        case .semaphore: .semaphore
        case .loopSlot: .loopSlot
        case .integer: .integer
        case .float: .float
        case .affine: .affine
        case .affineList: .affineList
        case .condition: .condition
        case .scalarSource: .scalarSource
        case .activationFunction: .activationFunction
        case .binaryOperator: .binaryOperator
        case .reduceOperator: .reduceOperator
        case .reduceInto: .reduceInto
        case .flag: .flag
        }
    }
}

/// An opcode and its operands, in the order of the opcode's fields.
public struct Instruction: Hashable, Sendable {
    public var opcode: Opcode
    public var operands: [Operand]
    public init(_ opcode: Opcode, _ operands: [Operand]) {
        self.opcode = opcode
        self.operands = operands
    }

    /// The buffers this instruction reads and writes, for the validator, the simulator's checks and tools.
    public var bufferOperands: [Int] {
        operands.flatMap { operand -> [Int] in
            switch operand {
            case .buffer(let index): [index]
            case .scalarSource(.buffer(let index)): [index]
            case .reduceInto(let reduce?): [reduce.buffer]
            default: []
            }
        }
    }
}
