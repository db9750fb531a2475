// InterpTestSupport.swift: compiling Kiln source in tests and running it on the reference interpreter.

import Foundation
import KilnInterp
import KilnMachine
import KilnNumerics
import KilnSema
import KilnSource
import KilnSyntax
import Testing

enum InterpTest {
    static let examplesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Examples")

    static var examples: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: examplesDirectory.path)) ?? [])
            .filter { $0.hasSuffix(".kiln") }.sorted()
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Parses and checks `text`; throws with the rendered diagnostics on an error.
    static func check(_ text: String, path: String = "test.kiln") throws -> (CheckedProgram, SourceFile) {
        let source = SourceFile(path: path, bytes: Array(text.utf8))
        var (syntax, diagnostics) = Parser.parse(source: source)
        let (program, semaDiagnostics) = Sema.check(syntax, source: source)
        diagnostics.append(contentsOf: semaDiagnostics)
        if diagnostics.hasErrors {
            throw Failure(description: DiagnosticRenderer(showIDs: true).render(diagnostics.sorted(), in: source))
        }
        return (program, source)
    }

    /// Runs the first (or named) kernel of `text` with the given inputs, dims and options; returns
    /// the results by name, or throws with the rendered diagnostics.
    static func run(_ text: String, kernel name: String? = nil, dims: [String: Int] = [:],
                    inputs: [String: Tensor] = [:], options: RunInputOptions = RunInputOptions(),
                    path: String = "test.kiln") throws -> [String: Tensor] {
        let (program, source) = try check(text, path: path)
        let chosen = name.map { program.kernel(named: $0) } ?? program.kernels.first
        guard let kernel = chosen else {
            throw Failure(description: "no kernel")
        }
        let render = { (bag: DiagnosticBag) in DiagnosticRenderer(showIDs: true).render(bag.sorted(), in: source) }
        let binding = InputBinding(kernel: kernel, options: options)
        let (arrays, shapes, readDiagnostics) = binding.readFiles()
        if readDiagnostics.hasErrors { throw Failure(description: render(readDiagnostics)) }
        var allShapes = shapes
        for (param, tensor) in inputs { allShapes[param] = tensor.shape }
        let (bound, dimDiagnostics) = kernel.bindDims(dims, inputShapes: allShapes)
        guard let bound else { throw Failure(description: render(dimDiagnostics)) }
        var withGiven = options
        if !inputs.isEmpty && withGiven.randomSeed == nil { withGiven.randomSeed = 0 }
        let (bindInputs, bindDiagnostics) = InputBinding(kernel: kernel, options: withGiven).bind(dims: bound, arrays: arrays)
        guard var all = bindInputs else { throw Failure(description: render(bindDiagnostics)) }
        for (param, tensor) in inputs { all[param] = tensor }
        do {
            let outputs = try ReferenceInterpreter(program: program).run(kernel: kernel, dims: bound, inputs: all)
            return Dictionary(uniqueKeysWithValues: outputs.map { ($0.name, $0.tensor) })
        } catch {
            throw Failure(description: render({ var bag = DiagnosticBag(); bag.report(error.diagnostic); return bag }()))
        }
    }

    static func tensor(_ dtype: ElementType, _ shape: [Int], _ values: [Double]) throws -> Tensor {
        try #require(Tensor(dtype: dtype, shape: shape, values: values))
    }
}
