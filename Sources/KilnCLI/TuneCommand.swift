// TuneCommand.swift: `kiln tune FILE`: search pass options on the timing model, verify the best, cache it.

import ArgumentParser
import Foundation
import KilnDriver
import KilnTune

extension SearchStrategyName: ExpressibleByArgument {}

struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Search schedules (pass options) by simulated time, verify the fastest, and cache it.",
        discussion: """
            Examples: kiln tune Examples/matmul.kiln --dim M=4096 --dim K=8192 --dim N=8192 --target trn1
                      kiln tune Examples/softmax.kiln --dim N=4096 --dim D=8192 --strategy random --budget 64 --seed 7
                      kiln tune --show
                      kiln build Examples/matmul.kiln --tuned --dim M=4096 --dim K=8192 --dim N=8192 --emit tile-ir
            Each candidate is the target's default pipeline with options on its passes (kiln passes lists them); \
            it is compiled and simulated for time only, on --jobs threads (default: every core) or on a Ray \
            cluster (--ray ADDRESS). The fastest candidates are then checked against the reference interpreter \
            at small dims (the kernel's defaults); the fastest that matches is the answer, printed as a pipeline \
            string (replay it with --passes) and as an @schedule attribute, and stored in the cache \
            ($KILN_CACHE_DIR, else ~/.cache/kiln/tune) that a later tune and `build --tuned` read. \
            The same seed gives the same result locally and on Ray (not with --time, which stops by the clock). \
            See Docs/tuning.md.
            """
    )

    @Argument(help: "The kernel file (not needed with --show).")
    var file: String?

    @Option(help: "The kernel to tune, when the file has several.")
    var kernel: String?

    @Option(name: .customLong("dim"), help: ArgumentHelp("Bind a symbolic dim, e.g. --dim N=1024 (repeatable).", valueName: "NAME=SIZE"))
    var dims: [DimBinding] = []

    @OptionGroup var dtypeFlags: DTypeFlags

    @Option(help: "The target machine: trn1, trn2 or trn3.")
    var target: String = "trn1"

    @Option(help: "Score at most this many candidates (default 128; the default pipeline is one of them).")
    var budget: Int?

    @Option(help: ArgumentHelp("Stop proposing candidates after this many seconds (results then depend on speed).", valueName: "S"))
    var time: Double?

    @Option(help: "Threads that score candidates (default: every core).")
    var jobs: Int?

    @Option(help: "How candidates are chosen: grid, random or anneal.")
    var strategy: SearchStrategyName = .anneal

    @Option(help: "The seed of random and anneal.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Score on the Ray cluster at this address (host:port of `ray start --head`).", valueName: "ADDRESS"))
    var ray: String?

    @Flag(help: "Show a progress bar on standard error even when it is not a terminal.")
    var progress = false

    @Flag(name: .customLong("no-cache"), help: "Neither read nor write the tuning cache.")
    var noCache = false

    @Flag(help: "List the cache's entries and exit.")
    var show = false

    @Flag(name: .customLong("score-batch"), help: .hidden)
    var scoreBatch = false

    func validate() throws {
        if let budget, budget < 1 { throw ValidationError("--budget must be at least 1") }
        if let time, !(time > 0) { throw ValidationError("--time must be a positive number of seconds") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if budget != nil && time != nil { throw ValidationError("give --budget or --time, not both") }
        if !show && file == nil { throw ValidationError("give a kernel file to tune (or --show)") }
    }

    func run() throws {
        if show { return try showCache() }
        guard let file, case .loaded(let source) = load(file) else { throw ExitCode(1) }
        let dtypes = try dtypeFlags.resolved()
        let problem = TuneProblem(frontEnd: Driver.runFrontEnd(source, dtypes: dtypes), kernel: kernel,
                                  dims: try dimFlags(dims), target: target, dtypes: dtypes)
        let workers = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        if scoreBatch { return try scoreBatchFromStandardInput(problem, jobs: workers) }
        let started = Date()
        let key = try failing { () throws(TuneError) in try TunedSchedule.key(for: problem) }
        let cache = noCache ? nil : try failing { () throws(TuneError) in try TuneCache() }
        if let cache, let entry = try failing({ () throws(TuneError) in try cache.lookup(key) }) {
            print(TuneReport.cached(entry, path: cache.path, elapsed: Date().timeIntervalSince(started)), terminator: "")
            return
        }
        let scorer: any CandidateScorer = try ray.map { address in
            try failing { () throws(TuneError) in
                try RayScorer(address: address, kiln: Self.executablePath(), problem: problem)
            }
        } ?? LocalScorer(problem: problem, jobs: workers)
        let options = TuneOptions(strategy: strategy, budget: budget ?? (time == nil ? 128 : Int.max), timeLimit: time, seed: seed)
        let bar = ProgressBar(enabled: progress || isatty(2) != 0)
        let tuner = Tuner(problem: problem, scorer: scorer, options: options, jobs: workers)
        let result = try failing { () throws(TuneError) in try tuner.run { done, total, best in bar.show(done, total, best) } }
        bar.finish()
        var stored: String?
        if let cache {
            let entry = TuneReport.entry(result, key: key, options: options)
            try failing { () throws(TuneError) in _ = try cache.store(entry) }
            stored = cache.path
        }
        print(TuneReport.text(result, options: options, cachePath: stored, elapsed: Date().timeIntervalSince(started)),
              terminator: "")
    }

    /// `--score-batch`: a JSON array of pipeline strings on standard input, their scores as JSON on standard output.
    private func scoreBatchFromStandardInput(_ problem: TuneProblem, jobs: Int) throws {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard let pipelines = try? JSONDecoder().decode([String].self, from: data) else {
            printError("kiln: error: --score-batch reads a JSON array of pipeline strings on standard input")
            throw ExitCode(1)
        }
        let scores = LocalScorer(problem: problem, jobs: jobs).score(pipelines) { _ in }
        let encoded = try JSONEncoder().encode(scores)
        try writeOutput(bytes: Array(encoded) + [0x0A], to: nil)
    }

    private func showCache() throws {
        let cache = try failing { () throws(TuneError) in try TuneCache() }
        let entries = try failing { () throws(TuneError) in try cache.all() }
        print(TuneReport.listing(entries, path: cache.path), terminator: "")
    }

    /// Runs `body`; a `TuneError` is printed as `kiln: error: ...` and exits 1.
    private func failing<T>(_ body: () throws(TuneError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            printError("kiln: error: \(error.message)")
            throw ExitCode(1)
        }
    }

    /// This kiln's absolute path, for Ray workers to run.
    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }
}
