// Simulator.swift: the simulator's front door: options, results, findings, and `Simulator.run`.

import Foundation
import KilnBytecode
import KilnMachine
import KilnNumerics
import KilnSource

/// How to run a program.
public struct SimulationOptions: Sendable {
    /// Skip the numerics (and the memory checks): time only, so large shapes simulate in seconds.
    public var timingOnly: Bool
    /// Check reads of never-written memory and races between streams (functional runs only).
    public var checks: Bool
    /// Keep one trace event per executed instruction (for `--trace`).
    public var recordTrace: Bool
    /// Stop with an error after this many executed instructions (loop control included).
    public var maxSteps: Int
    /// Stop recording findings after this many (the count of dropped ones is reported).
    public var maxFindings: Int
    /// A functional run refuses programs whose HBM tensors hold more elements than this (memory budget).
    public var maxHBMElements: Int

    public init(timingOnly: Bool = false, checks: Bool = true, recordTrace: Bool = false, maxSteps: Int = 2_000_000_000,
                maxFindings: Int = 50, maxHBMElements: Int = 1 << 28) {
        self.maxHBMElements = maxHBMElements
        self.timingOnly = timingOnly
        self.checks = checks
        self.recordTrace = recordTrace
        self.maxSteps = maxSteps
        self.maxFindings = maxFindings
    }
}

/// An instruction as findings and traces name it: stream, index, mnemonic and source position.
public struct InstructionSite: Hashable, Sendable, CustomStringConvertible {
    public var unit: StreamUnit
    public var index: Int
    public var mnemonic: String
    public var line: LineEntry
    public var sourcePath: String

    /// `dve.copy (dve #12) at softmax.kiln:9:11`
    public var description: String {
        "\(mnemonic) (\(unit) #\(index))" + (line.isKnown ? " at \(sourcePath):\(line.line):\(line.column)" : "")
    }
}

/// Something the simulator found wrong with the program while running it (race, uninitialised read, ...).
public struct SimFinding: Sendable {
    public var diagnostic: Diagnostic
    /// The instructions involved, first the one that was executing.
    public var sites: [InstructionSite]

    /// `path:line:col: error: message [Kxxxx]`, located at the first site with a known line.
    public func rendered() -> String {
        let located = sites.first { $0.line.isKnown }
        let place = located.map { "\($0.sourcePath):\($0.line.line):\($0.line.column): " } ?? "kiln: "
        return "\(place)\(diagnostic.severity): \(diagnostic.message) [\(diagnostic.id.code)]"
    }
}

/// One executed instruction on the timeline.
public struct TraceEvent: Sendable {
    public var site: InstructionSite
    public var startNanoseconds: Double
    public var durationNanoseconds: Double
}

/// What a run produced.
public struct SimulationResult: Sendable {
    /// The kernel's outputs in signature order as stored (empty in timing-only runs): `.npy` data as it is.
    public var packedOutputs: [(name: String, tensor: PackedTensor)]
    /// The outputs decoded into `Tensor`s.
    public var outputs: [(name: String, tensor: Tensor)] { packedOutputs.map { ($0.name, $0.tensor.tensor) } }
    public var findings: [SimFinding]
    public var stats: SimulationStats
    public var trace: [TraceEvent]

    public var hasErrors: Bool { findings.contains { $0.diagnostic.severity == .error } }
}

/// Why a run could not start: a malformed program or unusable inputs.
public struct SimulationError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public var description: String {
        diagnostics.map { "\($0.message) [\($0.id.code)]" }.joined(separator: "\n")
    }
}

/// The simulator: runs a bytecode program for results (hardware numerics) and time (a discrete-event model
/// of the engines' in-order queues, semaphores and DMA queues). See Docs/simulator.md.
public enum Simulator {
    /// Runs `program`. `inputs` maps input names to tensors (of the input's shape; values are converted to its
    /// element type); inputs without a value are an error unless `random` gives a seed to generate them.
    public static func run(_ program: BytecodeProgram, inputs: [String: Tensor], random: UInt64? = nil,
                           options: SimulationOptions = SimulationOptions()) throws(SimulationError) -> SimulationResult {
        try run(program, packedInputs: inputs.mapValues(PackedTensor.init), random: random, options: options)
    }

    /// `run` with inputs as stored bit patterns (e.g. straight from .npy files): an input of its parameter's
    /// element type becomes its HBM tensor with one copy; another type is converted (`ElementType.convert`).
    public static func run(_ program: BytecodeProgram, packedInputs inputs: [String: PackedTensor], random: UInt64? = nil,
                           options: SimulationOptions = SimulationOptions()) throws(SimulationError) -> SimulationResult {
        try run(SimulationProgram(program), packedInputs: inputs, random: random, options: options)
    }

    /// `run` of a program validated and decoded once (`SimulationProgram`), for callers that run it many times.
    public static func run(_ simulation: SimulationProgram, packedInputs inputs: [String: PackedTensor], random: UInt64? = nil,
                           options: SimulationOptions = SimulationOptions()) throws(SimulationError) -> SimulationResult {
        let started = ContinuousClock.now
        let (program, prepared) = (simulation.program, simulation.prepared)
        if !options.timingOnly {
            let elements = program.tensors.reduce(0) { $0 + $1.elementCount }
            guard elements <= options.maxHBMElements else {
                throw SimulationError([DiagnosticCatalogue.simTooLarge(elements: elements, limit: options.maxHBMElements)])
            }
        }
        let values = options.timingOnly ? [:] : try inputValues(program, inputs: inputs, random: random)
        var run = SimulationRun(prepared, inputs: values, options: options, recycled: simulation.recycler.take())
        run.run()
        var result = run.result()
        if let memory = run.memory { simulation.recycler.keep(OnChipStores(sbuf: memory.sbuf, psum: memory.psum)) }
        let elapsed = ContinuousClock.now - started
        result.stats.hostSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return result
    }

    /// Input tensors' stored bytes by tensor-table index, converted to each input's element type.
    static func inputValues(_ program: BytecodeProgram, inputs: [String: PackedTensor],
                            random: UInt64?) throws(SimulationError) -> [Int: [UInt8]] {
        var problems: [Diagnostic] = []
        let inputEntries = program.tensors.filter { $0.role == .input || $0.role == .scalar }
        for name in inputs.keys.sorted() where !inputEntries.contains(where: { $0.name == name }) {
            problems.append(DiagnosticCatalogue.simUnknownInput(name, known: inputEntries.map(\.name).joined(separator: ", ")))
        }
        var values: [Int: [UInt8]] = [:]
        for (index, entry) in program.tensors.enumerated() where entry.role == .input {
            let expected = "\(entry.dtype)[\(entry.shape.map(String.init).joined(separator: ", "))]"
            let given = inputs[entry.name] ?? random.flatMap {
                RandomInputs(seed: $0).tensor(named: entry.name, dtype: entry.dtype, shape: entry.shape).map(PackedTensor.init)
            }
            guard let tensor = given else {
                problems.append(DiagnosticCatalogue.simMissingInput(entry.name, expected: expected))
                continue
            }
            guard tensor.shape == entry.shape else {
                let dims = tensor.shape.count == entry.shape.count
                    ? zip(tensor.shape, entry.shape).enumerated().first { $0.element.0 != $0.element.1 }
                        .map { "dim \($0.offset) is \($0.element.0) in the input but \($0.element.1) in the compiled kernel; " } ?? ""
                    : "rank \(tensor.shape.count) in the input but \(entry.shape.count) in the compiled kernel; "
                let held = "\(tensor.dtype)[\(tensor.shape.map(String.init).joined(separator: ", "))]"
                problems.append(DiagnosticCatalogue.simInputMismatch(
                    entry.name, "\(dims)the kernel expects \(expected), the input holds \(held) "
                        + "(recompile with --dim to change the shapes)"))
                continue
            }
            values[index] = tensor.dtype == entry.dtype ? tensor.bytes : PackedTensor(tensor.tensor.converted(to: entry.dtype)).bytes
        }
        if !problems.isEmpty { throw SimulationError(problems) }
        return values
    }
}

/// A bytecode program validated and decoded for the simulator once (`PreparedProgram`), to be run any number of
/// times: what an embedder that calls the same kernel repeatedly keeps.
public struct SimulationProgram: @unchecked Sendable {
    public let program: BytecodeProgram
    let prepared: PreparedProgram
    /// The on-chip memories of the last finished run, for the next run to clear and reuse.
    let recycler = OnChipRecycler()

    public init(_ program: BytecodeProgram) throws(SimulationError) {
        self.program = program
        do {
            prepared = try PreparedProgram(program)
        } catch {
            throw SimulationError([error.diagnostic])
        }
    }
}

/// Holds the on-chip memories of one finished run of a program until the next run takes them. Runs on several
/// threads at once each take their own (the one that finds none allocates fresh memories).
final class OnChipRecycler: @unchecked Sendable {
    private let lock = NSLock()
    private var stores: OnChipStores?

    func take() -> OnChipStores? {
        lock.lock()
        defer { lock.unlock() }
        defer { stores = nil }
        return stores
    }

    func keep(_ finished: OnChipStores) {
        lock.lock()
        defer { lock.unlock() }
        stores = finished
    }
}
