// BuildCommand.swift: `kiln build FILE --emit ...`: compile a kernel file to one of its stages.

import ArgumentParser
import KilnDriver
import KilnSource

/// `--dim NAME=SIZE`. A decimal SIZE too large for 64 bits parses (size nil), so that `dimFlags` reports
/// it as an error of the input (exit 1), not as a usage error.
struct DimBinding: ExpressibleByArgument {
    var name: String
    var size: Int?
    var text: String

    init?(argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
        let digits = parts.count == 2 && parts[1].drop(while: { $0 == "-" || $0 == "+" }).allSatisfy(\.isNumber)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, digits || Int(parts[1]) != nil else { return nil }
        name = parts[0]
        text = parts[1]
        size = Int(parts[1])
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

/// The `--dim` flags as a dictionary: a name given twice is a usage error; a size that does not fit in
/// 64 bits is an error of the input, reported like the driver's (`kiln: error: ...`, exit 1).
func dimFlags(_ bindings: [DimBinding]) throws -> [String: Int] {
    var result: [String: Int] = [:]
    for binding in bindings {
        guard let size = binding.size else {
            printError("kiln: error: --dim \(binding.name)=\(binding.text): the size does not fit in 64 bits")
            throw ExitCode(1)
        }
        guard result.updateValue(size, forKey: binding.name) == nil else {
            throw ValidationError("--dim \(binding.name) is given more than once")
        }
    }
    return result
}

enum EmitKind: String, ExpressibleByArgument, CaseIterable {
    case ast
    case tileIR = "tile-ir"
    case bytecode
    case llvm
    case obj
}

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Compile a kernel file and emit one stage of it.",
        discussion: """
            Examples: kiln build Examples/softmax.kiln --emit ast --dim N=1024 --dim D=512
                      kiln build Examples/softmax.kiln --emit tile-ir --passes '' (the IR straight from lowering)
                      kiln build Examples/matmul.kiln --emit tile-ir --target trn2 --print-ir-after-all --time-passes
            --emit tile-ir runs the pass pipeline (--passes, default: the target's default pipeline) and prints \
            the IR after it; IR dumps and pass timings go to standard error. --emit bytecode continues \
            through the sim backend and writes a .kbc file (-o is required; scalar parameters take their defaults).
            """
    )

    @Argument(help: "The kernel file.")
    var file: String

    @Option(help: "What to emit: \(EmitKind.allCases.map(\.rawValue).joined(separator: ", ")), or a registered backend (kiln backends).")
    var emit: EmitChoice = EmitChoice(.ast)

    @Option(name: .customLong("dim"), help: ArgumentHelp("Bind a symbolic dim, e.g. --dim N=1024 (repeatable).", valueName: "NAME=SIZE"))
    var dims: [DimBinding] = []

    @OptionGroup var dtypeFlags: DTypeFlags

    @Option(name: .shortAndLong, help: "Write the output here instead of standard output.")
    var output: String?

    @Flag(name: .customLong("show-ids"), help: "Show each diagnostic's stable id, e.g. [K2001].")
    var showIDs = false

    @OptionGroup var pipeline: PipelineFlags

    @Flag(help: "Compile with the pipeline `kiln tune` cached for this kernel, dims and target (default pipeline if none).")
    var tuned = false

    @OptionGroup var llvmFlags: LLVMFlags

    @OptionGroup var plugins: PluginFlags

    /// `--dim` flags as a dictionary (see the free function `dimFlags`).
    func dimFlags() throws -> [String: Int] { try KilnCLI.dimFlags(dims) }

    func run() throws {
        guard case .loaded(let source) = load(file) else { throw ExitCode(1) }
        try plugins.load(showIDs: showIDs)
        if tuned {
            var resolved = self
            resolved.tuned = false
            resolved.pipeline.passes = try tunedPipeline(source, kernel: nil, dims: try dimFlags(),
                                                         target: pipeline.target ?? "trn1", passes: pipeline.passes,
                                                         dtypes: try dtypeFlags.resolved())
            return try resolved.run()
        }
        guard let stage = emit.stage else { return try emitWithBackend(source, named: emit.name) }
        switch stage {
        case .ast: try emitAST(source)
        case .tileIR: try emitTileIR(source)
        case .bytecode: try emitBytecode(source)
        case .llvm: try emitLLVM(source)
        case .obj: try emitObject(source)
        }
    }

    private func emitAST(_ source: SourceFile) throws {
        let result = Driver.runFrontEnd(source, dtypes: try dtypeFlags.resolved())
        printError(result.renderedDiagnostics(showIDs: showIDs), terminator: "")
        if result.hasErrors { throw ExitCode(1) }
        let options = CompileOptions(dims: try dimFlags())
        let (bound, bindDiagnostics) = Driver.bindDims(result, options: options)
        if !bindDiagnostics.diagnostics.isEmpty {
            printError(DiagnosticRenderer(showIDs: showIDs).render(bindDiagnostics.sorted(), in: source), terminator: "")
        }
        if bindDiagnostics.hasErrors { throw ExitCode(1) }
        try writeOutput(Driver.dumpAST(result, bound: bound), to: output)
    }

    /// The whole pipeline through `Driver.compile`; kernel-source diagnostics, then IR dumps, timings and
    /// IR diagnostics on standard error; the final IR (with line:col in its locations) on stdout or -o.
    private func emitTileIR(_ source: SourceFile) throws {
        let compilation = Driver.compile(source, dims: try dimFlags(), options: pipeline.options(target: pipeline.target ?? "trn1"),
                                         dtypes: try dtypeFlags.resolved())
        printError(DiagnosticRenderer(showIDs: showIDs).render(compilation.diagnostics.sorted(), in: source), terminator: "")
        guard let run = compilation.pipeline else { throw ExitCode(1) }
        if !run.irDumps.isEmpty { printError(run.irDumps, terminator: "") }
        if let timing = run.timingReport { printError(timing, terminator: "") }
        if let usage = run.usageError {
            printError("kiln: error: \(usage.message)" + (showIDs ? " [\(usage.id.code)]" : ""))
            throw ExitCode(1)
        }
        printError(Driver.renderIRDiagnostics(run.diagnostics, kernelSource: source,
                                              irText: nil, module: nil, showIDs: showIDs), terminator: "")
        guard let module = run.module, !run.hasErrors else { throw ExitCode(1) }
        try writeOutput(Driver.printIR(module, kernelSource: source), to: output)
    }

    /// The whole pipeline through `Driver.compileToBytecode`, then the encoded program written atomically to -o.
    private func emitBytecode(_ source: SourceFile) throws {
        guard let output else { throw ValidationError("--emit bytecode writes a binary file; give -o FILE.kbc") }
        let options = pipeline.options(target: pipeline.target ?? "trn1")
        let compiled = Driver.compileToBytecode(source, dims: try dimFlags(), options: options, dtypes: try dtypeFlags.resolved())
        if let run = compiled.compilation.pipeline {
            if !run.irDumps.isEmpty { printError(run.irDumps, terminator: "") }
            if let timing = run.timingReport { printError(timing, terminator: "") }
        }
        printError(compiled.renderedDiagnostics(showIDs: showIDs), terminator: "")
        guard let bytes = compiled.bytes else { throw ExitCode(1) }
        try writeOutput(bytes: bytes, to: output)
    }
}
