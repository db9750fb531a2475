// CandidateScorer.swift: scores pipelines by simulated time (timing-only simulation), in process over local cores.

import Foundation
import KilnDriver
import KilnInterp
import KilnMachine
import KilnPluginAPI
import KilnSim
import KilnSource

/// One pipeline's score: simulated seconds and HFU, or why it has none (it failed to compile or run).
public struct CandidateScore: Sendable, Equatable, Codable {
    public var pipeline: String
    public var seconds: Double?
    public var hfu: Double?
    public var error: String?

    public init(pipeline: String, seconds: Double? = nil, hfu: Double? = nil, error: String? = nil) {
        self.pipeline = pipeline
        self.seconds = seconds
        self.hfu = hfu
        self.error = error
    }
}

/// What is tuned: a kernel of a checked file at bound dims on a target.
public struct TuneProblem: Sendable {
    public var frontEnd: FrontEndResult
    /// `--kernel`; nil: the file's only kernel.
    public var kernel: String?
    public var dims: [String: Int]
    public var target: String
    /// The `--dtype` flags `frontEnd` was made with (workers that compile the source again need them).
    public var dtypes: [String: ElementType]

    public init(frontEnd: FrontEndResult, kernel: String?, dims: [String: Int], target: String,
                dtypes: [String: ElementType] = [:]) {
        self.frontEnd = frontEnd
        self.kernel = kernel
        self.dims = dims
        self.target = target
        self.dtypes = dtypes
    }

    /// Compiles with `pipeline` and simulates time only; the simulator is deterministic, so a pipeline's score
    /// is the same in every process and on every machine.
    public func score(_ pipeline: String) -> CandidateScore {
        let request = RunRequest(kernelName: kernel, backend: .sim, dims: dims,
                                 sim: SimRunOptions(target: target, passes: pipeline,
                                                    execution: ExecutionOptions(timingOnly: true)))
        let outcome = Driver.run(frontEnd, request: request)
        guard !outcome.diagnostics.hasErrors, let result = outcome.execution?.details as? SimulationResult else {
            let first = outcome.diagnostics.sorted().first { $0.severity == .error }
            return CandidateScore(pipeline: pipeline, error: first.map { Self.summary(of: $0.message) } ?? "no simulation result")
        }
        return CandidateScore(pipeline: pipeline, seconds: result.stats.seconds, hfu: result.stats.hfu)
    }

    /// One line of a (possibly multi-line) compile error: its first line, then the first nested `error:`'s text.
    static func summary(of message: String) -> String {
        let lines = message.split(separator: "\n").map(String.init)
        guard let head = lines.first else { return message }
        guard let nested = lines.dropFirst().first(where: { $0.contains("error: ") }),
              let range = nested.range(of: "error: ") else { return head }
        return head + " " + nested[range.upperBound...]
    }
}

/// Scores batches of pipelines; local threads or a Ray cluster.
public protocol CandidateScorer: Sendable {
    /// Scores every pipeline (results in the same order); `progress` is called with the number done so far.
    func score(_ pipelines: [String], progress: @escaping @Sendable (Int) -> Void) throws(TuneError) -> [CandidateScore]
}

/// Scores on `jobs` threads of this process, each taking the next pipeline as it finishes one.
public struct LocalScorer: CandidateScorer {
    public let problem: TuneProblem
    public let jobs: Int

    public init(problem: TuneProblem, jobs: Int) {
        self.problem = problem
        self.jobs = max(1, jobs)
    }

    public func score(_ pipelines: [String], progress: @escaping @Sendable (Int) -> Void) -> [CandidateScore] {
        let problem = self.problem
        return ParallelMap.run(pipelines.count, jobs: jobs, progress: progress) { problem.score(pipelines[$0]) }
    }
}

/// Why a tune could not go on.
public struct TuneError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
