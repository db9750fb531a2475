// InterleaveWindowTests.swift: `interleave`'s default window overlaps the steps of a tile-form flash attention.

import Foundation
import KilnDriver
import KilnMachine
import KilnPluginAPI
import KilnSim
import KilnSource
import Testing

@Suite struct InterleaveWindowTests {
    /// The simulated time of `Examples/flash_attention_fwd.kiln` at [1, 1, 2048, 128] with the default pipeline,
    /// or with its `interleave` given `window`.
    static func flashTime(target: String, window: Int?) throws -> Double {
        let url = Repository.examples.first { $0.lastPathComponent == "flash_attention_fwd.kiln" }
        let source = try Repository.source(try #require(url))
        var passes: String?
        if let window {
            passes = PassPipeline.defaultPipeline(for: try #require(MachineTarget.named(target)))
                .replacingOccurrences(of: "interleave", with: "interleave{window=\(window)}")
        }
        let compiled = Driver.compileToBytecode(source, dims: ["B": 1, "H": 1, "S": 2048, "D": 128],
                                                options: PipelineOptions(target: target, passes: passes))
        let program = try #require(compiled.program, "does not compile:\n\(compiled.renderedDiagnostics())")
        return try Simulator.run(program, inputs: [:], options: SimulationOptions(timingOnly: true)).stats.seconds
    }

    /// Each 2048-key step holds four score banks and an output accumulator in PSUM, and P's 128-key transposes take
    /// slices of banks. Counting PSUM by bytes, a wide window's reordering left `allocate` no whole bank for the next
    /// step's scores, and the window was halved for the whole block down to 64 ops (no faster than `window=64`); the
    /// pass now schedules again at the same window with every PSUM tile as a bank (Interleave.swift, step 4).
    @Test(arguments: ["trn1", "trn2"])
    func theDefaultWindowOverlapsMoreThanSixtyFourOps(target: String) throws {
        let wide = try Self.flashTime(target: target, window: nil)
        let narrow = try Self.flashTime(target: target, window: 64)
        #expect(wide < 0.95 * narrow, "default \(wide) s against window=64 \(narrow) s")
    }
}
