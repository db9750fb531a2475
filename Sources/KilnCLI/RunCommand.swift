// RunCommand.swift: `kiln run FILE.kiln`: execute a kernel on .npy or random inputs and write or summarise its outputs.

import ArgumentParser
import Foundation
import KilnDriver
import KilnInterp
import KilnNumerics
import KilnPluginAPI
import KilnReport
import KilnSim

extension RunBackend: ExpressibleByArgument {}

extension RunOutcome {
    /// The simulator's result (stats, trace, findings) when the registered `sim` backend ran.
    var simulation: SimulationResult? { execution?.details as? SimulationResult }
}

/// `--input NAME=FILE.npy` and `--scalar NAME=VALUE`.
struct NamedArgument: ExpressibleByArgument {
    var name: String
    var value: String

    init?(argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        name = parts[0]
        value = parts[1]
    }
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a kernel on inputs and write or summarise its outputs.",
        discussion: """
            Examples: kiln run Examples/softmax.kiln --random 1
                      kiln run Examples/softmax.kiln --input x=x.npy --output-dir out/
                      kiln run Examples/cast_fp8.kiln --random 7 --scalar qmax=224 --dim N=8
            Inputs come from --input files (their shapes bind the kernel's dims), --scalar values, \
            parameter defaults, then --random SEED (floats uniform in [-1, 1), i32 in [-8, 8], bools; \
            the same seed gives the same inputs on every backend). With --output-dir each result is \
            written as DIR/NAME.npy (an unnamed result is out.npy); otherwise a summary is printed.
            --backend sim compiles the kernel with the default pipeline (--passes to change it) for --target \
            (scalar parameters become constants), runs the bytecode on the simulator with its race, \
            uninitialised-read and out-of-bounds checks, and reports findings at their source lines; \
            --stats, --stats-json, --trace and --timing-only are the simulator's (see kiln sim --help).
            --backend llvm compiles with the same pipeline (--passes, --target), converts the inputs to the \
            parameters' dtypes and runs the tile-level IR JIT-compiled on the host (Docs/llvm-backend.md).
            """
    )

    @Argument(help: "The kernel file.")
    var file: String

    @Option(help: "The kernel to run, when the file has several.")
    var kernel: String?

    @Option(help: "The executor: \(Driver.runBackendNames().joined(separator: ", ")), or a plugin's backend.")
    var backend: RunBackend = .ref

    @Option(name: .customLong("input"), help: ArgumentHelp("A parameter's value from a .npy file (repeatable).", valueName: "NAME=FILE.npy"))
    var inputs: [NamedArgument] = []

    @Option(name: .customLong("scalar"), help: ArgumentHelp("A scalar parameter's value (repeatable).", valueName: "NAME=VALUE"))
    var scalars: [NamedArgument] = []

    @Option(help: ArgumentHelp("Generate every input not given otherwise from this seed.", valueName: "SEED"))
    var random: UInt64?

    @Option(help: "Write each output as DIR/NAME.npy.")
    var outputDir: String?

    @Option(name: .customLong("dim"), help: ArgumentHelp("Bind a symbolic dim, e.g. --dim N=1024 (repeatable).", valueName: "NAME=SIZE"))
    var dims: [DimBinding] = []

    @OptionGroup var dtypeFlags: DTypeFlags

    @Flag(name: .customLong("strict-dtypes"), help: "An input array's dtype must be exactly its parameter's (no rounding).")
    var strictDTypes = false

    @Flag(name: .customLong("show-ids"), help: "Show each diagnostic's stable id.")
    var showIDs = false

    @Option(help: "sim, llvm: the target machine, trn1 or trn2.")
    var target: String = "trn1"

    @Option(help: "sim, llvm: the pass pipeline (default: the target's default pipeline).")
    var passes: String?

    @Flag(help: "sim, llvm: use the pipeline `kiln tune` cached for this kernel, dims and target (default pipeline if none).")
    var tuned = false

    @Flag(help: "sim: print time, per-engine busy time and utilization, HFU, MFU and MBU.")
    var stats = false

    @Option(name: .customLong("stats-json"), help: ArgumentHelp("sim: write the stats as JSON here.", valueName: "PATH"))
    var statsJson: String?

    @Option(help: ArgumentHelp("sim: write a Chrome Trace Event JSON timeline here.", valueName: "PATH"))
    var trace: String?

    @Flag(name: .customLong("timing-only"), help: "sim: simulate time only (no numerics, outputs or memory checks).")
    var timingOnly = false

    @Option(name: .customLong("run-json"), help: ArgumentHelp("sim: write the run record `kiln report` draws here.", valueName: "PATH"))
    var runJson: String?

    @OptionGroup var plugins: PluginFlags

    func run() throws {
        try plugins.load(showIDs: showIDs)
        let dimFlags = try KilnCLI.dimFlags(dims)
        if let outputDir {
            var isDirectory: ObjCBool = false
            // Checked before any work: a file in the way is an error; a missing folder is created on write.
            if FileManager.default.fileExists(atPath: outputDir, isDirectory: &isDirectory), !isDirectory.boolValue {
                printError("kiln: error: output directory '\(outputDir)' is a file")
                throw ExitCode(1)
            }
        }
        guard case .loaded(let source) = load(file) else { throw ExitCode(1) }
        let passes = tuned ? try tunedPipeline(source, kernel: kernel, dims: dimFlags, target: target, passes: self.passes,
                                                       dtypes: try dtypeFlags.resolved())
                           : self.passes
        let options = RunInputOptions(files: inputs.map { ($0.name, $0.value) }, scalars: scalars.map { ($0.name, $0.value) },
                                      randomSeed: random, strictDTypes: strictDTypes)
        guard Driver.runBackendNames().contains(backend.rawValue) else {
            throw ValidationError("unknown backend '\(backend)'; known: \(Driver.runBackendNames().joined(separator: ", "))")
        }
        let usesSim = stats || statsJson != nil || trace != nil || timingOnly || runJson != nil
        if usesSim && backend != .sim {
            throw ValidationError("--stats, --stats-json, --trace, --run-json and --timing-only need --backend sim")
        }
        let execution = ExecutionOptions(timingOnly: timingOnly, recordTrace: trace != nil || runJson != nil)
        var request = RunRequest(kernelName: kernel, backend: backend, dims: dimFlags, inputs: options,
                                 sim: SimRunOptions(target: target, passes: passes, execution: execution))
        request.dtypes = try dtypeFlags.resolved()
        let outcome = Driver.run(source, request: request)
        printError(outcome.renderedDiagnostics(showIDs: showIDs), terminator: "")
        if let result = outcome.simulation {
            if stats { try writeOutput(result.stats.table(), to: nil) }
            if let statsJson { try writeOutput(result.stats.json(), to: statsJson) }
            if let trace { try writeOutput(result.traceJSON(), to: trace) }
            if let runJson {
                try writeOutput(RunRecord.json(kernel: outcome.kernel ?? "", source: source, dims: outcome.bound?.ordered ?? [],
                                               backend: backend.rawValue, statsJSON: result.stats.json(),
                                               traceJSON: result.traceJSON()), to: runJson)
            }
        }
        guard let outputs = outcome.outputs, !outcome.diagnostics.hasErrors else { throw ExitCode(1) }
        if timingOnly { return }
        if let outputDir {
            do {
                try Driver.writeOutputs(outputs, to: outputDir)
            } catch {
                printError("kiln: error: cannot write output \(error)")
                throw ExitCode(1)
            }
        } else {
            print(summary(outputs))
        }
    }

    /// One block per output: name, type, the first values, min/max/mean.
    private func summary(_ outputs: [(name: String, tensor: Tensor)]) -> String {
        outputs.map { name, tensor in
            let stats = tensor.statistics
            let first = tensor.values.prefix(6).map { format($0) }.joined(separator: ", ")
            let more = tensor.count > 6 ? ", ..." : ""
            let nans = stats.nanCount > 0 ? "  nan=\(stats.nanCount)" : ""
            return "\(name): \(tensor.typeDescription)\n  [\(first)\(more)]\n"
                + "  min=\(format(stats.min))  max=\(format(stats.max))  mean=\(format(stats.mean))\(nans)"
        }.joined(separator: "\n")
    }

    private func format(_ value: Double) -> String { String(format: "%.6g", value) }
}
