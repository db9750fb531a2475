// SearchStrategyTests.swift: grid, random and anneal: deterministic per seed, no candidate twice, within budget.

import KilnMachine
import KilnTune
import Testing

/// A synthetic time over the candidate: smallest at a point away from the default.
private func syntheticSeconds(_ candidate: TuneCandidate) -> Double {
    let target = [1, 2, 0, 5, 1, 1, 0, 3]
    var total = 1.0
    for (value, wanted) in zip(candidate, target) {
        let distance = Double(value - wanted)
        total += distance * distance
    }
    return total
}

/// Runs a search to its end on the synthetic time; every batch's candidates in order.
private func drive(_ strategy: SearchStrategyName, budget: Int, seed: UInt64) -> [TuneCandidate] {
    var run = SearchRun(space: SearchSpace.standard(for: .trn1), strategy: strategy, budget: budget, seed: seed)
    var order: [TuneCandidate] = []
    while true {
        let batch = run.nextBatch()
        if batch.isEmpty { break }
        order += batch
        run.record(batch, seconds: batch.map { syntheticSeconds($0) })
    }
    return order
}

@Test(arguments: SearchStrategyName.allCases)
func aSearchIsDeterministicDistinctAndWithinBudget(_ strategy: SearchStrategyName) {
    let first = drive(strategy, budget: 100, seed: 42)
    #expect(first == drive(strategy, budget: 100, seed: 42))
    #expect(first.count == 100)
    #expect(Set(first).count == first.count)
    #expect(first.first == SearchSpace.standard(for: .trn1).defaultCandidate)
}

@Test func differentSeedsSearchDifferently() {
    #expect(drive(.random, budget: 40, seed: 1) != drive(.random, budget: 40, seed: 2))
    #expect(drive(.anneal, budget: 40, seed: 1) != drive(.anneal, budget: 40, seed: 2))
}

@Test func gridWalksTheSpaceInOrder() {
    let space = SearchSpace.standard(for: .trn1)
    #expect(drive(.grid, budget: 50, seed: 9) == (0..<50).map(space.candidate(atIndex:)))
}

@Test func annealFindsABetterPointThanRandomOnASmoothSurface() {
    let best = { (order: [TuneCandidate]) in order.map(syntheticSeconds).min() ?? .infinity }
    let annealed = best(drive(.anneal, budget: 160, seed: 3))
    #expect(annealed < syntheticSeconds(SearchSpace.standard(for: .trn1).defaultCandidate))
    #expect(annealed <= best(drive(.random, budget: 160, seed: 3)))
}

@Test func splitMixIsFixedBySeed() {
    var a = SplitMix64(seed: 7), b = SplitMix64(seed: 7)
    #expect((0..<5).map { _ in a.next() } == (0..<5).map { _ in b.next() })
}
