// Encoder.swift: writes a BytecodeProgram as bytes (layout in Docs/bytecode.md), fields from the opcode table.

import KilnISA
import KilnMachine

/// The file's constants.
public enum BytecodeFormat {
    /// `\x7F K I L N B C \n`: the first eight bytes of every `.kbc` file.
    public static let magic: [UInt8] = [0x7F, 0x4B, 0x49, 0x4C, 0x4E, 0x42, 0x43, 0x0A]
    /// The version this kiln writes and reads.
    public static let version = 6
    /// The file a bytecode problem's span names: its offsets are byte offsets into the encoded program,
    /// which may never have been a file (the tools print the path they read it from).
    public static let spanFile = "<bytecode>"
}

/// Encodes programs. Operands are written in the order and with the encoding of the opcode's fields.
public enum BytecodeEncoder {
    public static func encode(_ program: BytecodeProgram) -> [UInt8] {
        var out = ByteWriter()
        out.raw(BytecodeFormat.magic)
        out.u16(BytecodeFormat.version)
        out.u16(0)
        out.string(program.target)
        out.string(program.kernelName)
        out.string(program.sourcePath)
        out.u32(program.tensors.count)
        for tensor in program.tensors {
            out.string(tensor.name)
            out.u8(BytecodeCodes.code(of: tensor.dtype, in: BytecodeCodes.elementTypes))
            out.u8(tensor.role.rawValue)
            out.u8(UInt8(truncatingIfNeeded: tensor.shape.count))
            for dim in tensor.shape { out.u32(dim) }
            out.u8(tensor.defaultValue == nil ? 0 : 1)
            if let value = tensor.defaultValue { out.f64(value) }
        }
        out.u32(program.buffers.count)
        for buffer in program.buffers {
            out.string(buffer.name)
            out.u8(BytecodeCodes.code(of: buffer.space, in: BytecodeCodes.memorySpaces))
            out.u8(BytecodeCodes.code(of: buffer.dtype, in: BytecodeCodes.elementTypes))
            out.u16(buffer.partitionStart)
            out.u16(buffer.partitions)
            out.u32(buffer.offset)
            out.u8(UInt8(truncatingIfNeeded: buffer.freeDims.count))
            for dim in buffer.freeDims { out.u32(dim) }
        }
        out.u32(program.semaphoreCount)
        out.u32(program.loopSlotCount)
        out.u32(program.streams.count)
        for stream in program.streams {
            out.u8(BytecodeCodes.code(of: stream.unit.engine, in: BytecodeCodes.engines))
            if case .dmaQueue(let queue) = stream.unit { out.u16(queue) } else { out.u16(0) }
            out.u32(stream.instructions.count)
            for instruction in stream.instructions { encode(instruction, into: &out) }
            for index in stream.instructions.indices {
                let line = index < stream.lines.count ? stream.lines[index] : .unknown
                out.u32(line.line)
                out.u32(line.column)
            }
        }
        return out.bytes
    }

    static func encode(_ instruction: Instruction, into out: inout ByteWriter) {
        out.u8(instruction.opcode.rawValue)
        for operand in instruction.operands { encode(operand, into: &out) }
    }

    static func encode(_ operand: Operand, into out: inout ByteWriter) {
        switch operand {
        case .buffer(let index), .tensor(let index), .semaphore(let index): out.u32(index)
        case .loopSlot(let slot): out.u16(slot)
        case .integer(let value): out.i64(value)
        case .float(let value): out.f64(value)
        case .affine(let affine): encode(affine, into: &out)
        case .affineList(let list):
            out.u8(UInt8(truncatingIfNeeded: list.count))
            for affine in list { encode(affine, into: &out) }
        case .condition(let condition):
            switch condition {
            case .never: out.u8(0)
            case .always: out.u8(1)
            case .when(let slot, let value):
                out.u8(2)
                out.u16(slot)
                out.i64(value)
            }
        case .scalarSource(.constant(let value)):
            out.u8(0)
            out.f64(value)
        case .scalarSource(.buffer(let index)):
            out.u8(1)
            out.u32(index)
        case .activationFunction(let function): out.u8(StableCode.code(of: function, in: ActivationFunction.allCases))
        case .binaryOperator(let op): out.u8(StableCode.code(of: op, in: BinaryOperator.allCases))
        case .reduceOperator(let op): out.u8(StableCode.code(of: op, in: EngineReduceOp.allCases))
        case .reduceInto(nil): out.u8(0)
        case .reduceInto(let reduce?):
            out.u8(1)
            out.u8(StableCode.code(of: reduce.op, in: EngineReduceOp.allCases))
            out.u32(reduce.buffer)
        case .flag(let value): out.u8(value ? 1 : 0)
        }
    }

    static func encode(_ affine: AffineOffset, into out: inout ByteWriter) {
        out.i64(affine.constant)
        out.u8(UInt8(truncatingIfNeeded: affine.terms.count))
        for term in affine.terms {
            out.u16(term.slot)
            out.i64(term.coefficient)
        }
    }
}
