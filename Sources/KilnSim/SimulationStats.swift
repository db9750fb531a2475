// SimulationStats.swift: what a run measured: time, per-engine busy time and utilization, HFU, MFU, MBU.

import Foundation
import KilnBytecode
import KilnMachine
import KilnNumerics
import KilnSource

/// One engine's or DMA queue's figures.
public struct EngineStats: Sendable {
    /// `pe`, `act`, `dve`, `pool`, or `dma.qN`.
    public var name: String
    public var busyNanoseconds: Double
    /// Busy time in the engine's clock cycles (DMA queues, which have no clock: tensor-engine cycles).
    public var busyCycles: Double
    /// Busy time over the whole run's time.
    public var utilization: Double
    /// Engine and DMA instructions executed (loop control and semaphores not counted).
    public var instructions: Int
}

/// The figures of one run. Metrics as AWS's profiler defines them: HFU = hardware FLOPs / (peak bf16 FLOP/s x
/// time), MFU the same with only matmul FLOPs, MBU = DMA bytes / (the core's DMA bandwidth x time).
public struct SimulationStats: Sendable {
    public var target: String
    public var seconds: Double
    /// The run's time in tensor-engine clock cycles.
    public var cycles: Double
    public var engines: [EngineStats]
    public var hardwareFlops: Double
    public var modelFlops: Double
    public var hfu: Double
    public var mfu: Double
    public var mbu: Double
    public var dmaBytes: Int
    /// Instructions executed, loop control included.
    public var steps: Int
    /// Host wall time the simulation itself took (preparing the program, setting up memory, running it with its
    /// numerics and checks, collecting the outputs): not process start-up, not reading or writing files.
    public var hostSeconds: Double = 0

    /// A fixed-width table for `kiln sim --stats`.
    public func table() -> String {
        var lines = [String(format: "target %@: %.6f ms, %.0f cycles (tensor-engine clock), %ld instructions executed",
                            target, seconds * 1e3, cycles, steps)]
        lines.append("engine      busy (us)        busy cycles  utilization  instructions")
        for engine in engines {
            lines.append(engine.name.padding(toLength: 10, withPad: " ", startingAt: 0)
                         + String(format: " %11.3f %18.0f %11.1f%% %13d", engine.busyNanoseconds / 1e3, engine.busyCycles,
                                  engine.utilization * 100, engine.instructions))
        }
        lines.append(String(format: "HFU %.2f%%  MFU %.2f%%  MBU %.2f%%  DMA %ld bytes  matmul %.3e FLOP",
                            hfu * 100, mfu * 100, mbu * 100, dmaBytes, modelFlops))
        lines.append(String(format: "host time %.3f s to simulate", hostSeconds))
        return lines.joined(separator: "\n") + "\n"
    }

    /// The JSON object for `--stats-json` (keys sorted, so the text is stable).
    public func json() -> String {
        var engineObjects: [String: Any] = [:]
        for engine in engines {
            engineObjects[engine.name] = ["busy_cycles": engine.busyCycles, "busy_ns": engine.busyNanoseconds,
                                          "utilization": engine.utilization, "instructions": engine.instructions]
        }
        let object: [String: Any] = [
            "target": target, "cycles": cycles, "seconds": seconds, "engines": engineObjects, "hfu": hfu, "mfu": mfu,
            "mbu": mbu, "dma_bytes": dmaBytes, "hardware_flops": hardwareFlops, "model_flops": modelFlops, "steps": steps,
            "host_seconds": hostSeconds,
        ]
        return JSONText.encode(object)
    }
}

enum JSONText {
    /// Serialises plain JSON values (dictionaries, arrays, strings, numbers) with sorted keys.
    static func encode(_ object: Any) -> String {
        guard JSONSerialization.isValidJSONObject(object),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

extension SimulationRun {
    /// Outputs, findings, stats and trace once the loop has ended.
    func result() -> SimulationResult {
        let target = prepared.target
        let nanoseconds = streams.map { $0.finished ? $0.end : $0.ready }.max() ?? 0
        let seconds = nanoseconds / 1e9
        var engines: [EngineStats] = []
        for engine in [Engine.pe, .act, .dve, .pool] where !prepared.streams.contains(where: { $0.unit == .engine(engine) }) {
            engines.append(EngineStats(name: engine.rawValue, busyNanoseconds: 0, busyCycles: 0, utilization: 0, instructions: 0))
        }
        for (index, stream) in prepared.streams.enumerated() {
            let busy = streams[index].busy
            let clock = stream.unit.engine == .dma ? target.clocks.pe : target.clocks.hertz(stream.unit.engine)
            engines.append(EngineStats(name: stream.unit.description, busyNanoseconds: busy, busyCycles: busy * clock / 1e9,
                                       utilization: nanoseconds > 0 ? busy / nanoseconds : 0,
                                       instructions: streams[index].instructions))
        }
        engines.sort { SimulationStats.displayOrder($0.name) < SimulationStats.displayOrder($1.name) }
        let peak = target.tensorEngine.peakBF16FlopsPerSecond
        let bandwidth = target.dmaCoreBytesPerNanosecond * 1e9
        let stats = SimulationStats(
            target: target.name, seconds: seconds, cycles: seconds * target.clocks.pe, engines: engines,
            hardwareFlops: flops.hardware, modelFlops: flops.model,
            hfu: seconds > 0 ? flops.hardware / (peak * seconds) : 0, mfu: seconds > 0 ? flops.model / (peak * seconds) : 0,
            mbu: seconds > 0 ? Double(dmaBytes) / (bandwidth * seconds) : 0, dmaBytes: dmaBytes, steps: steps)
        var findings = self.findings
        var outputs: [(String, PackedTensor)] = []
        if let memory {
            for (index, tensor) in memory.hbm.enumerated() where tensor.entry.role == .output {
                let unwritten = tensor.unwrittenCount
                if unwritten > 0 && !stoppedEarly {
                    findings.append(SimFinding(diagnostic: DiagnosticCatalogue.simOutputNotWritten(
                        "\(unwritten) of the \(tensor.entry.elementCount) elements of output '\(tensor.entry.name)' were never "
                            + "written (they read as \(tensor.entry.dtype.isFloat ? "NaN" : "0"))"), sites: []))
                }
                if let value = PackedTensor(dtype: tensor.entry.dtype, shape: tensor.entry.shape, bytes: tensor.bytes) {
                    outputs.append((prepared.program.tensors[index].name, value))
                }
            }
        }
        if droppedFindings > 0, let last = findings.last {
            findings.append(SimFinding(diagnostic: DiagnosticCatalogue.tooManyErrors(
                dropped: droppedFindings, limit: options.maxFindings, at: .unknown), sites: last.sites))
        }
        return SimulationResult(packedOutputs: outputs, findings: findings, stats: stats, trace: trace)
    }
}

extension SimulationStats {
    /// Rows in reading order: the compute engines as the machine lists them (pe, act, dve, pool), then the
    /// DMA queues by number (`dma.q2` before `dma.q10`), then anything else by name.
    static func displayOrder(_ name: String) -> (Int, Int, String) {
        if let index = ["pe", "act", "dve", "pool"].firstIndex(of: name) { return (0, index, name) }
        if name.hasPrefix("dma.q"), let queue = Int(name.dropFirst(5)) { return (1, queue, name) }
        return (2, 0, name)
    }
}
