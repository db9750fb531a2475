// TuneReport.swift: what `kiln tune` prints: the result, a cached answer, and the cache listing.

import Foundation

/// Text for the tune command; the cache entry of a result.
public enum TuneReport {
    /// The cache entry for a verified result.
    public static func entry(_ result: TuneResult, key: TuneKey, options: TuneOptions) -> TuneEntry {
        TuneEntry(key: key, pipeline: result.best.pipeline, schedule: result.space.scheduleAttribute(result.bestCandidate).attribute,
                  seconds: result.best.seconds ?? 0, hfu: result.best.hfu ?? 0, defaultSeconds: result.defaultScore.seconds ?? 0,
                  candidates: result.scores.count, strategy: options.strategy.rawValue, seed: options.seed)
    }

    /// The report of a tune that ran.
    public static func text(_ result: TuneResult, options: TuneOptions, cachePath: String?, elapsed: Double) -> String {
        let dims = (result.dims.map { "\($0.name)=\($0.size)" } + result.dtypes.map { "\($0.name)=\($0.dtype)" })
            .joined(separator: " ")
        let failed = result.scores.filter { $0.seconds == nil }.count
        let (attribute, complete) = result.space.scheduleAttribute(result.bestCandidate)
        var out = "kernel    \(result.kernel) \(dims) on \(result.target)\n"
        out += "searched  \(result.scores.count) candidates (\(failed) did not compile or run) of \(result.space.count), "
            + "strategy \(options.strategy.rawValue), seed \(options.seed), \(format(elapsed, digits: 1)) s\n"
        if !result.inertKnobs.isEmpty {
            out += "inert     \(result.inertKnobs.joined(separator: ", ")) (no value changes this kernel's code)\n"
        }
        out += "default   \(milliseconds(result.defaultScore.seconds))  HFU \(percent(result.defaultScore.hfu))\n"
        out += "best      \(milliseconds(result.best.seconds))  HFU \(percent(result.best.hfu))  "
            + "speedup \(format(result.speedup, digits: 3))x over the default pipeline\n"
        out += "pipeline  \(result.best.pipeline)\n"
        out += "schedule  \(attribute)" + (complete ? "" : "  (with the pipeline's other options; replay with --passes)") + "\n"
        let small = result.dims.compactMap { dim in result.verifyDims[dim.name].map { "\(dim.name)=\($0)" } }.joined(separator: " ")
        let rejected = result.verified.filter { !$0.passed }
        out += "verified  ref = sim at \(small)"
            + (rejected.isEmpty ? "" : "; \(rejected.count) faster candidate(s) did not match the reference and were dropped") + "\n"
        for check in rejected { out += "  dropped \(milliseconds(check.score.seconds))  \(check.score.pipeline): \(check.problem ?? "")\n" }
        if let cachePath { out += "cache     stored in \(cachePath)\n" }
        return out
    }

    /// The report of a tune answered from the cache.
    public static func cached(_ entry: TuneEntry, path: String, elapsed: Double) -> String {
        let speedup = entry.defaultSeconds / max(entry.seconds, 1e-15)
        let bindings = [entry.key.dims, entry.key.dtypes].filter { !$0.isEmpty }.joined(separator: ",")
        var out = "kernel    \(entry.key.kernel) \(bindings.replacingOccurrences(of: ",", with: " ")) on \(entry.key.target)\n"
        out += "cached    tuned \(entry.created) (\(entry.candidates) candidates, strategy \(entry.strategy), seed \(entry.seed)); "
            + "answered in \(format(elapsed * 1000, digits: 1)) ms from \(path)\n"
        out += "default   \(milliseconds(entry.defaultSeconds))\n"
        out += "best      \(milliseconds(entry.seconds))  HFU \(percent(entry.hfu))  speedup \(format(speedup, digits: 3))x over the default pipeline\n"
        out += "pipeline  \(entry.pipeline)\n"
        out += "schedule  \(entry.schedule)\n"
        return out
    }

    /// `kiln tune --show`.
    public static func listing(_ entries: [TuneEntry], path: String) -> String {
        var out = "tuning cache \(path): \(entries.count) entr\(entries.count == 1 ? "y" : "ies")\n"
        for entry in entries {
            let dtypes = entry.key.dtypes.isEmpty ? "" : " <\(entry.key.dtypes)>"
            out += "\(entry.key.kernel)\(dtypes) [\(entry.key.dims)] \(entry.key.target)  \(milliseconds(entry.seconds)) "
                + "(default \(milliseconds(entry.defaultSeconds)))  HFU \(percent(entry.hfu))  source \(entry.key.sourceHash)  "
                + "tuned \(entry.created)\n  \(entry.pipeline)\n"
        }
        return out
    }

    public static func milliseconds(_ seconds: Double?) -> String {
        guard let seconds else { return "-" }
        return format(seconds * 1000, digits: 4) + " ms"
    }

    static func percent(_ fraction: Double?) -> String {
        guard let fraction else { return "-" }
        return format(fraction * 100, digits: 1) + "%"
    }

    static func format(_ value: Double, digits: Int) -> String {
        String(format: "%.\(digits)f", value)
    }
}
