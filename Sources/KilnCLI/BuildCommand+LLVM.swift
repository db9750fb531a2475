// BuildCommand+LLVM.swift: `kiln build --emit llvm|obj`: LLVM IR text, or an object file with its C header.

import ArgumentParser
import Foundation
import KilnDriver
import KilnSource

/// The llvm backend's code generation flags (`kiln build`, `kiln bench`).
struct LLVMFlags: ParsableArguments {
    @Option(help: "llvm/obj: the CPU to generate code for, e.g. x86-64-v3 or znver3 (default: the host's, with its features).")
    var cpu: String?

    @Flag(name: .customLong("no-llvm-opt"), help: "llvm/obj: skip LLVM's default<O3> (the IR as Kiln lowers it).")
    var noOptimise = false
}

extension BuildCommand {
    /// The llvm backend's options: the pipeline flags (default pipeline: tile-level, placed IR) and --cpu.
    private func llvmOptions() -> LLVMCompileOptions {
        LLVMCompileOptions(pipeline: pipeline.options(target: pipeline.target ?? "trn1"), cpu: llvmFlags.cpu,
                           optimise: !llvmFlags.noOptimise)
    }

    /// Prints what the pass pipeline was asked to dump and time, then every diagnostic of the compile.
    private func report(_ compiled: LLVMCompilation) {
        if let run = compiled.compilation.pipeline {
            if !run.irDumps.isEmpty { printError(run.irDumps, terminator: "") }
            if let timing = run.timingReport { printError(timing, terminator: "") }
        }
        printError(compiled.renderedDiagnostics(showIDs: showIDs), terminator: "")
    }

    /// `--emit llvm`: the optimised LLVM IR (what `opt-19 -passes=verify` and `llc-19` accept) on stdout or -o.
    func emitLLVM(_ source: SourceFile) throws {
        let (text, compiled) = Driver.emitLLVMIR(source, dims: try dimFlags(), options: llvmOptions(), dtypes: try dtypeFlags.resolved())
        report(compiled)
        guard let text else { throw ExitCode(1) }
        try writeOutput(text, to: output)
    }

    /// `--emit obj -o F.o`: the object file, and `F.h` next to it declaring `kiln_NAME` and `kiln_NAME_packed`
    /// for every function (each written atomically; the header only once the object is written).
    func emitObject(_ source: SourceFile) throws {
        guard let output else { throw ValidationError("--emit obj writes a binary file; give -o FILE.o (the header goes to FILE.h)") }
        let url = URL(fileURLWithPath: output)
        let stem = url.deletingPathExtension().lastPathComponent
        let headerPath = url.deletingPathExtension().appendingPathExtension("h").path
        guard headerPath != url.path else { throw ValidationError("-o '\(output)' would be overwritten by its own header; name it FILE.o") }
        let (artifact, compiled) = Driver.emitLLVMObject(source, dims: try dimFlags(), options: llvmOptions(), headerName: stem,
                                                         dtypes: try dtypeFlags.resolved())
        report(compiled)
        guard let artifact else { throw ExitCode(1) }
        try writeOutput(bytes: artifact.object, to: output)
        try writeOutput(artifact.header, to: headerPath)
    }
}
