// TunedFlag.swift: `--tuned` on build and run: compile with the tuning cache's best pipeline for the kernel.

import ArgumentParser
import KilnDriver
import KilnMachine
import KilnSource
import KilnTune

/// The pipeline `--tuned` stands for: the cached best for this kernel, dims and target, or nil (with a note on
/// standard error) when nothing was tuned for them; `--tuned` with `--passes` is a usage error.
func tunedPipeline(_ source: SourceFile, kernel: String?, dims: [String: Int], target: String,
                   passes: String?, dtypes: [String: ElementType] = [:]) throws -> String? {
    if passes != nil { throw ValidationError("give --tuned or --passes, not both") }
    let problem = TuneProblem(frontEnd: Driver.runFrontEnd(source, dtypes: dtypes), kernel: kernel, dims: dims,
                              target: target, dtypes: dtypes)
    // Errors of the source itself are reported by the compile that follows, at their lines.
    guard !problem.frontEnd.hasErrors else { return nil }
    do {
        guard let entry = try TunedSchedule.pipeline(for: problem) else {
            printError("kiln: note: no tuned schedule is cached for this kernel, dims, dtypes and target; using the default pipeline "
                       + "(run kiln tune first)")
            return nil
        }
        printError("kiln: note: using the tuned pipeline (\(TuneReport.milliseconds(entry.seconds)) simulated): \(entry.pipeline)")
        return entry.pipeline
    } catch {
        printError("kiln: error: \(error.message)")
        throw ExitCode(1)
    }
}
