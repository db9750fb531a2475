// OpcodeTable.swift: the one opcode table: the control opcodes, and every engine op's byte and fields from KilnISA.

import KilnISA
import KilnMachine

/// Which streams may hold an opcode.
public enum OpcodeUnit: Hashable, Sendable {
    /// Loops and semaphores: any stream.
    case any
    /// Only streams of this engine (`dma` means any DMA queue).
    case engine(Engine)
}

/// One encoded operand field of an opcode: its name, encoding, and (for engine ops) the declaration field it
/// encodes and the instruction's effect on it.
public struct FieldSpec: Hashable, Sendable {
    public var name: String
    public var kind: FieldKind
    /// The index of the op-table field this encodes (an HBM slice encodes as two fields: tensor, then offsets).
    public var declarationField: Int?
    /// Read or written, for buffer and tensor fields.
    public var access: Access?

    public init(_ name: String, _ kind: FieldKind, declarationField: Int? = nil, access: Access? = nil) {
        self.name = name
        self.kind = kind
        self.declarationField = declarationField
        self.access = access
    }
}

/// What the table says about one opcode.
public struct OpcodeSpec: Hashable, Sendable {
    public var mnemonic: String
    public var unit: OpcodeUnit
    public var fields: [FieldSpec]
}

/// Every instruction the simulator runs: four control opcodes, and the engine ops of KilnISA's op table, whose
/// raw value is their opcode byte.
public enum Opcode: Hashable, Sendable, CustomStringConvertible {
    case loopBegin
    case loopEnd
    case semSignal
    case semWait
    case engine(EngineOp)

    public var rawValue: UInt8 {
        switch self {
        case .loopBegin: 0x01
        case .loopEnd: 0x02
        case .semSignal: 0x03
        case .semWait: 0x04
        case .engine(let op): op.rawValue
        }
    }

    public init?(rawValue: UInt8) {
        switch rawValue {
        case 0x01: self = .loopBegin
        case 0x02: self = .loopEnd
        case 0x03: self = .semSignal
        case 0x04: self = .semWait
        default:
            guard let op = EngineOp(rawValue: rawValue) else { return nil }
            self = .engine(op)
        }
    }

    /// Every opcode, control ones first.
    public static var allCases: [Opcode] { [.loopBegin, .loopEnd, .semSignal, .semWait] + EngineOp.allCases.map { .engine($0) } }

    /// The opcode table. Encoder, decoder, validator and disassembler read operand layouts only from here.
    public var spec: OpcodeSpec {
        switch self {
        case .loopBegin:
            OpcodeSpec(mnemonic: "loop", unit: .any, fields: [
                .init("slot", .loopSlot), .init("from", .integer), .init("trips", .integer), .init("step", .integer)])
        case .loopEnd:
            OpcodeSpec(mnemonic: "endloop", unit: .any, fields: [.init("slot", .loopSlot)])
        case .semSignal:
            OpcodeSpec(mnemonic: "sem.signal", unit: .any, fields: [.init("sem", .semaphore)])
        case .semWait:
            OpcodeSpec(mnemonic: "sem.wait", unit: .any, fields: [.init("sem", .semaphore), .init("atleast", .affine)])
        case .engine(let op):
            Opcode.engineSpecs[Int(op.rawValue)]!
        }
    }

    /// An engine op's encoded fields, from its declaration's fields in order.
    private static let engineSpecs: [OpcodeSpec?] = {
        var table = [OpcodeSpec?](repeating: nil, count: 256)
        for op in EngineOp.allCases {
            let declaration = op.declaration
            var fields: [FieldSpec] = []
            for (index, field) in declaration.fields.enumerated() {
                func spec(_ name: String, _ kind: FieldKind) -> FieldSpec {
                    FieldSpec(name, kind, declarationField: index, access: field.access)
                }
                switch field.kind {
                case .tile: fields.append(spec(field.name, .buffer))
                case .hbmSlice:
                    // `at` names the offsets; an op with two slices (`dma.gather`) names each after its tensor.
                    let slices = declaration.fields.filter { if case .hbmSlice = $0.kind { true } else { false } }.count
                    fields += [spec(field.name, .tensor), spec(slices > 1 ? "\(field.name)_at" : "at", .affineList)]
                case .scalar: fields.append(spec(field.name, .scalarSource))
                case .activationFunction: fields.append(spec(field.name, .activationFunction))
                case .binaryOperator: fields.append(spec(field.name, .binaryOperator))
                case .reduceOperator: fields.append(spec(field.name, .reduceOperator))
                case .float: fields.append(spec(field.name, .float))
                case .integer: fields.append(spec(field.name, .integer))
                case .affine: fields.append(spec(field.name, .affine))
                case .flag: fields.append(spec(field.name, .flag))
                case .condition: fields.append(spec(field.name, .condition))
                case .reduceInto: fields.append(spec(field.name, .reduceInto))
                }
            }
            table[Int(op.rawValue)] = OpcodeSpec(mnemonic: declaration.mnemonic, unit: .engine(declaration.engine), fields: fields)
        }
        return table
    }()

    public var description: String { spec.mnemonic }

    /// True if an instruction with this opcode may appear in a stream of `unit`.
    public func runs(on unit: StreamUnit) -> Bool {
        switch spec.unit {
        case .any: true
        case .engine(let engine): engine == unit.engine
        }
    }
}
