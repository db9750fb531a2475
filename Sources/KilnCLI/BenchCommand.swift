// BenchCommand.swift: `kiln bench FILE.kiln`: the median execution time of a kernel on the llvm JIT or the simulator.

import ArgumentParser
import Foundation
import KilnDriver
import KilnInterp
import KilnPluginAPI

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time a kernel's execution alone (compile excluded) on the llvm JIT or the simulator.",
        discussion: """
            Examples: kiln bench Examples/softmax.kiln --dim N=4096 --dim D=4096
                      kiln bench Examples/matmul.kiln --dim M=1024 --dim K=1024 --dim N=1024 --iterations 5 --json
                      kiln bench Examples/softmax.kiln --backend sim --dim N=256 --dim D=512
            The kernel is compiled once, run once untimed, then run --iterations times; the median, min and \
            max wall times are printed (one JSON object with --json). Inputs are as for kiln run (default \
            --random 1). --backend llvm times the JIT-compiled call alone (inputs packed beforehand, one \
            thread) and compiles with the tensor-level pipeline '\(LLVMCompileOptions.tensorLevelPipeline)' \
            unless --passes names another (the fastest host code: KilnLLVM fuses it itself). --backend sim \
            compiles with the target's default pipeline and reports the simulated machine time and the \
            wall time of each simulation.
            """
    )

    @Argument(help: "The kernel file.")
    var file: String

    @Option(help: "The kernel to time, when the file has several.")
    var kernel: String?

    @Option(help: "The executor: \(Driver.executableBackendNames().joined(separator: ", ")), or a plugin's backend.")
    var backend: BenchBackend = .llvm

    @Option(name: .customLong("dim"), help: ArgumentHelp("Bind a symbolic dim, e.g. --dim N=1024 (repeatable).", valueName: "NAME=SIZE"))
    var dims: [DimBinding] = []

    @OptionGroup var dtypeFlags: DTypeFlags

    @Option(name: .customLong("input"), help: ArgumentHelp("A parameter's value from a .npy file (repeatable).", valueName: "NAME=FILE.npy"))
    var inputs: [NamedArgument] = []

    @Option(name: .customLong("scalar"), help: ArgumentHelp("A scalar parameter's value (repeatable).", valueName: "NAME=VALUE"))
    var scalars: [NamedArgument] = []

    @Option(help: ArgumentHelp("Generate every input not given otherwise from this seed.", valueName: "SEED"))
    var random: UInt64 = 1

    @Option(help: "Timed runs after the warm-up run.")
    var iterations: Int = 7

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Option(help: "The target machine, trn1 or trn2.")
    var target: String = "trn1"

    @Option(help: "The pass pipeline (default: llvm the tensor-level pipeline, sim the target's default).")
    var passes: String?

    @Flag(name: .customLong("timing-only"), help: "sim: simulate time only (no numerics or memory checks).")
    var timingOnly = false

    @OptionGroup var llvmFlags: LLVMFlags

    @Flag(name: .customLong("show-ids"), help: "Show each diagnostic's stable id.")
    var showIDs = false

    @OptionGroup var plugins: PluginFlags

    func run() throws {
        try plugins.load(showIDs: showIDs)
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1") }
        let dimFlags = try KilnCLI.dimFlags(dims)
        if backend == .sim && (llvmFlags.cpu != nil || llvmFlags.noOptimise) {
            throw ValidationError("--cpu and --no-llvm-opt need --backend llvm")
        }
        if backend == .llvm && timingOnly { throw ValidationError("--timing-only needs --backend sim") }
        guard case .loaded(let source) = load(file) else { throw ExitCode(1) }
        let inputOptions = RunInputOptions(files: inputs.map { ($0.name, $0.value) }, scalars: scalars.map { ($0.name, $0.value) },
                                           randomSeed: random)
        guard Driver.executableBackendNames().contains(backend.rawValue) else {
            throw ValidationError("unknown backend '\(backend)'; known: \(Driver.executableBackendNames().joined(separator: ", "))")
        }
        // The llvm backend's default is the tensor-level pipeline (the fastest host code); others' the target's.
        let pipeline = PipelineOptions(target: target, passes: passes ?? (backend == .llvm ? LLVMCompileOptions.tensorLevelPipeline : nil))
        let execution = ExecutionOptions(timingOnly: timingOnly, cpu: llvmFlags.cpu, optimise: !llvmFlags.noOptimise)
        var request = BenchRequest(kernelName: kernel, backend: backend, dims: dimFlags, inputs: inputOptions,
                                   iterations: iterations, pipeline: pipeline, execution: execution)
        request.dtypes = try dtypeFlags.resolved()
        let outcome = Driver.bench(source, request: request)
        printError(outcome.renderedDiagnostics(showIDs: showIDs), terminator: "")
        guard let result = outcome.result, !outcome.diagnostics.hasErrors else { throw ExitCode(1) }
        print(json ? Self.json(result) : Self.text(result))
    }

    /// `softmax on llvm (pipeline ..., N=4096 D=4096): median 9.81 ms (min 9.60 ms, max 10.4 ms) over 7 runs; compile 0.21 s`
    static func text(_ result: BenchResult) -> String {
        let dims = result.dims.map { "\($0.name)=\($0.size)" }.joined(separator: " ")
        var line = "\(result.kernel) on \(result.backend) (pipeline \(result.pipeline)\(dims.isEmpty ? "" : ", \(dims)")): "
        if let simulated = result.simulatedSeconds { line += "simulated \(milliseconds(simulated)); simulation wall " }
        line += "median \(milliseconds(result.medianSeconds)) (min \(milliseconds(result.minSeconds)), "
            + "max \(milliseconds(result.maxSeconds))) over \(result.wallSeconds.count) runs; "
            + String(format: "compile %.3f s", result.compileSeconds)
        return line
    }

    static func milliseconds(_ seconds: Double) -> String { String(format: "%.4g ms", seconds * 1e3) }

    /// One JSON object; times in seconds.
    static func json(_ result: BenchResult) -> String {
        func number(_ value: Double) -> String { value.isFinite ? String(format: "%.9g", value) : "null" }
        func string(_ text: String) -> String {
            let escaped = text.unicodeScalars.map { scalar -> String in
                switch scalar {
                case "\"": return "\\\""
                case "\\": return "\\\\"
                default: return scalar.value < 0x20 ? String(format: "\\u%04x", scalar.value) : String(scalar)
                }
            }.joined()
            return "\"\(escaped)\""
        }
        let dims = result.dims.map { "\(string($0.name)): \($0.size)" }.joined(separator: ", ")
        var fields = [
            "\"kernel\": \(string(result.kernel))", "\"backend\": \(string(result.backend.rawValue))",
            "\"pipeline\": \(string(result.pipeline))", "\"dims\": {\(dims)}", "\"iterations\": \(result.wallSeconds.count)",
            "\"compile_seconds\": \(number(result.compileSeconds))", "\"median_seconds\": \(number(result.medianSeconds))",
            "\"min_seconds\": \(number(result.minSeconds))", "\"max_seconds\": \(number(result.maxSeconds))",
            "\"wall_seconds\": [\(result.wallSeconds.map(number).joined(separator: ", "))]",
        ]
        if let simulated = result.simulatedSeconds { fields.append("\"simulated_seconds\": \(number(simulated))") }
        return "{" + fields.joined(separator: ", ") + "}"
    }
}
