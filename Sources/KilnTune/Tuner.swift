// Tuner.swift: one tune, top to bottom: prune inert knobs, search, rank by simulated time, verify the best.

import Foundation
import KilnDriver
import KilnInterp
import KilnMachine
import KilnSema
import KilnSource
import KilnTileIR

/// How to search.
public struct TuneOptions: Sendable {
    public var strategy: SearchStrategyName
    /// Candidates to score at most (the default pipeline included).
    public var budget: Int
    /// Stop proposing batches after this many seconds of wall time (nil: no limit; results then depend on speed).
    public var timeLimit: Double?
    public var seed: UInt64
    /// How many of the fastest candidates to check against the reference before giving up on the rest.
    public var verifyAtMost: Int

    public init(strategy: SearchStrategyName = .anneal, budget: Int = 128, timeLimit: Double? = nil, seed: UInt64 = 1,
                verifyAtMost: Int = 8) {
        self.strategy = strategy
        self.budget = budget
        self.timeLimit = timeLimit
        self.seed = seed
        self.verifyAtMost = verifyAtMost
    }
}

/// A candidate's correctness check: the reference interpreter against the simulator at small dims.
public struct VerifiedCandidate: Sendable {
    public var score: CandidateScore
    public var passed: Bool
    /// Why it failed (the first mismatch or error), when it did.
    public var problem: String?
}

/// What a tune found.
public struct TuneResult: Sendable {
    public var kernel: String
    public var dims: [(name: String, size: Int)]
    /// The kernel's dtype parameters and what they were bound to (`T=bf16`); empty for a non-generic kernel.
    public var dtypes: [(name: String, dtype: String)] = []
    public var target: String
    /// The space searched, without the knobs that do not change this kernel's code.
    public var space: SearchSpace
    /// Knobs dropped because no value of theirs changes this kernel's tile IR.
    public var inertKnobs: [String]
    public var defaultScore: CandidateScore
    public var best: CandidateScore
    public var bestCandidate: TuneCandidate
    /// Every candidate scored, in the order scored.
    public var scores: [CandidateScore]
    /// The candidates checked against the reference, fastest first (the last one checked is `best`).
    public var verified: [VerifiedCandidate]
    /// The dims the checks ran at.
    public var verifyDims: [String: Int]

    public var speedup: Double { (defaultScore.seconds ?? 0) / max(best.seconds ?? 1, 1e-15) }
}

/// Runs a tune of `problem` with `scorer`.
public struct Tuner: Sendable {
    public let problem: TuneProblem
    public let scorer: any CandidateScorer
    public let options: TuneOptions
    /// Threads for the compiles of the pruning step (scoring uses the scorer's own).
    public let jobs: Int

    public init(problem: TuneProblem, scorer: any CandidateScorer, options: TuneOptions, jobs: Int) {
        self.problem = problem
        self.scorer = scorer
        self.options = options
        self.jobs = jobs
    }

    /// The kernel tuned and its dims bound, or a located error.
    public static func bind(_ problem: TuneProblem) throws(TuneError) -> (kernel: CheckedKernel, dims: BoundDims) {
        let frontEnd = problem.frontEnd
        guard !frontEnd.hasErrors else { throw TuneError(frontEnd.renderedDiagnostics()) }
        let kernels = frontEnd.program.kernels
        let kernel: CheckedKernel
        if let name = problem.kernel {
            guard let found = frontEnd.program.kernel(named: name) else {
                throw TuneError("no kernel '\(name)' in '\(frontEnd.source.path)'; kernels: " + kernels.map(\.name).joined(separator: ", "))
            }
            kernel = found
        } else {
            guard kernels.count == 1 else {
                throw TuneError(kernels.isEmpty ? "'\(frontEnd.source.path)' has no kernel"
                                : "'\(frontEnd.source.path)' has several kernels; choose one with --kernel: "
                                  + kernels.map(\.name).joined(separator: ", "))
            }
            kernel = kernels[0]
        }
        let names = kernel.dims.map(\.name)
        if let unknown = problem.dims.keys.sorted().first(where: { !names.contains($0) }) {
            throw TuneError("--dim \(unknown): kernel '\(kernel.name)' has no dim '\(unknown)'"
                            + (names.isEmpty ? " (it has no dims)" : " (its dims are \(names.joined(separator: ", ")))"))
        }
        let (bound, diagnostics) = kernel.bindDims(problem.dims, inputShapes: [:])
        guard let bound, !diagnostics.hasErrors else {
            throw TuneError(DiagnosticRenderer().render(diagnostics.sorted(), in: frontEnd.source))
        }
        return (kernel, bound)
    }

    /// Prunes, searches, ranks and verifies. `progress(done, budget, best seconds)` follows the search.
    public func run(progress: @escaping @Sendable (Int, Int, Double?) -> Void = { _, _, _ in }) throws(TuneError) -> TuneResult {
        let (kernel, bound) = try Self.bind(problem)
        guard let target = MachineTarget.named(problem.target) else {
            throw TuneError("unknown target '\(problem.target)'; known: " + MachineTarget.allNames)
        }
        let full = SearchSpace.standard(for: target)
        let inert = inertKnobs(full, dims: bound.sizes)
        let space = full.removing(inert)
        var search = SearchRun(space: space, strategy: options.strategy, budget: options.budget, seed: options.seed)
        var scores: [CandidateScore] = []
        var candidates: [String: TuneCandidate] = [:]
        let started = Date()
        let budget = min(options.budget, space.count)
        var best: Double?
        while true {
            if let limit = options.timeLimit, Date().timeIntervalSince(started) >= limit, !scores.isEmpty { break }
            let batch = search.nextBatch()
            if batch.isEmpty { break }
            let pipelines = batch.map(space.pipeline)
            let done = scores.count
            let bestSoFar = best
            let batchScores = try scorer.score(pipelines) { progress(done + $0, budget, bestSoFar) }
            search.record(batch, seconds: batchScores.map(\.seconds))
            for (candidate, score) in zip(batch, batchScores) { candidates[score.pipeline] = candidate }
            scores += batchScores
            best = scores.compactMap(\.seconds).min()
            progress(scores.count, budget, best)
        }
        let defaultPipeline = space.pipeline(space.defaultCandidate)
        guard let defaultScore = scores.first(where: { $0.pipeline == defaultPipeline }) else {
            throw TuneError("the default pipeline was not scored")
        }
        let ranked = scores.filter { $0.seconds != nil }
            .sorted { ($0.seconds!, $0.pipeline) < ($1.seconds!, $1.pipeline) }
        let verifyDims = Self.smallDims(kernel, bound: bound)
        var verified: [VerifiedCandidate] = []
        for score in ranked.prefix(options.verifyAtMost) {
            let check = verify(score, dims: verifyDims)
            verified.append(check)
            if check.passed {
                return TuneResult(kernel: kernel.name, dims: bound.ordered, dtypes: kernel.syntax.dtypeBindings,
                                  target: target.name, space: space,
                                  inertKnobs: inert.sorted().map { full.knobs[$0].label }, defaultScore: defaultScore,
                                  best: score, bestCandidate: candidates[score.pipeline] ?? space.defaultCandidate,
                                  scores: scores, verified: verified, verifyDims: verifyDims)
            }
        }
        let reasons = verified.map { "  \($0.score.pipeline): \($0.problem ?? "failed")" }.joined(separator: "\n")
        throw TuneError(ranked.isEmpty
                        ? "no candidate compiled and ran; the default pipeline's error: \(defaultScore.error ?? "unknown")"
                        : "none of the \(verified.count) fastest candidates matches the reference:\n" + reasons)
    }

    /// The dims correctness checks run at: the tuned size, capped at the kernel's own default (else at 256).
    static func smallDims(_ kernel: CheckedKernel, bound: BoundDims) -> [String: Int] {
        var dims: [String: Int] = [:]
        for (name, size) in bound.ordered {
            dims[name] = min(size, kernel.dims.first { $0.name == name }?.defaultSize ?? 256)
        }
        return dims
    }

    /// Runs the reference interpreter and the simulator (with the candidate's pipeline) on the same random
    /// inputs at `dims` and compares them with `kiln verify`'s tolerances.
    func verify(_ score: CandidateScore, dims: [String: Int]) -> VerifiedCandidate {
        var request = RunRequest(kernelName: problem.kernel, dims: dims, inputs: RunInputOptions(randomSeed: 1),
                                 sim: SimRunOptions(target: problem.target, passes: score.pipeline))
        request.dtypes = problem.dtypes  // the source is checked again: bind its dtype parameters as the tune did
        let report = Driver.verify(problem.frontEnd.source, backends: [.ref, .sim], request: request)
        let problemText = report.diagnostics.sorted().first { $0.severity == .error }.map {
            String($0.message.split(separator: "\n").first ?? "")
        }
        return VerifiedCandidate(score: score, passed: report.passed, problem: report.passed ? nil : problemText ?? "mismatch")
    }

    /// Knobs none of whose values changes the kernel's tile IR (compiled with only that knob moved): a softmax
    /// has no matmul for `tile_n` to change. A value that fails to compile counts as a change.
    func inertKnobs(_ space: SearchSpace, dims: [String: Int]) -> Set<Int> {
        var found: [(knob: Int, pipeline: String)] = []
        for (position, knob) in space.knobs.enumerated() {
            for value in knob.values.indices.dropFirst() {
                var candidate = space.defaultCandidate
                candidate[position] = value
                found.append((position, space.pipeline(candidate)))
            }
        }
        let probes = found
        let reference = compiledText(space.pipeline(space.defaultCandidate), dims: dims)
        let texts = ParallelMap.run(probes.count, jobs: jobs) { compiledText(probes[$0].pipeline, dims: dims) }
        var changing = Set<Int>()
        for (probe, text) in zip(probes, texts) where text == nil || text != reference { changing.insert(probe.knob) }
        return Set(space.knobs.indices).subtracting(changing)
    }

    /// The final tile IR of a compile with `pipeline`, or nil when it does not compile.
    private func compiledText(_ pipeline: String, dims: [String: Int]) -> String? {
        let compilation = Driver.compile(problem.frontEnd, dims: dims,
                                         options: PipelineOptions(target: problem.target, passes: pipeline), scalars: [:])
        guard !compilation.hasErrors, let module = compilation.module else { return nil }
        return TileIR.print(module)
    }
}
