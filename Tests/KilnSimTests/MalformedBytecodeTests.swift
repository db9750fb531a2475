// MalformedBytecodeTests.swift: thousands of flipped, truncated and rewritten real bytecode files: each run
// ends in a located error or a completed simulation, never a crash.

import KilnBytecode
import KilnSim
import Testing

/// A deterministic generator (SplitMix64), so a failure reproduces.
private struct MutationRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(1, bound))) }
}

/// One mutation: flip a bit, overwrite a byte, truncate, drop a range, duplicate a range, or write a 32-bit value.
private func mutate(_ original: [UInt8], _ random: inout MutationRandom) -> [UInt8] {
    var bytes = original
    let position = random.below(bytes.count)
    switch random.below(6) {
    case 0: bytes[position] ^= UInt8(1 << random.below(8))
    case 1: bytes[position] = UInt8(truncatingIfNeeded: random.next())
    case 2: bytes = Array(bytes.prefix(position))
    case 3: bytes.removeSubrange(position..<min(bytes.count, position + 1 + random.below(16)))
    case 4: bytes.insert(contentsOf: bytes[position..<min(bytes.count, position + 1 + random.below(16))], at: position)
    default:
        let value: UInt32 = [0, 1, 0xFFFF_FFFF, 0x7FFF_FFFF, 128, 513][random.below(6)]
        for byte in 0..<4 where position + byte < bytes.count { bytes[position + byte] = UInt8(truncatingIfNeeded: value >> (8 * byte)) }
    }
    return bytes
}

@Test(arguments: [SimSamples.scaledExp, SimSamples.tiledMatmul])
func mutatedBytecodeEndsInAnErrorOrARun(sample: String) throws {
    let original = BytecodeEncoder.encode(try SimSamples.compile(sample))
    var random = MutationRandom(state: 0x5EED)
    var rejected = 0
    var ran = 0
    let options = SimulationOptions(maxSteps: 2_000, maxHBMElements: 1 << 20)
    for _ in 0..<1_500 {
        var bytes = mutate(original, &random)
        if random.below(4) == 0 { bytes = mutate(bytes, &random) }
        do {
            let program = try BytecodeValidator.load(bytes)
            _ = try Simulator.run(program, inputs: [:], random: 11, options: options)
            ran += 1
        } catch let error as BytecodeError {
            rejected += 1
            if let offset = error.byteOffset { #expect(offset <= bytes.count, "\(error)") }
            #expect(!error.description.isEmpty)
        } catch let error as SimulationError {
            rejected += 1
            #expect(!error.diagnostics.isEmpty)
        }
    }
    // Both outcomes occur: the validator rejects most damage; some mutations (a value, a line number) are harmless.
    #expect(rejected > 300)
    #expect(ran > 20)
}

@Test func everyTruncationIsRejectedWithTheOffsetWhereTheFileEnds() throws {
    let original = BytecodeEncoder.encode(try SimSamples.compile(SimSamples.tiledMatmul))
    for length in 0..<original.count {
        do {
            _ = try BytecodeValidator.load(Array(original.prefix(length)))
            Issue.record("a file cut at \(length) of \(original.count) bytes was accepted")
        } catch {
            #expect(error.diagnostic.id.code == "K4001" || error.diagnostic.id.code == "K4002")
            #expect((error.byteOffset ?? -1) <= length)
        }
    }
}
