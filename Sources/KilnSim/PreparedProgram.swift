// PreparedProgram.swift: a validated program turned into typed steps with loop jumps and static costs.

import KilnBytecode
import KilnISA
import KilnMachine
import KilnSource

/// One instruction in the form the simulator runs (operands typed, indices already validated).
enum Step {
    case loopBegin(slot: Int, from: Int, trips: Int, step: Int)
    case loopEnd(slot: Int)
    case signal(semaphore: Int)
    case wait(semaphore: Int, atLeast: AffineOffset)
    /// An engine op from the op table and its operands, grouped by the declaration's fields.
    case engine(EngineOp, EngineOperands)

    var isControl: Bool {
        if case .engine = self { return false }
        return true
    }
}

/// An engine instruction's operands, one group per declaration field (an HBM slice is a tensor and its
/// offsets), read by field index. The validator has checked every kind, so a mismatch cannot happen; the
/// accessors still return a harmless value rather than trap.
struct EngineOperands {
    let fields: [[Operand]]

    func buffer(_ field: Int) -> Int {
        if case .buffer(let index)? = fields[safe: field]?.first { return index }
        return 0
    }
    func slice(_ field: Int) -> (tensor: Int, offsets: [AffineOffset]) {
        guard let group = fields[safe: field], group.count == 2, case .tensor(let tensor) = group[0],
              case .affineList(let offsets) = group[1] else { return (0, []) }
        return (tensor, offsets)
    }
    func scalar(_ field: Int) -> ScalarSource {
        if case .scalarSource(let source)? = fields[safe: field]?.first { return source }
        return .constant(0)
    }
    func function(_ field: Int) -> ActivationFunction {
        if case .activationFunction(let function)? = fields[safe: field]?.first { return function }
        return .identity
    }
    func binary(_ field: Int) -> BinaryOperator {
        if case .binaryOperator(let op)? = fields[safe: field]?.first { return op }
        return .add
    }
    func reduce(_ field: Int) -> EngineReduceOp {
        if case .reduceOperator(let op)? = fields[safe: field]?.first { return op }
        return .add
    }
    func reduceInto(_ field: Int) -> ReduceInto? {
        if case .reduceInto(let reduce)? = fields[safe: field]?.first { return reduce }
        return nil
    }
    func float(_ field: Int) -> Double {
        if case .float(let value)? = fields[safe: field]?.first { return value }
        return 0
    }
    func integer(_ field: Int) -> Int {
        if case .integer(let value)? = fields[safe: field]?.first { return value }
        return 0
    }
    func affine(_ field: Int) -> AffineOffset {
        if case .affine(let value)? = fields[safe: field]?.first { return value }
        return AffineOffset()
    }
    func flag(_ field: Int) -> Bool {
        if case .flag(let value)? = fields[safe: field]?.first { return value }
        return false
    }
    func condition(_ field: Int) -> FlagCondition {
        if case .condition(let condition)? = fields[safe: field]?.first { return condition }
        return .never
    }

    /// What the op table's rules and cost formulas see of these operands.
    func facts(_ program: BytecodeProgram) -> OperandFacts {
        OperandFacts(fields.map { group -> OperandFact? in
            switch group.first {
            case .buffer(let index)?: .tile(program.buffers[index].shape)
            case .tensor(let index)?: .hbm(program.tensors[index].dtype, program.tensors[index].shape)
            case .scalarSource(.constant(let value))?: .scalarConstant(value)
            case .scalarSource(.buffer(let index))?: .scalarTile(program.buffers[index].shape)
            case .activationFunction(let function)?: .activationFunction(function)
            case .binaryOperator(let op)?: .binaryOperator(op)
            case .reduceOperator(let op)?: .reduceOperator(op)
            case .reduceInto(nil)?: .noReduce
            case .reduceInto(let reduce?)?: .reduceInto(reduce.op, program.buffers[reduce.buffer].shape)
            case .float(let value)?: .float(value)
            case .integer(let value)?: .integer(value)
            case .flag(let value)?: .flag(value)
            case .condition(let condition)?: .condition(isAlways: condition == .always)
            case .semaphore?, .loopSlot?, .affine?, .affineList?, nil: nil
            }
        })
    }
}

/// A stream ready to run: steps, their static durations, loop jump targets and source lines.
struct PreparedStream {
    let unit: StreamUnit
    let steps: [Step]
    let mnemonics: [String]
    let lines: [LineEntry]
    /// Nanoseconds each step keeps its engine busy (DMA: see `DMATransferTiming`; control steps: 0).
    let durations: [Double]
    /// For DMA steps: bytes moved, the transfer's own rate and its rate on the shared channel.
    let dmaCosts: [DMATransferTiming?]
    /// Tensor-engine FLOPs of each step (hardware, model), from the op's declaration.
    let flops: [(hardware: Double, model: Double)]
    /// `partner[i]`: for a loop begin, the index of its end; for a loop end, its begin.
    let partner: [Int]
}

/// The whole program prepared for one target.
struct PreparedProgram {
    let program: BytecodeProgram
    let target: MachineTarget
    let streams: [PreparedStream]
    /// For each buffer, the buffers that share a byte with it (itself included).
    let overlapping: [[Int]]

    init(_ program: BytecodeProgram) throws(BytecodeError) {
        try BytecodeValidator.validate(program)
        guard let target = MachineTarget.named(program.target) else {
            throw BytecodeError(DiagnosticCatalogue.bytecodeBadValue("target", program.target, at: .unknown))
        }
        self.program = program
        self.target = target
        var streams: [PreparedStream] = []
        for stream in program.streams {
            streams.append(try Self.prepare(stream, program: program, target: target))
        }
        self.streams = streams
        let buffers = program.buffers
        overlapping = buffers.map { buffer in buffers.indices.filter { buffers[$0].overlaps(buffer) } }
    }

    private static func prepare(_ stream: InstructionStream, program: BytecodeProgram,
                                target: MachineTarget) throws(BytecodeError) -> PreparedStream {
        var steps: [Step] = []
        var partner = Array(repeating: -1, count: stream.instructions.count)
        var open: [Int] = []
        for (index, instruction) in stream.instructions.enumerated() {
            let step = try StepDecoding.step(instruction)
            if case .loopBegin = step { open.append(index) }
            if case .loopEnd = step, let begin = open.popLast() {
                partner[begin] = index
                partner[index] = begin
            }
            steps.append(step)
        }
        let costs = steps.map { InstructionCost.duration(of: $0, program: program, target: target, unit: stream.unit) }
        return PreparedStream(unit: stream.unit, steps: steps, mnemonics: stream.instructions.map(\.opcode.spec.mnemonic),
                              lines: stream.lines, durations: costs.map(\.nanoseconds), dmaCosts: costs.map(\.dma),
                              flops: steps.map { InstructionCost.flops(of: $0, program: program) }, partner: partner)
    }
}

/// Operand lists to steps, following the opcode table's field order.
enum StepDecoding {
    static func step(_ instruction: Instruction) throws(BytecodeError) -> Step {
        let o = instruction.operands
        let mismatch = BytecodeError(DiagnosticCatalogue.bytecodeInvalidProgram(
            "\(instruction.opcode) has operands that do not match its fields", at: .unknown))
        let fields = instruction.opcode.spec.fields
        guard o.map(\.kind) == fields.map(\.kind) else { throw mismatch }
        switch instruction.opcode {
        case .loopBegin:
            if case .loopSlot(let slot) = o[0], case .integer(let from) = o[1], case .integer(let trips) = o[2],
               case .integer(let step) = o[3] { return .loopBegin(slot: slot, from: from, trips: trips, step: step) }
        case .loopEnd:
            if case .loopSlot(let slot) = o[0] { return .loopEnd(slot: slot) }
        case .semSignal:
            if case .semaphore(let semaphore) = o[0] { return .signal(semaphore: semaphore) }
        case .semWait:
            if case .semaphore(let semaphore) = o[0], case .affine(let count) = o[1] { return .wait(semaphore: semaphore, atLeast: count) }
        case .engine(let op):
            var groups = [[Operand]](repeating: [], count: op.declaration.fields.count)
            for (field, operand) in zip(fields, o) {
                guard let index = field.declarationField, index < groups.count else { throw mismatch }
                groups[index].append(operand)
            }
            return .engine(op, EngineOperands(fields: groups))
        }
        throw mismatch
    }
}

extension Array {
    fileprivate subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
