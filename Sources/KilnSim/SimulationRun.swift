// SimulationRun.swift: the discrete-event loop: in-order streams, counting semaphores, loops, the DMA channel.

import KilnBytecode
import KilnMachine
import KilnNumerics
import KilnSource

/// The state of one stream while running.
struct StreamState {
    var pc = 0
    /// When the stream's next instruction may start (ns).
    var ready: Double = 0
    var finished: Bool
    /// The semaphore the stream is blocked on, if any.
    var blockedOn: Int?
    /// Loop-variable values and iteration counts, per slot.
    var loopValues: [Int]
    var loopIterations: [Int]
    var busy: Double = 0
    var instructions = 0
    var end: Double = 0
    /// Vector clock (one component per stream) when checks are on.
    var clock: [Int]
}

/// One unit a `sem.signal` added: when, and the signaller's vector clock (checks only).
struct SemaphoreUnit {
    var time: Double
    var clock: [Int]
}

/// A counting semaphore: signals append units; a wait for n takes the n oldest once n are there.
struct SemaphoreState {
    var units: [SemaphoreUnit] = []
    var head = 0
    var available: Int { units.count - head }
    mutating func take(_ count: Int) -> ArraySlice<SemaphoreUnit> {
        defer {
            head += count
            if head > 4096 && head * 2 > units.count {
                units.removeFirst(head)
                head = 0
            }
        }
        return units[head..<(head + count)]
    }
}

/// Algorithm: repeatedly pick the runnable stream whose next instruction can start earliest (ties to the lower
/// stream index) and run that instruction. Loop begin/end and signals take no time; a wait whose count is
/// available takes the units and lets the stream continue at the latest unit's signal time (plus the fixed
/// overhead of a dependent instruction when it actually waited); otherwise the stream blocks until a signal
/// on that semaphore. Compute instructions occupy their engine for their static cost. A DMA transfer first
/// spends the fixed cost, then moves its bytes at its own rate, but no earlier than the core's shared DMA
/// bandwidth allows (`dmaChannelFree`: bytes / (core bandwidth x the transfer's efficiency), in issue order). Numerics run when
/// the instruction is issued; in-order streams plus semaphores make the result independent of that order for
/// race-free programs, and the hazard checks report the programs for which it is not.
struct SimulationRun {
    let prepared: PreparedProgram
    let options: SimulationOptions
    var memory: MachineMemory?
    var streams: [StreamState]
    var semaphores: [SemaphoreState]
    var hazards: HazardTracker?
    var findings: [SimFinding] = []
    var droppedFindings = 0
    var trace: [TraceEvent] = []
    var steps = 0
    var dmaChannelFree: Double = 0
    var dmaBytes = 0
    var flops: (hardware: Double, model: Double) = (0, 0)
    var stoppedEarly = false
    /// Float buffers the f32 / bf16 fast path reuses across instructions (`Execute+Floats.swift`).
    let scratch = FloatScratch()

    init(_ prepared: PreparedProgram, inputs: [Int: [UInt8]], options: SimulationOptions, recycled: OnChipStores? = nil) {
        self.prepared = prepared
        self.options = options
        let program = prepared.program
        let checking = options.checks && !options.timingOnly
        memory = options.timingOnly ? nil : MachineMemory(program: program, target: prepared.target, inputs: inputs,
                                                          recycled: recycled)
        streams = prepared.streams.map { stream in
            StreamState(finished: stream.steps.isEmpty, loopValues: Array(repeating: 0, count: program.loopSlotCount),
                        loopIterations: Array(repeating: 0, count: program.loopSlotCount),
                        clock: checking ? Array(repeating: 0, count: prepared.streams.count) : [])
        }
        semaphores = Array(repeating: SemaphoreState(), count: program.semaphoreCount)
        hazards = checking ? HazardTracker(program: program, streamCount: prepared.streams.count) : nil
    }

    mutating func run() {
        while !stoppedEarly, let index = nextStream() {
            step(index)
        }
        if !stoppedEarly { reportDeadlock() }
    }

    private func nextStream() -> Int? {
        var best: Int?
        for index in streams.indices where !streams[index].finished && streams[index].blockedOn == nil {
            if best.map({ streams[index].ready < streams[$0].ready }) ?? true { best = index }
        }
        return best
    }

    /// Runs the next instruction of stream `index`.
    private mutating func step(_ index: Int) {
        let stream = prepared.streams[index]
        let pc = streams[index].pc
        steps += 1
        if steps > options.maxSteps {
            report(DiagnosticCatalogue.simStepLimit(options.maxSteps), sites: [site(index, pc)])
            stoppedEarly = true
            return
        }
        var next = pc + 1
        switch stream.steps[pc] {
        case .loopBegin(let slot, let from, let trips, _):
            if trips == 0 {
                next = stream.partner[pc] + 1
            } else {
                streams[index].loopValues[slot] = from
                streams[index].loopIterations[slot] = 0
            }
        case .loopEnd(let slot):
            let begin = stream.partner[pc]
            if case .loopBegin(_, _, let trips, let stepSize) = stream.steps[begin],
               streams[index].loopIterations[slot] + 1 < trips {
                streams[index].loopIterations[slot] += 1
                streams[index].loopValues[slot] += stepSize
                next = begin + 1
            }
        case .signal(let semaphore):
            signal(semaphore, from: index)
        case .wait(let semaphore, let count):
            guard wait(semaphore, count: evaluate(count, index), stream: index) else { return }
        default:
            execute(index, pc)
        }
        streams[index].pc = next
        if next >= stream.steps.count {
            streams[index].finished = true
            streams[index].end = streams[index].ready
        }
    }

    private mutating func signal(_ semaphore: Int, from index: Int) {
        if !streams[index].clock.isEmpty { streams[index].clock[index] += 1 }
        semaphores[semaphore].units.append(SemaphoreUnit(time: streams[index].ready, clock: streams[index].clock))
        for other in streams.indices where streams[other].blockedOn == semaphore { streams[other].blockedOn = nil }
    }

    /// Takes `count` units if they are there; otherwise blocks the stream and returns false.
    private mutating func wait(_ semaphore: Int, count: Int, stream index: Int) -> Bool {
        guard count > 0 else { return true }
        guard semaphores[semaphore].available >= count else {
            streams[index].blockedOn = semaphore
            return false
        }
        var latest = 0.0
        for unit in semaphores[semaphore].take(count) {
            latest = max(latest, unit.time)
            if !streams[index].clock.isEmpty {
                for component in unit.clock.indices { streams[index].clock[component] = max(streams[index].clock[component], unit.clock[component]) }
            }
        }
        if latest > streams[index].ready {
            let unit = prepared.streams[index].unit
            let overhead = unit.engine == .dma ? 0
                : prepared.target.nanoseconds(cycles: prepared.target.costs.fixedInstructionOverhead, on: unit.engine)
            streams[index].ready = latest + overhead
        }
        return true
    }

    /// Times (and, unless timing-only, performs) one engine or DMA instruction.
    private mutating func execute(_ index: Int, _ pc: Int) {
        let stream = prepared.streams[index]
        let start = streams[index].ready
        var duration = stream.durations[pc]
        if let dma = stream.dmaCosts[pc] {
            let dataStart = max(start + dma.fixedNanoseconds, dmaChannelFree)
            dmaChannelFree = dataStart + Double(dma.bytes) / dma.channelBytesPerNanosecond
            duration = dataStart + Double(dma.bytes) / dma.bytesPerNanosecond - start
            dmaBytes += dma.bytes
        }
        let work = stream.flops[pc]
        flops.hardware += work.hardware
        flops.model += work.model
        streams[index].busy += duration
        streams[index].instructions += 1
        streams[index].ready = start + duration
        if !streams[index].clock.isEmpty { streams[index].clock[index] += 1 }
        if options.recordTrace {
            trace.append(TraceEvent(site: site(index, pc), startNanoseconds: start, durationNanoseconds: duration))
        }
        perform(stream.steps[pc], stream: index, pc: pc)
    }

    func evaluate(_ affine: AffineOffset, _ stream: Int) -> Int {
        var value = affine.constant
        for term in affine.terms { value += term.coefficient * streams[stream].loopValues[term.slot] }
        return value
    }

    func site(_ stream: Int, _ pc: Int) -> InstructionSite {
        let prepared = self.prepared.streams[stream]
        return InstructionSite(unit: prepared.unit, index: pc, mnemonic: prepared.mnemonics[pc],
                               line: prepared.lines[pc], sourcePath: self.prepared.program.sourcePath)
    }

    mutating func report(_ diagnostic: Diagnostic, sites: [InstructionSite]) {
        guard findings.count < options.maxFindings else {
            droppedFindings += 1
            return
        }
        findings.append(SimFinding(diagnostic: diagnostic, sites: sites))
    }

    private mutating func reportDeadlock() {
        let stuck = streams.indices.filter { !streams[$0].finished }
        guard !stuck.isEmpty else { return }
        let details = stuck.map { index -> String in
            let pc = streams[index].pc
            var text = site(index, pc).description
            if case .wait(let semaphore, let count) = prepared.streams[index].steps[pc] {
                text += " waits for \(evaluate(count, index)) on semaphore \(semaphore), which has "
                    + "\(semaphores[semaphore].available)"
            }
            return text
        }
        report(DiagnosticCatalogue.simDeadlock("deadlock: no stream can proceed; " + details.joined(separator: "; ")),
               sites: stuck.map { site($0, streams[$0].pc) })
    }
}
