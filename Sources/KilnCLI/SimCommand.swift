// SimCommand.swift: `kiln sim FILE.kbc`: run bytecode on the simulator for results, findings, stats and a trace.

import ArgumentParser
import Foundation
import KilnBytecode
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
                      kiln sim matmul.kbc --timing-only --stats-json stats.json --trace trace.json
            Outputs are written as DIR/NAME.npy. --trace writes Chrome Trace Event JSON (chrome://tracing, \
            Perfetto): one track per engine and DMA queue, events named by instruction and source line. \
            --timing-only skips the numerics and checks, so large shapes simulate in seconds.
            """
    )

    @Argument(help: "The bytecode file (*.kbc).")
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

    func run() throws {
        let program = try loadBytecode(file)
        var tensors: [String: Tensor] = [:]
        for input in inputs {
            guard tensors[input.name] == nil else { throw ValidationError("--input \(input.name) is given more than once") }
            let dtype = program.tensors.first { $0.name == input.name }?.dtype ?? .f32
            do {
                tensors[input.name] = try Self.tensor(from: NpyFile.read(path: input.value), dtype: dtype, path: input.value)
            } catch {
                printError("kiln: error: \(error)")
                throw ExitCode(1)
            }
        }
        let options = SimulationOptions(timingOnly: timingOnly, recordTrace: trace != nil)
        let result: SimulationResult
        do {
            result = try Simulator.run(program, inputs: tensors, random: random, options: options)
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
            for (name, tensor) in result.outputs {
                let path = URL(fileURLWithPath: outputDir).appendingPathComponent("\(name).npy").path
                do {
                    try NpyFile.write(NpyArray(tensor), path: path)
                } catch {
                    printError("kiln: error: \(error)")
                    throw ExitCode(1)
                }
            }
        } else if !timingOnly && !stats {
            for (name, tensor) in result.outputs { try writeOutput("\(name): \(tensor)\n", to: nil) }
        }
    }

    /// An input array as a tensor of the input's dtype: raw 16/8-bit patterns (`<u2`, `|u1`) are bf16/f16/fp8
    /// bits; float and integer arrays are converted by value (rounded to nearest even).
    static func tensor(from array: NpyArray, dtype: ElementType, path: String) throws -> Tensor {
        let rawBits = array.encoding == .bits16 ? 2 : array.encoding == .bits8 ? 1 : nil
        if let rawBits, !(dtype.isFloat && dtype.byteSize == rawBits) {
            throw NpyError(path: path, "raw \(rawBits * 8)-bit data ('\(array.encoding.descr)') cannot be a \(dtype) input")
        }
        let values: [Double] = (0..<array.count).map { index in
            let bits = array.rawElement(index)
            switch array.encoding {
            case .bits16, .bits8: return dtype.value(fromBits: bits)
            case .float32: return ElementType.f32.value(fromBits: bits)
            case .float16: return ElementType.f16.value(fromBits: bits)
            case .float64: return Double(bitPattern: bits)
            case .int32: return ElementType.i32.value(fromBits: bits)
            case .int64: return Double(Int64(bitPattern: bits))
            case .bool: return bits == 0 ? 0 : 1
            }
        }
        guard let tensor = Tensor(dtype: dtype, shape: array.shape, values: values) else {
            throw NpyError(path: path, "shape \(array.shape) does not match its data")
        }
        return tensor
    }
}
