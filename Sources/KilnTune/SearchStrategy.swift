// SearchStrategy.swift: grid, random and simulated-annealing search over a SearchSpace, deterministic per seed.

/// How candidates are chosen. Each strategy asks for batches of candidates and learns their scores; the batch
/// contents depend only on the seed and earlier scores, never on how many workers score them, so a local run
/// and a Ray run with the same seed see the same candidates and find the same best.
public enum SearchStrategyName: String, Sendable, CaseIterable {
    /// The whole space in mixed-radix order, up to the budget.
    case grid
    /// Distinct candidates drawn uniformly from the seed.
    case random
    /// A descent from the default, then simulated annealing from the local optimum it reaches.
    ///
    /// Descent: each batch is the centre's unscored one-knob neighbours (in an order drawn from the seed); the
    /// centre moves to the batch's best when that beats it. When every neighbour of the centre is scored and none
    /// is better, the centre is a local optimum of one-knob moves and the walk starts there. Walk: each batch is
    /// neighbours of the current point (mostly one knob moved, one in eight a random jump); the walk moves to the
    /// batch's best when better, or when worse with probability exp(-relative loss / temperature). After
    /// `stallLimit` batches without a new best, descent again from the best point.
    ///
    /// Knobs interact (a K-blocked matmul's block sizes, its store queues), so the good points sit in narrow
    /// valleys a random walk from the default leaves early; the descent follows one down before exploring.
    case anneal
}

/// SplitMix64: a small, fast, seedable generator whose sequence is fixed by its seed on every platform.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E476
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A running search: `nextBatch` proposes candidates not scored before, `record` hands back their times
/// (nil: the candidate failed to compile or run). Ends when `nextBatch` returns an empty batch.
public struct SearchRun: Sendable {
    public let space: SearchSpace
    public let strategy: SearchStrategyName
    /// How many candidates to score at most (the default candidate included).
    public let budget: Int
    /// Candidates per batch: fixed per strategy, so that results do not depend on the number of workers. Annealing
    /// learns from every batch, so its batches are small; grid and random learn nothing and send larger ones.
    public var batchSize: Int { strategy == .anneal ? 16 : 64 }
    private var random: SplitMix64
    private(set) public var scored: [TuneCandidate: Double?] = [:]
    private var gridNext = 0
    /// Annealing: the current point, its time, and the temperature (relative loss accepted with probability 1/e).
    private var current: (candidate: TuneCandidate, seconds: Double)?
    private var temperature = 0.05
    /// Annealing: the centre of the descent under way (nil: the walk). The first descent starts at the default.
    private var descentCentre: TuneCandidate?
    /// Annealing: the best point scored, and how many walk batches in a row have not improved it.
    private var best: (candidate: TuneCandidate, seconds: Double)?
    private var stalledBatches = 0
    /// Walk batches without a new best after which the search descends again from the best point.
    static let stallLimit = 2

    public init(space: SearchSpace, strategy: SearchStrategyName, budget: Int, seed: UInt64) {
        self.space = space
        self.strategy = strategy
        self.budget = max(1, budget)
        self.random = SplitMix64(seed: seed)
        if strategy == .anneal { descentCentre = space.defaultCandidate }
    }

    /// The next candidates to score (the first batch starts with the default candidate); empty when done.
    public mutating func nextBatch() -> [TuneCandidate] {
        let room = min(batchSize, budget - scored.count, space.count - scored.count)
        guard room > 0 else { return [] }
        var batch: [TuneCandidate] = []
        var proposed = Set<TuneCandidate>()
        func propose(_ candidate: TuneCandidate) {
            if scored[candidate] == nil, !proposed.contains(candidate) {
                proposed.insert(candidate)
                batch.append(candidate)
            }
        }
        if scored.isEmpty { propose(space.defaultCandidate) }
        switch strategy {
        case .grid:
            while batch.count < room, gridNext < space.count {
                propose(space.candidate(atIndex: gridNext))
                gridNext += 1
            }
        case .random:
            var attempts = 0
            while batch.count < room, attempts < room * 64 {
                propose(randomCandidate())
                attempts += 1
            }
        case .anneal:
            if let centre = descentCentre {
                let pending = oneKnobNeighbours(of: centre).filter { scored[$0] == nil && !proposed.contains($0) }
                for candidate in shuffled(pending) where batch.count < room { propose(candidate) }
                if !batch.isEmpty { break }
                // A local optimum of one-knob moves: the walk starts from it.
                descentCentre = nil
                if let time = scored[centre] ?? nil { current = (centre, time) }
            }
            let origin = current?.candidate ?? space.defaultCandidate
            var attempts = 0
            while batch.count < room, attempts < room * 64 {
                // Mostly one knob moved; now and then a jump, so a stuck walk still explores.
                propose(attempts % 8 == 7 ? randomCandidate() : neighbour(of: origin))
                attempts += 1
            }
            if batch.isEmpty {
                // Every neighbour is scored: restart from a random point.
                var tries = 0
                while batch.count < room, tries < room * 64 {
                    propose(randomCandidate())
                    tries += 1
                }
            }
        }
        return batch
    }

    /// Records a batch's times (same order as the batch); annealing moves its walk.
    public mutating func record(_ batch: [TuneCandidate], seconds: [Double?]) {
        for (candidate, time) in zip(batch, seconds) { scored[candidate] = time }
        guard strategy == .anneal else { return }
        let best = zip(batch, seconds).compactMap { candidate, time in time.map { (candidate, $0) } }
            .min { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0.lexicographicallyPrecedes($1.0)) }
        guard let batchBest = best else { return }
        let improved = self.best.map { batchBest.1 < $0.seconds } ?? true
        if improved { self.best = (batchBest.0, batchBest.1) }
        if let centre = descentCentre {
            // Descent: move to the batch's best when it beats the centre (any time beats a centre that failed).
            let centreTime: Double = (scored[centre] ?? nil) ?? .infinity
            if batchBest.1 < centreTime { descentCentre = batchBest.0 }
            return
        }
        stalledBatches = improved ? 0 : stalledBatches + 1
        if let walk = current {
            let loss = (batchBest.1 - walk.seconds) / walk.seconds
            let accept = loss < 0 || Double(random.next() >> 11) / Double(1 << 53) < exp(-loss / max(temperature, 1e-9))
            if accept { current = (batchBest.0, batchBest.1) }
        } else {
            current = (batchBest.0, batchBest.1)
        }
        temperature *= 0.85
        if stalledBatches >= Self.stallLimit, let top = self.best {
            // A stalled walk: descend again from the best point (its scored neighbours are skipped).
            stalledBatches = 0
            descentCentre = top.candidate
            current = top
        }
    }

    /// Every candidate with exactly one knob of `centre` moved, knob by knob, value by value.
    private func oneKnobNeighbours(of centre: TuneCandidate) -> [TuneCandidate] {
        var found: [TuneCandidate] = []
        for (knob, definition) in space.knobs.enumerated() {
            for value in definition.values.indices where value != centre[knob] {
                var moved = centre
                moved[knob] = value
                found.append(moved)
            }
        }
        return found
    }

    /// `items` in an order drawn from the run's generator (Fisher-Yates).
    private mutating func shuffled(_ items: [TuneCandidate]) -> [TuneCandidate] {
        var items = items
        for index in items.indices.dropFirst().reversed() {
            items.swapAt(index, Int(random.next() % UInt64(index + 1)))
        }
        return items
    }

    private mutating func randomCandidate() -> TuneCandidate {
        space.knobs.map { Int(random.next() % UInt64($0.values.count)) }
    }

    private mutating func neighbour(of origin: TuneCandidate) -> TuneCandidate {
        var moved = origin
        guard !space.knobs.isEmpty else { return moved }
        let knob = Int(random.next() % UInt64(space.knobs.count))
        let count = space.knobs[knob].values.count
        guard count > 1 else { return moved }
        let step = Int(random.next() % UInt64(count - 1)) + 1
        moved[knob] = (origin[knob] + step) % count
        return moved
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
