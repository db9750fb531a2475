// VerifyCommand.swift: `kiln verify FILE.kiln...`: every backend on the same random inputs, outputs compared per dtype tolerance.

import ArgumentParser
import Foundation
import KilnDriver
import KilnInterp

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Run kernels on several backends with the same random inputs and compare their outputs.",
        discussion: """
            Examples: kiln verify Examples/*.kiln
                      kiln verify Examples/matmul.kiln --dim M=256 --dim K=512 --dim N=256 --seed 3
            Each file's kernel runs on every --backends entry (default: ref,sim,llvm; the first is the oracle) with \
            inputs from --seed (scalars take their defaults). Per output and backend pair it prints the max abs \
            and max rel error; an output whose elements differ beyond its dtype's tolerance (Docs/numerics.md: \
            f32 rtol 1e-5 atol 1e-6, bf16 2^-8/2^-12, f16 2^-10/2^-14, fp8 one step, integers exact) is an \
            error naming the kernel, the output and the worst element; a kernel that fails to compile or run on \
            a backend is ERROR, with its diagnostics. --kernel chooses the kernel of a file that has several. \
            Exit 1 if any file fails.
            """
    )

    @Argument(help: "The kernel files.")
    var files: [String]

    @Option(help: "Comma-separated backends, the oracle first (\(Driver.runBackendNames().joined(separator: ", ")), or a plugin's).")
    var backends: String = "ref,sim,llvm"

    @Option(help: "The kernel to verify, when a file has several.")
    var kernel: String?

    @Option(help: "The seed of the random inputs.")
    var seed: UInt64 = 1

    @Option(name: .customLong("dim"), help: ArgumentHelp("Bind a symbolic dim (repeatable).", valueName: "NAME=SIZE"))
    var dims: [DimBinding] = []

    @OptionGroup var dtypeFlags: DTypeFlags

    @Option(help: "sim, llvm: the target machine, trn1 or trn2.")
    var target: String = "trn1"

    @Option(help: "sim, llvm: the pass pipeline (default: the target's default pipeline).")
    var passes: String?

    @Flag(name: .customLong("show-ids"), help: "Show each diagnostic's stable id.")
    var showIDs = false

    @OptionGroup var plugins: PluginFlags

    func run() throws {
        try plugins.load(showIDs: showIDs)
        var chosen: [RunBackend] = []
        let known = Driver.runBackendNames()
        for name in backends.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let backend = RunBackend(rawValue: name)
            guard known.contains(name) else {
                throw ValidationError("unknown backend '\(name)'; known: \(known.joined(separator: ", "))")
            }
            guard !chosen.contains(backend) else { throw ValidationError("backend '\(name)' is listed twice") }
            chosen.append(backend)
        }
        guard chosen.count >= 2 else { throw ValidationError("--backends needs at least two backends to compare") }
        let dimFlags = try KilnCLI.dimFlags(dims)
        var failed = 0
        for file in files {
            guard case .loaded(let source) = load(file) else {
                failed += 1
                continue
            }
            var request = RunRequest(kernelName: kernel, dims: dimFlags, inputs: RunInputOptions(randomSeed: seed),
                                     sim: SimRunOptions(target: target, passes: passes))
            request.dtypes = try dtypeFlags.resolved()
            let report = Driver.verify(source, backends: chosen, request: request)
            printError(report.renderedDiagnostics(showIDs: showIDs), terminator: "")
            print(Self.table(file: file, report))
            if !report.passed { failed += 1 }
        }
        print("verify: \(files.count - failed) of \(files.count) files match")
        if failed > 0 { throw ExitCode(1) }
    }

    /// `file kernel: ok|MISMATCH|ERROR` (ERROR: a backend did not run, so nothing was compared), then one line
    /// per output and backend pair.
    static func table(file: String, _ report: VerifyReport) -> String {
        let verdict = report.passed ? "ok" : report.pairs.isEmpty ? "ERROR" : "MISMATCH"
        var lines = ["\(file) \(report.kernel ?? "?"): \(verdict)"]
        for pair in report.pairs {
            for output in pair.outputs {
                let errors = String(format: "max abs %.3g  max rel %.3g", output.maxAbsError, output.maxRelError)
                let verdict = output.passed ? "ok" : "\(output.mismatches) of \(output.count) over tolerance"
                lines.append("  \(output.output) \(output.dtype) \(pair.first) vs \(pair.second): \(errors)  (\(output.tolerance)) \(verdict)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
