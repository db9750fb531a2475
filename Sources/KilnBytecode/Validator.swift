// Validator.swift: checks a decoded program's header, tables, loops and indices before anything runs.

import KilnMachine
import KilnSource

/// Checks everything the simulator relies on, so that running a validated program cannot trap:
/// the target is known; tensors and buffers have sane shapes and fit their memories; streams are distinct;
/// loops nest properly with bounded values; every index (tensor, buffer, semaphore, loop slot) is in range;
/// every opcode runs on its stream's engine and reaches only memories that engine can; operand shapes agree
/// (`Validator+Instructions.swift`). The first problem is thrown, located at its byte offset when a layout
/// from the decoder is given.
public struct BytecodeValidator {
    /// Bounds that keep every address computation far from Int overflow.
    public static let maxLoopValue = 1 << 31
    public static let maxCoefficient = 1 << 24
    public static let maxConstant = 1 << 40
    public static let maxLoopDepth = 64
    public static let maxSemaphores = 1 << 16
    public static let maxLoopSlots = 1 << 16
    public static let maxTensorElements = 1 << 34
    public static let maxRank = 8

    let program: BytecodeProgram
    let layout: BytecodeLayout?
    let target: MachineTarget

    /// Validates `program`; throws the first problem found.
    public static func validate(_ program: BytecodeProgram, layout: BytecodeLayout? = nil) throws(BytecodeError) {
        guard let target = MachineTarget.named(program.target) else {
            throw BytecodeError(DiagnosticCatalogue.bytecodeBadValue(
                "target", "'\(program.target)' is not a known target (\(MachineTarget.allNames))",
                at: SourceSpan(file: BytecodeFormat.spanFile, start: BytecodeFormat.magic.count + 4, end: BytecodeFormat.magic.count + 8)))
        }
        let validator = BytecodeValidator(program: program, layout: layout, target: target)
        try validator.checkTensors()
        try validator.checkBuffers()
        try validator.checkStreams()
    }

    /// Decodes and validates in one step: the loader every tool uses.
    public static func load(_ bytes: [UInt8]) throws(BytecodeError) -> BytecodeProgram {
        let (program, layout) = try BytecodeDecoder.decode(bytes)
        try validate(program, layout: layout)
        return program
    }

    func fail(_ detail: String, at offset: Int?) -> BytecodeError {
        let span = offset.map { SourceSpan(file: BytecodeFormat.spanFile, start: $0, end: $0 + 1) } ?? .unknown
        return BytecodeError(DiagnosticCatalogue.bytecodeInvalidProgram(detail, at: span))
    }

    private func checkTensors() throws(BytecodeError) {
        var names = Set<String>()
        for (index, tensor) in program.tensors.enumerated() {
            let offset = layout?.tensorOffsets[safe: index]
            guard !tensor.name.isEmpty, names.insert(tensor.name).inserted else {
                throw fail("tensor \(index) has an empty or repeated name '\(tensor.name)'", at: offset)
            }
            if tensor.role == .scalar {
                guard tensor.shape.isEmpty else { throw fail("scalar '\(tensor.name)' has a shape", at: offset) }
                continue
            }
            guard (1...Self.maxRank).contains(tensor.shape.count), tensor.shape.allSatisfy({ $0 > 0 }) else {
                throw fail("tensor '\(tensor.name)' has shape \(tensor.shape); expected 1 to \(Self.maxRank) positive dims", at: offset)
            }
            guard let count = checkedProduct(tensor.shape), count <= Self.maxTensorElements else {
                throw fail("tensor '\(tensor.name)' has more than \(Self.maxTensorElements) elements", at: offset)
            }
        }
    }

    private func checkBuffers() throws(BytecodeError) {
        for (index, buffer) in program.buffers.enumerated() {
            let offset = layout?.bufferOffsets[safe: index]
            let name = "buffer \(index) ('\(buffer.name)')"
            guard let memory = target.onChipMemory(buffer.space), buffer.space != .hbm else {
                throw fail("\(name) is in \(buffer.space); buffers live in sbuf or psum", at: offset)
            }
            guard buffer.partitions >= 1, buffer.partitionStart + buffer.partitions <= memory.partitions else {
                throw fail("\(name) covers partitions \(buffer.partitionStart)..<\(buffer.partitionStart + buffer.partitions); "
                           + "\(buffer.space) has \(memory.partitions)", at: offset)
            }
            guard !buffer.freeDims.isEmpty, buffer.freeDims.count < Self.maxRank, buffer.freeDims.allSatisfy({ $0 > 0 }),
                  let elements = checkedProduct(buffer.freeDims), elements <= memory.bytesPerPartition else {
                throw fail("\(name) has free dims \(buffer.freeDims); expected 1 to \(Self.maxRank - 1) positive dims "
                           + "that fit a partition", at: offset)
            }
            let end = buffer.offset + elements * buffer.dtype.byteSize
            guard end <= memory.bytesPerPartition else {
                throw fail("\(name) spans bytes \(buffer.offset)..<\(end) of each partition; \(buffer.space) has "
                           + "\(memory.bytesPerPartition) on \(target.name)", at: offset)
            }
        }
    }

    private func checkStreams() throws(BytecodeError) {
        let countsOffset = layout?.headerCountsOffset
        guard program.semaphoreCount <= Self.maxSemaphores else {
            throw fail("\(program.semaphoreCount) semaphores; at most \(Self.maxSemaphores)", at: countsOffset)
        }
        guard program.loopSlotCount <= Self.maxLoopSlots else {
            throw fail("\(program.loopSlotCount) loop slots; at most \(Self.maxLoopSlots)", at: countsOffset)
        }
        var units = Set<StreamUnit>()
        let queueCount = target.dma.engines * target.dma.queuesPerEngine
        for (streamIndex, stream) in program.streams.enumerated() {
            let offset = layout?.streamOffsets[safe: streamIndex]
            guard units.insert(stream.unit).inserted else { throw fail("two streams feed \(stream.unit)", at: offset) }
            if case .dmaQueue(let queue) = stream.unit, queue >= queueCount {
                throw fail("DMA queue \(queue) does not exist; \(target.name) has \(queueCount)", at: offset)
            }
            guard stream.lines.count == stream.instructions.count else {
                throw fail("stream \(stream.unit) has \(stream.instructions.count) instructions but "
                           + "\(stream.lines.count) line-table entries", at: offset)
            }
            try checkInstructions(of: stream, index: streamIndex)
        }
    }

    /// Loop structure and per-instruction checks, walking the stream with its stack of open loops.
    private func checkInstructions(of stream: InstructionStream, index streamIndex: Int) throws(BytecodeError) {
        var openLoops: [Int] = []
        for (index, instruction) in stream.instructions.enumerated() {
            let offset = layout?.instructionOffsets[safe: streamIndex]?[safe: index]
            let context = InstructionContext(stream: stream.unit, index: index, opcode: instruction.opcode, offset: offset,
                                             openLoops: openLoops)
            guard instruction.opcode.runs(on: stream.unit) else {
                throw fail("\(context): \(instruction.opcode) cannot run on \(stream.unit)", at: offset)
            }
            guard instruction.operands.map(\.kind) == instruction.opcode.spec.fields.map(\.kind) else {
                throw fail("\(context): operands do not match the opcode's fields", at: offset)
            }
            switch (instruction.opcode, instruction.operands.first) {
            case (.loopBegin, .loopSlot(let slot)?):
                try checkLoop(instruction, slot: slot, context)
                guard openLoops.count < Self.maxLoopDepth else {
                    throw fail("\(context): loops nest deeper than \(Self.maxLoopDepth)", at: offset)
                }
                openLoops.append(slot)
            case (.loopEnd, .loopSlot(let slot)?):
                guard openLoops.last == slot else {
                    throw fail("\(context): endloop L\(slot) does not close the innermost open loop "
                               + (openLoops.last.map { "L\($0)" } ?? "(none is open)"), at: offset)
                }
                openLoops.removeLast()
            default:
                try checkOperands(instruction, context)
            }
        }
        if let slot = openLoops.last {
            throw fail("stream \(stream.unit) ends with loop L\(slot) still open", at: layout?.streamOffsets[safe: streamIndex])
        }
    }

    private func checkLoop(_ instruction: Instruction, slot: Int, _ context: InstructionContext) throws(BytecodeError) {
        guard slot < program.loopSlotCount else {
            throw fail("\(context): loop slot \(slot) is out of range (\(program.loopSlotCount) slots)", at: context.offset)
        }
        guard !context.openLoops.contains(slot) else {
            throw fail("\(context): loop slot L\(slot) is already used by an enclosing loop", at: context.offset)
        }
        guard case .integer(let from) = instruction.operands[1], case .integer(let trips) = instruction.operands[2],
              case .integer(let step) = instruction.operands[3] else { return }
        let limit = Self.maxLoopValue
        guard from.magnitude < limit, trips >= 0, trips < limit, step > 0, step < limit,
              abs(from + (trips > 0 ? (trips - 1) * step : 0)) < limit else {
            throw fail("\(context): loop from \(from), \(trips) trips, step \(step): trips and step must be "
                       + "positive (trips may be 0) and values within +-2^31", at: context.offset)
        }
    }

    func checkedProduct(_ values: [Int]) -> Int? {
        var product = 1
        for value in values {
            let (next, overflow) = product.multipliedReportingOverflow(by: value)
            guard !overflow, next <= Self.maxTensorElements else { return nil }
            product = next
        }
        return product
    }
}

/// Where an instruction is, for messages.
struct InstructionContext: CustomStringConvertible {
    var stream: StreamUnit
    var index: Int
    var opcode: Opcode
    var offset: Int?
    var openLoops: [Int]
    var description: String { "\(stream) instruction \(index) (\(opcode))" }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
