// PassManager.swift: runs a pipeline over a module with IR printing, per-pass verification and timing.

import KilnMachine
import KilnSource
import KilnTileIR

/// The pass manager's switches, as `kiln opt` / `kiln build` expose them.
public struct PassManagerOptions: Sendable {
    /// Print the IR after every pass (`--print-ir-after-all`).
    public var printIRAfterAll = false
    /// Print the IR after the passes of these names (`--print-after NAME`).
    public var printAfter: [String] = []
    /// Verify the input and the IR after every pass, stopping at the first pass that breaks it: on by default,
    /// as MLIR's pass manager does; `--no-verify` turns it off.
    public var verifyEach = true
    /// Measure each pass's wall time (`--time-passes`).
    public var timePasses = false

    public init(printIRAfterAll: Bool = false, printAfter: [String] = [], verifyEach: Bool = true, timePasses: Bool = false) {
        self.printIRAfterAll = printIRAfterAll
        self.printAfter = printAfter
        self.verifyEach = verifyEach
        self.timePasses = timePasses
    }
}

/// One pass's wall time.
public struct PassTiming: Sendable, Equatable {
    public var pass: String
    public var duration: Duration
}

/// What a pipeline run produced besides the rewritten module.
public struct PassRunReport: Sendable {
    /// Diagnostics reported by passes and by the verifier.
    public var diagnostics: [Diagnostic] = []
    /// IR dumps requested by the print options, each headed `// -----// IR Dump After NAME //----- //`.
    public var irDumps: String = ""
    /// Per-pass wall times when `timePasses` is on, in run order.
    public var timings: [PassTiming] = []
    /// The passes that ran to completion.
    public var completedPasses: [String] = []
    /// The pass that failed (diagnosed errors, threw, or left invalid IR), if any; later passes did not run.
    public var failedPass: String?

    public var succeeded: Bool { failedPass == nil && !diagnostics.contains { $0.severity == .error } }

    /// The `--time-passes` table: each pass's time in milliseconds and its share of the total.
    public func timingReport() -> String {
        let total = timings.reduce(Duration.zero) { $0 + $1.duration }
        let totalSeconds = total.seconds
        var out = "===-- pass execution timing --===\n"
        for timing in timings {
            let seconds = timing.duration.seconds
            let share = totalSeconds > 0 ? seconds / totalSeconds * 100 : 0
            out += "  \(formatted(seconds * 1000, digits: 3)) ms  \(formatted(share, digits: 1))%  \(timing.pass)\n"
        }
        return out + "  \(formatted(totalSeconds * 1000, digits: 3)) ms  total\n"
    }

    private func formatted(_ value: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = String(rounded)
        if let dot = text.firstIndex(of: ".") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
        }
        return text
    }
}

extension Duration {
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}

/// Runs pipelines of registered passes against one target.
public struct PassManager {
    public let registry: PassRegistry
    public let target: MachineTarget
    public var options: PassManagerOptions

    public init(registry: PassRegistry, target: MachineTarget, options: PassManagerOptions = PassManagerOptions()) {
        self.registry = registry
        self.target = target
        self.options = options
    }

    /// Parses `pipeline` and runs it over `module`. Pipeline errors (unknown names, also in `printAfter`)
    /// are thrown before anything runs; problems in the IR end up in the report.
    public func run(_ pipeline: String, on module: inout Module) throws(PassPipelineError) -> PassRunReport {
        let parsed = try PassPipeline.parse(pipeline, registry: registry)
        let unknownPrintAfter = options.printAfter.filter { registry.pass(named: $0) == nil }
        if !unknownPrintAfter.isEmpty {
            throw .unknownPasses(unknownPrintAfter.map {
                .init(name: $0, suggestions: NameSuggestions.closeMatches(to: $0, in: registry.names))
            }, known: registry.names)
        }
        return run(parsed, on: &module)
    }

    /// Runs an already parsed pipeline.
    public func run(_ pipeline: PassPipeline, on module: inout Module) -> PassRunReport {
        var verifying = Duration.zero
        var report = runPasses(pipeline, on: &module, verifying: &verifying)
        if options.timePasses && options.verifyEach { report.timings.append(PassTiming(pass: "(verify)", duration: verifying)) }
        return report
    }

    /// The pipeline, verifying as the options say; `verifying` adds up the verifier's time. As MLIR's pass
    /// manager does for a pass that preserved everything, a pass that leaves the module equal to what it was
    /// given is not verified again: the IR the verifier last accepted is what it would check. (Unchanged
    /// arrays compare by identity first, so the comparison costs little when a pass touched nothing.)
    private func runPasses(_ pipeline: PassPipeline, on module: inout Module, verifying: inout Duration) -> PassRunReport {
        var report = PassRunReport()
        let clock = ContinuousClock()
        if options.verifyEach {
            let verifyStart = clock.now
            let problems = TileIR.verify(module, target: target)
            verifying += clock.now - verifyStart
            report.diagnostics += problems
            if problems.contains(where: { $0.severity == .error }) {
                report.failedPass = "(input)"
                return report
            }
        }
        for entry in pipeline.entries {
            let pass = entry.pass
            let given = options.verifyEach ? module : Module(target: module.target)
            var context = PassContext(target: target, options: entry.options)
            let started = clock.now
            do {
                try pass.run(on: &module, context: &context)
            } catch {
                report.diagnostics += context.diagnostics
                let reason = (error as? PassFailure)?.reason ?? "\(error)"
                report.diagnostics.append(DiagnosticCatalogue.passFailed(pass.name, reason))
                report.failedPass = pass.name
                return report
            }
            if options.timePasses { report.timings.append(PassTiming(pass: pass.name, duration: clock.now - started)) }
            report.diagnostics += context.diagnostics
            if context.hasErrors {
                report.failedPass = pass.name
                return report
            }
            if options.printIRAfterAll || options.printAfter.contains(pass.name) {
                report.irDumps += "// -----// IR Dump After \(pass.name) //----- //\n" + TileIR.print(module)
            }
            if options.verifyEach {
                let verifyStart = clock.now
                if module == given {
                    verifying += clock.now - verifyStart
                    report.completedPasses.append(pass.name)
                    continue
                }
                let problems = TileIR.verify(module, target: target)
                verifying += clock.now - verifyStart
                let errors = problems.filter { $0.severity == .error }.count
                report.diagnostics += problems
                if errors > 0 {
                    report.diagnostics.append(DiagnosticCatalogue.invalidAfterPass(pass.name, errors: errors, at: .unknown))
                    report.failedPass = pass.name
                    return report
                }
            }
            report.completedPasses.append(pass.name)
        }
        return report
    }
}
