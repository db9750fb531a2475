// TunedSchedule.swift: a problem's cache key, and the cached pipeline that `kiln build --tuned` and `run --tuned` use.

import KilnDriver
import KilnMachine
import KilnSource

/// Reading the tuning cache for a compile.
public enum TunedSchedule {
    /// The cache key of tuning `problem` (its kernel chosen, dims bound and dtype parameters bound as a tune would).
    public static func key(for problem: TuneProblem) throws(TuneError) -> TuneKey {
        let (kernel, bound) = try Tuner.bind(problem)
        guard let target = MachineTarget.named(problem.target) else {
            throw TuneError("unknown target '\(problem.target)'; known: " + MachineTarget.allNames)
        }
        return TuneKey(source: problem.frontEnd.source, kernel: kernel.name, dims: bound.ordered,
                       dtypes: kernel.syntax.dtypeBindings, target: target)
    }

    /// The cached best pipeline for `problem` in the cache at `directory`, or nil when none was stored.
    public static func pipeline(for problem: TuneProblem,
                                directory: String = TuneCache.defaultDirectory()) throws(TuneError) -> TuneEntry? {
        try TuneCache(directory: directory).lookup(key(for: problem))
    }
}
