// PreparedProgram.swift: a validated program turned into typed steps with loop jumps and static costs.

import KilnBytecode
import KilnMachine
import KilnSource

/// One instruction in the form the simulator runs (operands typed, indices already validated).
enum Step {
    case loopBegin(slot: Int, from: Int, trips: Int, step: Int)
    case loopEnd(slot: Int)
    case signal(semaphore: Int)
    case wait(semaphore: Int, atLeast: AffineOffset)
    case dmaLoad(tensor: Int, offsets: [AffineOffset], buffer: Int, transpose: Bool, broadcast: Bool)
    case dmaStore(buffer: Int, tensor: Int, offsets: [AffineOffset])
    case matmul(stationary: Int, moving: Int, accumulator: Int, start: FlagCondition, stop: FlagCondition)
    case transpose(source: Int, destination: Int)
    case activate(ActivationFunction, source: Int, destination: Int, scale: Double, bias: ScalarSource,
                  reduce: (op: ReduceOperator, into: Int)?)
    case tensorTensor(ALUOperator, Int, Int, destination: Int)
    case tensorScalar(ALUOperator, Int, ScalarSource, destination: Int)
    case reduce(ReduceOperator, source: Int, destination: Int)
    case copy(source: Int, destination: Int)
    case reciprocal(source: Int, destination: Int)
    case iota(base: Int, partitionStep: Int, freeStep: Int, destination: Int)
    case select(condition: Int, Int, Int, destination: Int)

    var isControl: Bool {
        switch self {
        case .loopBegin, .loopEnd, .signal, .wait: true
        default: false
        }
    }
}

/// A stream ready to run: steps, their static durations, loop jump targets and source lines.
struct PreparedStream {
    let unit: StreamUnit
    let steps: [Step]
    let mnemonics: [String]
    let lines: [LineEntry]
    /// Nanoseconds each step keeps its engine busy (DMA: see `DMACost`; control steps: 0).
    let durations: [Double]
    /// For DMA steps: bytes moved and the transfer's own bandwidth (bytes/ns).
    let dmaCosts: [DMACost?]
    /// `partner[i]`: for a loop begin, the index of its end; for a loop end, its begin.
    let partner: [Int]
}

/// The bytes of one DMA transfer and the rate it moves them at.
struct DMACost {
    var bytes: Int
    var bytesPerNanosecond: Double
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
                              partner: partner)
    }
}

/// Operand lists to typed steps, following the opcode table's field order.
enum StepDecoding {
    static func step(_ instruction: Instruction) throws(BytecodeError) -> Step {
        let o = instruction.operands
        let mismatch = BytecodeError(DiagnosticCatalogue.bytecodeInvalidProgram(
            "\(instruction.opcode) has operands that do not match its fields", at: .unknown))
        switch (instruction.opcode, o.count) {
        case (.loopBegin, 4):
            if case .loopSlot(let slot) = o[0], case .integer(let from) = o[1], case .integer(let trips) = o[2],
               case .integer(let step) = o[3] { return .loopBegin(slot: slot, from: from, trips: trips, step: step) }
        case (.loopEnd, 1):
            if case .loopSlot(let slot) = o[0] { return .loopEnd(slot: slot) }
        case (.semSignal, 1):
            if case .semaphore(let semaphore) = o[0] { return .signal(semaphore: semaphore) }
        case (.semWait, 2):
            if case .semaphore(let semaphore) = o[0], case .affine(let count) = o[1] { return .wait(semaphore: semaphore, atLeast: count) }
        case (.dmaLoad, 5):
            if case .tensor(let tensor) = o[0], case .affineList(let offsets) = o[1], case .buffer(let buffer) = o[2],
               case .flag(let transpose) = o[3], case .flag(let broadcast) = o[4] {
                return .dmaLoad(tensor: tensor, offsets: offsets, buffer: buffer, transpose: transpose, broadcast: broadcast)
            }
        case (.dmaStore, 3):
            if case .buffer(let buffer) = o[0], case .tensor(let tensor) = o[1], case .affineList(let offsets) = o[2] {
                return .dmaStore(buffer: buffer, tensor: tensor, offsets: offsets)
            }
        case (.matmul, 5):
            if case .buffer(let s) = o[0], case .buffer(let m) = o[1], case .buffer(let acc) = o[2],
               case .condition(let start) = o[3], case .condition(let stop) = o[4] {
                return .matmul(stationary: s, moving: m, accumulator: acc, start: start, stop: stop)
            }
        case (.peTranspose, 2), (.tensorCopy, 2), (.reciprocal, 2):
            if case .buffer(let source) = o[0], case .buffer(let destination) = o[1] {
                switch instruction.opcode {
                case .peTranspose: return .transpose(source: source, destination: destination)
                case .tensorCopy: return .copy(source: source, destination: destination)
                default: return .reciprocal(source: source, destination: destination)
                }
            }
        case (.activate, 5), (.activateReduce, 7):
            if case .activationFunction(let function) = o[0], case .buffer(let source) = o[1], case .buffer(let destination) = o[2],
               case .float(let scale) = o[3], case .scalarSource(let bias) = o[4] {
                var reduce: (ReduceOperator, Int)?
                if o.count == 7, case .reduceOperator(let op) = o[5], case .buffer(let into) = o[6] { reduce = (op, into) }
                if o.count == 7 && reduce == nil { throw mismatch }
                return .activate(function, source: source, destination: destination, scale: scale, bias: bias, reduce: reduce)
            }
        case (.tensorTensor, 4):
            if case .aluOperator(let op) = o[0], case .buffer(let a) = o[1], case .buffer(let b) = o[2], case .buffer(let d) = o[3] {
                return .tensorTensor(op, a, b, destination: d)
            }
        case (.tensorScalar, 4):
            if case .aluOperator(let op) = o[0], case .buffer(let a) = o[1], case .scalarSource(let s) = o[2],
               case .buffer(let d) = o[3] { return .tensorScalar(op, a, s, destination: d) }
        case (.tensorReduce, 3):
            if case .reduceOperator(let op) = o[0], case .buffer(let s) = o[1], case .buffer(let d) = o[2] {
                return .reduce(op, source: s, destination: d)
            }
        case (.iota, 4):
            if case .integer(let base) = o[0], case .integer(let ps) = o[1], case .integer(let fs) = o[2], case .buffer(let d) = o[3] {
                return .iota(base: base, partitionStep: ps, freeStep: fs, destination: d)
            }
        case (.select, 4):
            if case .buffer(let c) = o[0], case .buffer(let a) = o[1], case .buffer(let b) = o[2], case .buffer(let d) = o[3] {
                return .select(condition: c, a, b, destination: d)
            }
        default:
            break
        }
        throw mismatch
    }
}
