// OptCommand.swift: `kiln opt FILE.tir --passes PIPELINE`: tile IR text in, passes run, tile IR text out.

import ArgumentParser
import KilnDriver
import KilnSource

/// The pass-manager flags shared by `kiln opt` and `kiln build`.
struct PipelineFlags: ParsableArguments {
    @Option(help: "The target machine: trn1 or trn2 (default: the module's own for opt, trn1 for build).")
    var target: String?

    @Option(help: "A comma-separated pass pipeline, e.g. 'canonicalize,cse,dce'; '' runs no passes (the default of opt; build runs the default pipeline).")
    var passes: String?

    @Flag(name: .customLong("print-ir-after-all"), help: "Print the IR to standard error after every pass.")
    var printIRAfterAll = false

    @Option(name: .customLong("print-after"), help: ArgumentHelp("Print the IR to standard error after this pass (repeatable).",
                                                                  valueName: "PASS"))
    var printAfter: [String] = []

    @Flag(name: .customLong("verify-each"), help: "Verify the input and the IR after every pass (the default; kept for scripts).")
    var verifyEach = false

    @Flag(name: .customLong("no-verify"), help: "Do not verify the input and the IR after every pass (backends still verify what they are given).")
    var noVerify = false

    @Flag(name: .customLong("time-passes"), help: "Print each pass's wall time to standard error.")
    var timePasses = false

    func options(target resolved: String) -> PipelineOptions {
        PipelineOptions(target: resolved, passes: passes, printIRAfterAll: printIRAfterAll, printAfter: printAfter,
                        verifyEach: !noVerify, timePasses: timePasses)
    }
}

struct OptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "opt",
        abstract: "Run a pass pipeline over tile IR text and print the resulting IR.",
        discussion: """
            Example: kiln opt kernel.tir --passes canonicalize,cse,dce
            Without --passes no pass runs and the IR is printed as read (a round trip).
            IR dumps (--print-ir-after-all, --print-after) and --time-passes go to standard error; the final IR \
            goes to standard output or -o. Errors are reported at the kernel source line when the module's \
            'source' file can be read, else at the line of the .tir file; the exit code is 1 on any error.
            """
    )

    @Argument(help: "The tile IR file (*.tir).")
    var file: String

    @OptionGroup var pipeline: PipelineFlags

    @Option(name: .shortAndLong, help: "Write the IR here instead of standard output (written atomically).")
    var output: String?

    @Flag(name: .customLong("show-ids"), help: "Show each diagnostic's stable id.")
    var showIDs = false

    @OptionGroup var plugins: PluginFlags

    func run() throws {
        try plugins.load(showIDs: showIDs)
        guard case .loaded(let irText) = load(file) else { throw ExitCode(1) }
        // Like mlir-opt, `kiln opt` without --passes runs no passes: the IR it read comes back byte for byte.
        var options = pipeline.options(target: pipeline.target ?? "")
        if options.passes == nil { options.passes = "" }
        let (parsed, result) = Driver.optimize(irText, target: pipeline.target, options: options)
        guard let module = parsed.module, let result else {
            printError(DiagnosticRenderer(showIDs: showIDs).render(parsed.diagnostics, in: irText), terminator: "")
            throw ExitCode(1)
        }
        let kernelSource = Driver.loadKernelSource(of: module, irPath: file)
        if !result.irDumps.isEmpty { printError(result.irDumps, terminator: "") }
        if let timing = result.timingReport { printError(timing, terminator: "") }
        if let usage = result.usageError {
            printError("kiln: error: \(usage.message)" + (showIDs ? " [\(usage.id.code)]" : ""))
            throw ExitCode(1)
        }
        printError(Driver.renderIRDiagnostics(result.diagnostics, kernelSource: kernelSource,
                                              irText: irText, module: module, showIDs: showIDs), terminator: "")
        guard let final = result.module, !result.hasErrors else { throw ExitCode(1) }
        try writeOutput(Driver.printIR(final, kernelSource: nil), to: output)
    }
}
