// Decoder.swift: reads bytes back into a BytecodeProgram, checking every field's encoding as it goes.

import KilnISA
import KilnMachine
import KilnSource

/// Where each part of a decoded file starts, so the validator can name byte offsets.
public struct BytecodeLayout: Hashable, Sendable {
    public var tensorOffsets: [Int] = []
    public var bufferOffsets: [Int] = []
    public var headerCountsOffset = 0
    /// `instructionOffsets[stream][index]`.
    public var streamOffsets: [Int] = []
    public var instructionOffsets: [[Int]] = []
    public init() {}
}

/// Decodes `.kbc` bytes. Checks encodings (magic, version, enum codes, lengths against the bytes left,
/// UTF-8, no trailing bytes); the meaning of the indices is checked by `BytecodeValidator`.
public enum BytecodeDecoder {
    public static func decode(_ bytes: [UInt8]) throws(BytecodeError) -> (BytecodeProgram, BytecodeLayout) {
        var input = ByteReader(bytes)
        var layout = BytecodeLayout()
        let magic = try input.raw(BytecodeFormat.magic.count, "the magic bytes")
        guard magic == BytecodeFormat.magic else { throw input.error(DiagnosticCatalogue.bytecodeBadMagic, at: 0, length: 8) }
        let versionOffset = input.offset
        let version = try input.u16("the version")
        guard version == BytecodeFormat.version else {
            throw input.error({ DiagnosticCatalogue.bytecodeUnsupportedVersion(version, supported: BytecodeFormat.version, at: $0) },
                              at: versionOffset, length: 2)
        }
        let flagsOffset = input.offset
        let flags = try input.u16("the flags")
        guard flags == 0 else {
            throw input.error({ DiagnosticCatalogue.bytecodeBadValue("header flags", "expected 0, found \(flags)", at: $0) },
                              at: flagsOffset, length: 2)
        }
        var program = BytecodeProgram(target: try input.string("the target name"),
                                      kernelName: try input.string("the kernel name"),
                                      sourcePath: try input.string("the source path"))
        let tensorCount = try input.count("tensors", minimumSize: 8)
        for _ in 0..<tensorCount {
            layout.tensorOffsets.append(input.offset)
            program.tensors.append(try tensor(&input))
        }
        let bufferCount = try input.count("buffers", minimumSize: 15)
        for _ in 0..<bufferCount {
            layout.bufferOffsets.append(input.offset)
            program.buffers.append(try buffer(&input))
        }
        layout.headerCountsOffset = input.offset
        program.semaphoreCount = try input.u32("the semaphore count")
        program.loopSlotCount = try input.u32("the loop slot count")
        let streamCount = try input.count("streams", minimumSize: 7)
        for _ in 0..<streamCount {
            layout.streamOffsets.append(input.offset)
            let (stream, offsets) = try self.stream(&input)
            program.streams.append(stream)
            layout.instructionOffsets.append(offsets)
        }
        if !input.isAtEnd {
            throw input.error({ DiagnosticCatalogue.bytecodeTrailingBytes(input.remaining, at: $0) }, at: input.offset)
        }
        return (program, layout)
    }

    private static func code<T>(_ input: inout ByteReader, _ table: [T], _ what: String) throws(BytecodeError) -> T {
        let start = input.offset
        let raw = Int(try input.u8(what))
        guard raw < table.count else {
            throw input.error({ DiagnosticCatalogue.bytecodeBadValue(what, "code \(raw) is not one of 0..<\(table.count)", at: $0) },
                              at: start)
        }
        return table[raw]
    }

    private static func dims(_ input: inout ByteReader, _ what: String) throws(BytecodeError) -> [Int] {
        let rank = Int(try input.u8("the rank of \(what)"))
        var dims: [Int] = []
        for _ in 0..<rank { dims.append(try input.u32("a dimension of \(what)")) }
        return dims
    }

    private static func tensor(_ input: inout ByteReader) throws(BytecodeError) -> TensorEntry {
        let name = try input.string("a tensor name")
        let dtype = try code(&input, BytecodeCodes.elementTypes, "the element type of tensor '\(name)'")
        let role = try code(&input, TensorRole.allCases, "the role of tensor '\(name)'")
        let shape = try dims(&input, "tensor '\(name)'")
        let hasDefault = try flag(&input, "the default flag of tensor '\(name)'")
        let defaultValue = hasDefault ? try input.f64("the default of tensor '\(name)'") : nil
        return TensorEntry(name: name, dtype: dtype, shape: shape, role: role, defaultValue: defaultValue)
    }

    private static func buffer(_ input: inout ByteReader) throws(BytecodeError) -> BufferEntry {
        let name = try input.string("a buffer name")
        let space = try code(&input, BytecodeCodes.memorySpaces, "the memory of buffer '\(name)'")
        let dtype = try code(&input, BytecodeCodes.elementTypes, "the element type of buffer '\(name)'")
        return BufferEntry(name: name, space: space, dtype: dtype, partitionStart: try input.u16("a partition start"),
                           partitions: try input.u16("a partition count"), offset: try input.u32("a byte offset"),
                           freeDims: try dims(&input, "buffer '\(name)'"))
    }

    private static func flag(_ input: inout ByteReader, _ what: String) throws(BytecodeError) -> Bool {
        try code(&input, [false, true], what)
    }

    private static func stream(_ input: inout ByteReader) throws(BytecodeError) -> (InstructionStream, [Int]) {
        let engine = try code(&input, BytecodeCodes.engines, "a stream's engine")
        let queue = try input.u16("a stream's DMA queue")
        var stream = InstructionStream(unit: engine == .dma ? .dmaQueue(queue) : .engine(engine))
        let count = try input.count("instructions", minimumSize: 9)
        var offsets: [Int] = []
        for _ in 0..<count {
            offsets.append(input.offset)
            stream.instructions.append(try instruction(&input))
        }
        for _ in 0..<count {
            stream.lines.append(LineEntry(line: try input.u32("a line-table line"), column: try input.u32("a line-table column")))
        }
        return (stream, offsets)
    }

    static func instruction(_ input: inout ByteReader) throws(BytecodeError) -> Instruction {
        let start = input.offset
        let raw = try input.u8("an opcode")
        guard let opcode = Opcode(rawValue: raw) else {
            throw input.error({ DiagnosticCatalogue.bytecodeUnknownOpcode(Int(raw), at: $0) }, at: start)
        }
        var operands: [Operand] = []
        for field in opcode.spec.fields {
            operands.append(try operand(&input, field, opcode))
        }
        return Instruction(opcode, operands)
    }

    private static func operand(_ input: inout ByteReader, _ field: FieldSpec, _ opcode: Opcode) throws(BytecodeError) -> Operand {
        let what = "\(opcode.spec.mnemonic) field '\(field.name)'"
        switch field.kind {
        case .buffer: return .buffer(try input.u32(what))
        case .tensor: return .tensor(try input.u32(what))
        case .semaphore: return .semaphore(try input.u32(what))
        case .loopSlot: return .loopSlot(try input.u16(what))
        case .integer: return .integer(try input.i64(what))
        case .float: return .float(try input.f64(what))
        case .affine: return .affine(try affine(&input, what))
        case .affineList:
            let count = Int(try input.u8(what))
            var list: [AffineOffset] = []
            for _ in 0..<count { list.append(try affine(&input, what)) }
            return .affineList(list)
        case .condition:
            switch try code(&input, [0, 1, 2], what) {
            case 0: return .condition(.never)
            case 1: return .condition(.always)
            default: return .condition(.when(slot: try input.u16(what), equals: try input.i64(what)))
            }
        case .scalarSource:
            if try flag(&input, what) { return .scalarSource(.buffer(try input.u32(what))) }
            return .scalarSource(.constant(try input.f64(what)))
        case .activationFunction: return .activationFunction(try code(&input, ActivationFunction.allCases, what))
        case .binaryOperator: return .binaryOperator(try code(&input, BinaryOperator.allCases, what))
        case .reduceOperator: return .reduceOperator(try code(&input, EngineReduceOp.allCases, what))
        case .reduceInto:
            guard try flag(&input, what) else { return .reduceInto(nil) }
            let op = try code(&input, EngineReduceOp.allCases, what)
            return .reduceInto(ReduceInto(op, into: try input.u32(what)))
        case .flag: return .flag(try flag(&input, what))
        }
    }

    private static func affine(_ input: inout ByteReader, _ what: String) throws(BytecodeError) -> AffineOffset {
        var affine = AffineOffset(constant: try input.i64(what))
        let count = Int(try input.u8(what))
        for _ in 0..<count {
            affine.terms.append(.init(slot: try input.u16(what), coefficient: try input.i64(what)))
        }
        return affine
    }
}
