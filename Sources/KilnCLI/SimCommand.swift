// SimCommand.swift: `kiln sim FILE.kbc`: run bytecode on the simulator for results, findings, stats and a trace.

import ArgumentParser
import Foundation
import KilnBytecode
import KilnDriver
import KilnInterp
import KilnMachine
import KilnNpy
import KilnNumerics
import KilnSim

struct SimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run a bytecode file on the simulator: outputs, race and memory checks, time.",
        discussion: """
            Examples: kiln sim softmax.kbc --input x=x.npy --output-dir out/ --stats
                      kiln sim scheduled.tir --random 1      (tile IR, placed and scheduled, straight to the simulator)
                      kiln sim matmul.kbc --timing-only --stats-json stats.json --trace trace.json
            Outputs are written as DIR/NAME.npy. --trace writes Chrome Trace Event JSON (chrome://tracing, \
            Perfetto): one track per engine and DMA queue, events named by instruction and source line. \
            --timing-only skips the numerics and checks, so large shapes simulate in seconds.
            """
    )

    @Argument(help: "The bytecode file (*.kbc), or a placed tile IR file (*.tir) to compile first.")
    var file: String

    @Option(name: .customLong("input"), help: ArgumentHelp("An input's value from a .npy file (repeatable).", valueName: "NAME=FILE.npy"))
    var inputs: [NamedArgument] = []

    @Option(help: ArgumentHelp("Generate every input not given from this seed.", valueName: "SEED"))
    var random: UInt64?

    @Option(help: "Write each output as DIR/NAME.npy.")
    var outputDir: String?

    @Flag(help: "Print time, per-engine busy time and utilization, HFU, MFU and MBU.")
    var stats = false

    @Option(help: ArgumentHelp("Write the stats as JSON here.", valueName: "PATH"))
    var statsJson: String?

    @Option(help: ArgumentHelp("Write a Chrome Trace Event JSON timeline here.", valueName: "PATH"))
    var trace: String?

    @Flag(help: "Simulate time only: no numerics, no outputs, no memory checks.")
    var timingOnly = false

    @Flag(name: .customLong("strict-dtypes"), help: "An input array's dtype must be exactly its input's (no rounding).")
    var strictDTypes = false

    @Option(help: "For a .tir file: the passes to run before the sim backend (default: none; the IR must be placed).")
    var passes: String?

    @Option(help: "For a .tir file: the target (default: the module's own).")
    var target: String?

    func run() throws {
        let program = file.hasSuffix(".tir") ? try compileIR(file) : try loadBytecode(file)
        var tensors: [String: PackedTensor] = [:]
        for input in inputs {
            guard tensors[input.name] == nil else { throw ValidationError("--input \(input.name) is given more than once") }
            guard let entry = program.tensors.first(where: { $0.name == input.name && $0.role == .input }) else {
                let known = program.tensors.filter { $0.role == .input }.map(\.name).joined(separator: ", ")
                printError("kiln: error: the kernel has no input '\(input.name)'; its inputs are: \(known)")
                throw ExitCode(1)
            }
            let array: NpyArray
            do {
                array = try NpyFile.read(path: input.value)
            } catch {
                printError("kiln: error: \(error)")
                throw ExitCode(1)
            }
            // The same dtype rules as `kiln run` (KilnInterp.ArrayConversion): exact dtypes bit for bit, raw
            // 16/8-bit arrays as bit patterns, other floats rounded with a note, --strict-dtypes refuses them.
            let conversion = ArrayConversion(parameter: input.name, dtype: entry.dtype, strict: strictDTypes, span: .unknown)
            switch conversion.packed(from: array) {
            case .success(let (tensor, note)):
                if let note { printError("\(input.value): \(note.severity): \(note.message) [\(note.id.code)]") }
                tensors[input.name] = tensor
            case .failure(let error):
                printError("\(input.value): error: \(error.diagnostic.message) [\(error.diagnostic.id.code)]")
                throw ExitCode(1)
            }
        }
        let options = SimulationOptions(timingOnly: timingOnly, recordTrace: trace != nil)
        let result: SimulationResult
        do {
            result = try Simulator.run(program, packedInputs: tensors, random: random, options: options)
        } catch {
            for diagnostic in error.diagnostics { printError("\(file): error: \(diagnostic.message) [\(diagnostic.id.code)]") }
            throw ExitCode(1)
        }
        for finding in result.findings { printError(finding.rendered()) }
        if stats { try writeOutput(result.stats.table(), to: nil) }
        if let statsJson { try writeOutput(result.stats.json(), to: statsJson) }
        if let trace { try writeOutput(result.traceJSON(), to: trace) }
        if result.hasErrors { throw ExitCode(1) }
        if let outputDir {
            do {
                try Driver.writeArrays(result.packedOutputs.map { (name: $0.name, array: NpyArray($0.tensor)) }, to: outputDir)
            } catch {
                printError("kiln: error: \(error)")
                throw ExitCode(1)
            }
        } else if !timingOnly && !stats {
            for (name, tensor) in result.outputs { try writeOutput("\(name): \(tensor)\n", to: nil) }
        }
    }

    /// A `.tir` file straight to bytecode (`Driver.compileIRToBytecode`): how hand-written, scheduled IR is
    /// simulated without a kernel source (e.g. to show the race checker a missing semaphore).
    private func compileIR(_ path: String) throws -> BytecodeProgram {
        guard case .loaded(let irText) = load(path) else { throw ExitCode(1) }
        let compiled = Driver.compileIRToBytecode(irText, target: target, options: PipelineOptions(target: target ?? "", passes: passes ?? ""))
        printError(compiled.renderedDiagnostics(irText: irText), terminator: "")
        guard let program = compiled.program else { throw ExitCode(1) }
        return program
    }
}
