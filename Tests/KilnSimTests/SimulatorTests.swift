// SimulatorTests.swift: end to end: scheduled tile IR -> bytecode -> simulated results, findings and time.

import Foundation
import KilnBytecode
import KilnMachine
import KilnNumerics
import KilnSim
import KilnSource
import Testing

@Test func scaledExpComputesAndStoresInF32() throws {
    let program = try SimSamples.compile(SimSamples.scaledExp)
    let x = try SimSamples.tensor(.f32, [128, 64]) { Double($0 % 17) / 16 - 0.5 }
    let result = try Simulator.run(program, inputs: ["x": x])
    #expect(result.findings.isEmpty, "\(result.findings.map { $0.rendered() })")
    let out = try #require(result.outputs.first)
    #expect(out.name == "out")
    for index in [0, 1, 77, 8191] {
        let expected = Double(Float(Foundation.exp(Double(Float(x.values[index] * 2)))))
        #expect(out.tensor.values[index] == expected)
    }
}

@Test func tiledMatmulAccumulatesOverKInPSUM() throws {
    let program = try SimSamples.compile(SimSamples.tiledMatmul)
    // Values exact in bf16, so the fp32 sums are exact and the expected result is plain arithmetic.
    let a = try SimSamples.tensor(.bf16, [64, 32]) { Double($0 % 7) - 3 }
    let b = try SimSamples.tensor(.bf16, [64, 48]) { Double($0 % 5) / 4 }
    let result = try Simulator.run(program, inputs: ["a": a, "b": b])
    #expect(result.findings.isEmpty, "\(result.findings.map { $0.rendered() })")
    let out = try #require(result.outputs.first?.tensor)
    for (m, n) in [(0, 0), (3, 17), (31, 47)] {
        let expected = (0..<64).reduce(0.0) { $0 + a.values[$1 * 32 + m] * b.values[$1 * 48 + n] }
        #expect(out.values[m * 48 + n] == expected)
    }
    #expect(result.stats.modelFlops == 2 * 64 * 32 * 48)
}

@Test func missingSemaphoreIsReportedAsARaceWithBothSourceLines() throws {
    let program = try SimSamples.compile(SimSamples.racyExp)
    let x = try SimSamples.tensor(.f32, [128, 64]) { _ in 1 }
    let result = try Simulator.run(program, inputs: ["x": x])
    let race = try #require(result.findings.first { $0.diagnostic.id.code == "K4203" })
    #expect(race.sites.count == 2)
    #expect(Set(race.sites.map(\.mnemonic)) == ["dma.load", "act.activate"])
    #expect(race.diagnostic.message.contains("k.kiln:2:11"))
    #expect(race.diagnostic.message.contains("k.kiln:3:10"))
    // The scalar engine ran first and read the tile before anything wrote it.
    #expect(result.findings.contains { $0.diagnostic.id.code == "K4201" })
}

@Test func orderedProgramsHaveNoRaceFindings() throws {
    for text in [SimSamples.scaledExp, SimSamples.tiledMatmul] {
        let result = try Simulator.run(try SimSamples.compile(text), inputs: [:], random: 7)
        #expect(!result.findings.contains { $0.diagnostic.id.code == "K4203" })
    }
}

@Test func deadlockIsReportedWithTheWaitingInstruction() throws {
    let text = SimSamples.scaledExp.replacingOccurrences(of: "sync.wait sem 0 >= 1 on act", with: "sync.wait sem 0 >= 2 on act")
    let result = try Simulator.run(try SimSamples.compile(text), inputs: [:], random: 1)
    let deadlock = try #require(result.findings.first { $0.diagnostic.id.code == "K4204" })
    #expect(deadlock.diagnostic.message.contains("waits for 2 on semaphore 0, which has 1"))
}

@Test func outOfBoundsDMAIsReportedAndSkipped() throws {
    let text = SimSamples.tiledMatmul.replacingOccurrences(of: "%a[%k * 32, 0]", with: "%a[%k * 48, 0]")
    let program = try SimSamples.compile(text)
    let result = try Simulator.run(program, inputs: [:], random: 3)
    let finding = try #require(result.findings.first { $0.diagnostic.id.code == "K4202" })
    #expect(finding.diagnostic.message.contains("%a[48, 0]"))
    #expect(finding.sites.first?.line == LineEntry(line: 2, column: 11))
}

@Test func inputsAreCheckedByNameAndShape() throws {
    let program = try SimSamples.compile(SimSamples.scaledExp)
    let wrong = try SimSamples.tensor(.f32, [64, 128]) { _ in 0 }
    #expect(throws: SimulationError.self) { try Simulator.run(program, inputs: ["x": wrong]) }
    #expect(throws: SimulationError.self) { try Simulator.run(program, inputs: [:]) }
    #expect(throws: SimulationError.self) { try Simulator.run(program, inputs: ["y": wrong], random: 1) }
}
