// TimingTests.swift: simulated time of simple streams against costs computed by hand from the machine model.

import Foundation
import KilnBytecode
import KilnMachine
import KilnSim
import Testing

@Test func scaledExpTimeIsLoadThenWaitThenActivationThenStore() throws {
    let program = try SimSamples.compile(SimSamples.scaledExp)
    let result = try Simulator.run(program, inputs: [:], random: 1)
    // trn1. DMA of 128 partitions x 256 B: 16 engines x 17 B/ns = 272 B/ns, at the small-transfer efficiency
    // (0.39: under 2 KiB per partition; the 256 B run alone would allow 256 / 512); 1300 ns fixed.
    let dma = 1300 + 32768.0 / (272 * 0.39)
    // The scalar engine waited, so it pays the 100-cycle dependent-instruction overhead at 1.4 GHz, then
    // max(MIN_II = 64, N = 64) cycles of activation plus the 60-cycle SBUF/PSUM access start.
    let act = 100 / 1.4 + 124 / 1.4
    let expected = dma + act + dma
    #expect(abs(result.stats.seconds * 1e9 - expected) < 1e-6)
    let engines = Dictionary(uniqueKeysWithValues: result.stats.engines.map { ($0.name, $0) })
    #expect(abs((engines["act"]?.busyNanoseconds ?? 0) - 124 / 1.4) < 1e-9)
    #expect(engines["act"]?.busyCycles.rounded() == 124)
    #expect(engines["dma.q0"]?.instructions == 1)
    #expect(engines["pe"]?.instructions == 0)
    #expect(result.stats.dmaBytes == 2 * 32768)
}

@Test func timingOnlyGivesTheSameTimeWithoutNumerics() throws {
    for sample in [SimSamples.scaledExp, SimSamples.tiledMatmul] {
        let program = try SimSamples.compile(sample)
        let full = try Simulator.run(program, inputs: [:], random: 2)
        let timed = try Simulator.run(program, inputs: [:], options: SimulationOptions(timingOnly: true))
        #expect(timed.stats.seconds == full.stats.seconds)
        #expect(timed.outputs.isEmpty)
    }
}

@Test func matmulsQueueOnTheTensorEngineAtTheirFormulaCost() throws {
    let program = try SimSamples.compile(SimSamples.tiledMatmul)
    let result = try Simulator.run(program, inputs: [:], options: SimulationOptions(timingOnly: true, recordTrace: true))
    let matmuls = result.trace.filter { $0.site.mnemonic == "pe.matmul" }
    #expect(matmuls.count == 2)
    // bf16 [32 | 32] x [32 | 48]: max(min(64, M = 32), N = 48) = 48 cycles at 2.8 GHz.
    for event in matmuls { #expect(abs(event.durationNanoseconds - 48 / 2.8) < 1e-9) }
    // The second matmul waits for the second pair of loads, which waited for the first matmul's signal.
    #expect(matmuls[1].startNanoseconds > matmuls[0].startNanoseconds + matmuls[0].durationNanoseconds)
    #expect(result.stats.hfu > 0 && result.stats.hfu < 1)
}

@Test func statsAndTraceJSONHaveTheDocumentedShape() throws {
    let program = try SimSamples.compile(SimSamples.tiledMatmul)
    let result = try Simulator.run(program, inputs: [:], random: 4, options: SimulationOptions(recordTrace: true))
    let stats = try #require(try JSONSerialization.jsonObject(with: Data(result.stats.json().utf8)) as? [String: Any])
    for key in ["cycles", "seconds", "engines", "hfu", "mfu", "mbu", "dma_bytes"] { #expect(stats[key] != nil, "\(key)") }
    let engines = try #require(stats["engines"] as? [String: [String: Any]])
    #expect(Set(engines.keys) == ["pe", "act", "dve", "pool", "dma.q0", "dma.q1"])
    for engine in engines.values {
        for key in ["busy_cycles", "utilization", "instructions"] { #expect(engine[key] != nil) }
    }
    let trace = try #require(try JSONSerialization.jsonObject(with: Data(result.traceJSON().utf8)) as? [String: Any])
    let events = try #require(trace["traceEvents"] as? [[String: Any]])
    let tracks = events.filter { $0["ph"] as? String == "M" && $0["name"] as? String == "thread_name" }
    #expect(tracks.count == 4)  // pe, dve, dma.q0, dma.q1: the streams this program has
    let complete = events.filter { $0["ph"] as? String == "X" }
    #expect(complete.count == result.stats.engines.map(\.instructions).reduce(0, +))
    #expect(complete.contains { $0["name"] as? String == "pe.matmul k.kiln:3" })
}
