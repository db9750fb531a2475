// Disassembler.swift: a bytecode program as readable text: tables, then each stream with its source lines.

import KilnMachine

/// Prints a program. Operands are printed field by field from the opcode table (`name value`); buffers as
/// `B3(%name)`, tensors as `T0(%x)`, loop variables as `L2`. Each instruction ends with `; path:line:col` and,
/// when `sourceLine` can supply it, the source line's text.
public struct BytecodeDisassembler {
    public var program: BytecodeProgram
    /// The text of a 1-based line of the kernel source, if available.
    public var sourceLine: (Int) -> String?

    public init(_ program: BytecodeProgram, sourceLine: @escaping (Int) -> String? = { _ in nil }) {
        self.program = program
        self.sourceLine = sourceLine
    }

    public func render() -> String {
        var out = "; kiln bytecode v\(BytecodeFormat.version): kernel \(program.kernelName), target \(program.target), "
            + "source \(program.sourcePath.isEmpty ? "?" : program.sourcePath)\n"
        out += "tensors:\n"
        for (index, tensor) in program.tensors.enumerated() {
            let shape = tensor.shape.isEmpty ? "" : "[\(tensor.shape.map(String.init).joined(separator: ", "))]"
            let defaultText = tensor.defaultValue.map { " = \($0)" } ?? ""
            out += "  T\(index) %\(tensor.name): \(tensor.role) \(tensor.dtype)\(shape)\(defaultText)\n"
        }
        out += "buffers:\n"
        for (index, buffer) in program.buffers.enumerated() {
            out += "  B\(index) %\(buffer.name): \(buffer.space) \(buffer.dtype)[\(buffer.partitions) | "
                + "\(buffer.freeDims.map(String.init).joined(separator: ", "))] at partition \(buffer.partitionStart) "
                + "offset \(buffer.offset)\n"
        }
        out += "semaphores: \(program.semaphoreCount)\nloop slots: \(program.loopSlotCount)\n"
        for stream in program.streams {
            out += "stream \(stream.unit): \(stream.instructions.count) instructions\n"
            var depth = 0
            for (index, instruction) in stream.instructions.enumerated() {
                if instruction.opcode == .loopEnd { depth = max(0, depth - 1) }
                let text = String(repeating: "  ", count: depth) + render(instruction)
                let number = String(index)
                out += "  " + String(repeating: " ", count: max(0, 4 - number.count)) + number + "  " + text
                let line = stream.lines.indices.contains(index) ? stream.lines[index] : .unknown
                if line.isKnown {
                    out += "  ; \(program.sourcePath):\(line.line):\(line.column)"
                    if let source = sourceLine(line.line) {
                        out += "  " + source.trimmingBlanks()
                    }
                }
                out += "\n"
                if instruction.opcode == .loopBegin { depth += 1 }
            }
        }
        return out
    }

    /// `mnemonic field value field value ...`, driven by the opcode table.
    public func render(_ instruction: Instruction) -> String {
        var parts = [instruction.opcode.spec.mnemonic]
        for (field, operand) in zip(instruction.opcode.spec.fields, instruction.operands) {
            parts.append("\(field.name) \(render(operand))")
        }
        return parts.joined(separator: " ")
    }

    public func render(_ operand: Operand) -> String {
        switch operand {
        case .buffer(let index): bufferName(index)
        case .tensor(let index):
            "T\(index)" + (program.tensors.indices.contains(index) ? "(%\(program.tensors[index].name))" : "")
        case .semaphore(let index): "S\(index)"
        case .loopSlot(let slot): "L\(slot)"
        case .integer(let value): String(value)
        case .float(let value): String(value)
        case .affine(let affine): affine.description
        case .affineList(let list): "[" + list.map(\.description).joined(separator: ", ") + "]"
        case .condition(let condition): condition.description
        case .scalarSource(.constant(let value)): String(value)
        case .scalarSource(.buffer(let index)): bufferName(index)
        case .activationFunction(let function): function.rawValue
        case .binaryOperator(let op): op.description
        case .reduceOperator(let op): op.description
        case .reduceInto(nil): "none"
        case .reduceInto(let reduce?): "\(reduce.op) -> \(bufferName(reduce.buffer))"
        case .flag(let value): value ? "yes" : "no"
        }
    }

    private func bufferName(_ index: Int) -> String {
        "B\(index)" + (program.buffers.indices.contains(index) ? "(%\(program.buffers[index].name))" : "")
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingBlanks() -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else { return "" }
        return String(self[first...last])
    }
}
