// OpcodeTable.swift: the one opcode table: each opcode's byte, mnemonic, unit and operand fields.

import KilnMachine

/// Which streams may hold an opcode.
public enum OpcodeUnit: Hashable, Sendable {
    /// Loops and semaphores: any stream.
    case any
    /// Only streams of this engine (`dma` means any DMA queue).
    case engine(Engine)
}

/// One named operand field of an opcode.
public struct FieldSpec: Hashable, Sendable {
    public var name: String
    public var kind: FieldKind
    public init(_ name: String, _ kind: FieldKind) {
        self.name = name
        self.kind = kind
    }
}

/// What the table says about one opcode.
public struct OpcodeSpec: Hashable, Sendable {
    public var mnemonic: String
    public var unit: OpcodeUnit
    public var fields: [FieldSpec]
}

/// Every instruction the simulator runs. The raw value is the opcode byte in the file.
public enum Opcode: UInt8, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case loopBegin = 0x01
    case loopEnd = 0x02
    case semSignal = 0x03
    case semWait = 0x04
    case dmaLoad = 0x10
    case dmaStore = 0x11
    case matmul = 0x20
    case peTranspose = 0x21
    case activate = 0x30
    case activateReduce = 0x31
    case tensorTensor = 0x40
    case tensorScalar = 0x41
    case tensorReduce = 0x42
    case tensorCopy = 0x43
    case reciprocal = 0x44
    case iota = 0x50
    case select = 0x51

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
        case .dmaLoad:
            OpcodeSpec(mnemonic: "dma.load", unit: .engine(.dma), fields: [
                .init("src", .tensor), .init("at", .affineList), .init("dst", .buffer), .init("transpose", .flag),
                .init("broadcast", .flag)])
        case .dmaStore:
            OpcodeSpec(mnemonic: "dma.store", unit: .engine(.dma), fields: [
                .init("src", .buffer), .init("dst", .tensor), .init("at", .affineList)])
        case .matmul:
            OpcodeSpec(mnemonic: "pe.matmul", unit: .engine(.pe), fields: [
                .init("stationary", .buffer), .init("moving", .buffer), .init("acc", .buffer),
                .init("start", .condition), .init("stop", .condition)])
        case .peTranspose:
            OpcodeSpec(mnemonic: "pe.transpose", unit: .engine(.pe), fields: [.init("src", .buffer), .init("dst", .buffer)])
        case .activate:
            OpcodeSpec(mnemonic: "act.activate", unit: .engine(.act), fields: [
                .init("func", .activationFunction), .init("src", .buffer), .init("dst", .buffer),
                .init("scale", .float), .init("bias", .scalarSource)])
        case .activateReduce:
            OpcodeSpec(mnemonic: "act.activate_reduce", unit: .engine(.act), fields: [
                .init("func", .activationFunction), .init("src", .buffer), .init("dst", .buffer),
                .init("scale", .float), .init("bias", .scalarSource), .init("reduce", .reduceOperator),
                .init("into", .buffer)])
        case .tensorTensor:
            OpcodeSpec(mnemonic: "dve.tensor_tensor", unit: .engine(.dve), fields: [
                .init("op", .aluOperator), .init("a", .buffer), .init("b", .buffer), .init("dst", .buffer)])
        case .tensorScalar:
            OpcodeSpec(mnemonic: "dve.tensor_scalar", unit: .engine(.dve), fields: [
                .init("op", .aluOperator), .init("a", .buffer), .init("scalar", .scalarSource), .init("dst", .buffer)])
        case .tensorReduce:
            OpcodeSpec(mnemonic: "dve.reduce", unit: .engine(.dve), fields: [
                .init("op", .reduceOperator), .init("src", .buffer), .init("dst", .buffer)])
        case .tensorCopy:
            OpcodeSpec(mnemonic: "dve.copy", unit: .engine(.dve), fields: [.init("src", .buffer), .init("dst", .buffer)])
        case .reciprocal:
            OpcodeSpec(mnemonic: "dve.reciprocal", unit: .engine(.dve), fields: [.init("src", .buffer), .init("dst", .buffer)])
        case .iota:
            OpcodeSpec(mnemonic: "pool.iota", unit: .engine(.pool), fields: [
                .init("base", .integer), .init("partition_step", .integer), .init("free_step", .integer),
                .init("dst", .buffer)])
        case .select:
            OpcodeSpec(mnemonic: "pool.select", unit: .engine(.pool), fields: [
                .init("cond", .buffer), .init("a", .buffer), .init("b", .buffer), .init("dst", .buffer)])
        }
    }

    public var description: String { spec.mnemonic }

    /// True if an instruction with this opcode may appear in a stream of `unit`.
    public func runs(on unit: StreamUnit) -> Bool {
        switch spec.unit {
        case .any: true
        case .engine(let engine): engine == unit.engine
        }
    }
}
