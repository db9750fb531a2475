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
    // The tile IR verifier (which the sim backend runs) rejects this slice, so the bytecode is edited after
    // lowering: the simulator's own check is what a hand-made or corrupted .kbc meets.
    var program = try SimSamples.compile(SimSamples.tiledMatmul)
    let a = try #require(program.tensors.firstIndex { $0.name == "a" })
    for s in program.streams.indices {
        for i in program.streams[s].instructions.indices {
            var instruction = program.streams[s].instructions[i]
            guard instruction.opcode == .engine(.dmaLoad), instruction.operands[0] == .tensor(a),
                  case .affineList(var offsets) = instruction.operands[1] else { continue }
            offsets[0].terms = offsets[0].terms.map { .init(slot: $0.slot, coefficient: $0.coefficient / 32 * 48) }
            instruction.operands[1] = .affineList(offsets)
            program.streams[s].instructions[i] = instruction
        }
    }
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

private let halfWrittenTile = """
        kiln.module target "trn1" {
          func @k(%x: hbm f32[4, 8]) -> (%out: hbm f32[4, 8]) {
            %t = alloc sbuf f32[4 | 8] at partition 0 offset 0
            %h = alloc sbuf f32[4 | 4] at partition 0 offset 0
            %y = alloc sbuf f32[4 | 8] at partition 0 offset 64
            pool.iota base 1 partition_step 0 free_step 0 -> %h
            sync.signal sem 0 on pool
            sync.wait sem 0 >= 1 on dve
            dve.tensor_scalar add %t, 1.0 -> %y
            dve.tensor_scalar add %y, 1.0 -> %t
            dve.tensor_scalar add %t, 1.0 -> %y
            dve.tensor_scalar add %t, 2.0 -> %y
            sync.signal sem 1 on dve
            sync.wait sem 1 >= 1 on dma queue 0
            dma.store %y -> %out[0, 0] queue 0
            return
          }
        }
        """

@Test func aTileIsReportedUnwrittenUntilItIsWrittenWhole() throws {
    // %h covers the first half of each row of %t. Reading %t then finds its second half unwritten (K4201);
    // once %t is written whole, the same read is clean (the simulator stops scanning its flags from then on).
    let text = halfWrittenTile
    let result = try Simulator.run(try SimSamples.compile(text), inputs: [:], random: 5)
    let unwritten = result.findings.filter { $0.diagnostic.id.code == "K4201" }
    #expect(unwritten.count == 1)
    #expect(unwritten.first?.diagnostic.message.contains("element 4") == true, "\(unwritten.map(\.diagnostic.message))")
    // Unwritten bytes read as 0: the first read gave 1 + 1 (first half) and 0 + 1; the last wrote (that + 1) + 2.
    let out = try #require(result.outputs.first?.tensor.values)
    #expect(out == (0..<32).map { $0 % 8 < 4 ? 5 : 4 })
}

@Test func aProgramRunTwiceStartsFromFreshMemoryEachTime() throws {
    // The second run reuses the first run's on-chip memories (SimulationProgram keeps them): they must come back
    // zeroed and unwritten, so it reads %t's second half as unwritten and as 0 again, and computes the same.
    let program = try SimulationProgram(try SimSamples.compile(halfWrittenTile))
    let first = try Simulator.run(program, packedInputs: [:], random: 5)
    let second = try Simulator.run(program, packedInputs: [:], random: 5)
    #expect(first.findings.map(\.diagnostic.id.code) == ["K4201"])
    #expect(second.findings.map(\.diagnostic.id.code) == first.findings.map(\.diagnostic.id.code))
    #expect(second.packedOutputs.map(\.tensor) == first.packedOutputs.map(\.tensor))
    #expect(second.outputs.first?.tensor.values == (0..<32).map { $0 % 8 < 4 ? 5 : 4 })
}

@Test func accumulatingIntoAnAccumulatorNothingStartedIsAnUnwrittenRead() throws {
    // Without `start`, the first pe.matmul adds to a PSUM tile nothing has written (the accumulator is updated in
    // place; the check must still see it); the second iteration adds to what the first wrote.
    let text = SimSamples.tiledMatmul.replacingOccurrences(of: "start(%k == 0) stop(%k == 1)", with: "stop(%k == 1)")
    #expect(text != SimSamples.tiledMatmul)
    let result = try Simulator.run(try SimSamples.compile(text), inputs: [:], random: 2)
    let unwritten = result.findings.filter { $0.diagnostic.id.code == "K4201" }
    #expect(unwritten.count == 1 && unwritten.first?.sites.first?.mnemonic == "pe.matmul")
}
