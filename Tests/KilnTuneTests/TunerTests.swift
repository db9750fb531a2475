// TunerTests.swift: a small tune end to end: pruning, search, the best verified, reproducible, replayable.

import KilnDriver
import KilnTune
import Testing

private let matmul = """
    kernel mm<M = 128, K = 256, N = 256>(a: bf16[M, K], b: bf16[K, N]) -> f32[M, N] {
      return a @ b
    }
    """

private func problem(_ text: String, dims: [String: Int] = [:]) -> TuneProblem {
    TuneProblem(frontEnd: Driver.runFrontEnd(.init(path: "t.kiln", text: text)), kernel: nil, dims: dims, target: "trn1")
}

@Test func aSmallTuneFindsAVerifiedScheduleNoSlowerThanTheDefaultAndRepeatsIt() throws {
    let tuned = problem(matmul)
    let options = TuneOptions(strategy: .random, budget: 10, seed: 5)
    let result = try Tuner(problem: tuned, scorer: LocalScorer(problem: tuned, jobs: 2), options: options, jobs: 2).run()
    #expect(result.scores.count == 10)
    #expect(result.scores.first?.pipeline == result.space.pipeline(result.space.defaultCandidate))
    let best = try #require(result.best.seconds)
    let fastest = result.scores.compactMap(\.seconds).min()
    #expect(best <= (result.defaultScore.seconds ?? 0))
    #expect(result.verified.last?.passed == true && result.verified.last?.score == result.best)
    // Only a rejected candidate may be faster than the answer.
    #expect(best == fastest || result.verified.dropLast().allSatisfy { !$0.passed })
    // Replay: the pipeline string alone gives the same simulated time.
    #expect(tuned.score(result.best.pipeline).seconds == best)
    // Same seed, one thread: the same answer.
    let again = try Tuner(problem: tuned, scorer: LocalScorer(problem: tuned, jobs: 1), options: options, jobs: 1).run()
    #expect(again.best.pipeline == result.best.pipeline)
}

@Test func knobsThatCannotChangeTheCodeArePruned() throws {
    let scale = problem("kernel s<N = 128, D = 64>(x: f32[N, D]) -> f32[N, D] { return exp(x) }")
    let tuner = Tuner(problem: scale, scorer: LocalScorer(problem: scale, jobs: 1),
                      options: TuneOptions(strategy: .grid, budget: 4), jobs: 2)
    let result = try tuner.run()
    // No matmul: the matmul tile sizes and accumulators cannot matter.
    #expect(result.inertKnobs.contains("tile.tile_n") && result.inertKnobs.contains("tile.accumulators"))
    #expect(!result.space.knobs.contains { $0.option == "tile_n" })
}

@Test func aProblemThatCannotBeTunedIsAnErrorNotACrash() {
    let broken = problem("kernel k(x: f32[N]) -> f32[N] { return y }")
    #expect(throws: TuneError.self) { try TunedSchedule.key(for: broken) }
    let unbound = problem("kernel k(x: f32[N]) -> f32[N] { return x }")
    #expect(throws: TuneError.self) { try TunedSchedule.key(for: unbound) }
    var badTarget = problem(matmul)
    badTarget.target = "trn9"
    #expect(throws: TuneError.self) {
        try Tuner(problem: badTarget, scorer: LocalScorer(problem: badTarget, jobs: 1), options: TuneOptions(budget: 2), jobs: 1).run()
    }
}

@Test func aCandidateThatDoesNotCompileIsScoredAsAnError() {
    let broken = problem(matmul).score("tile{tile_m=999}")
    #expect(broken.seconds == nil && broken.error != nil)
}
