// SimExamplesTests.swift: every Examples/*.kiln through the default pipeline to bytecode, simulated with checks, vs the oracle.

import Foundation
import KilnDriver
import KilnSim
import KilnSource
import Testing

@Suite struct SimExamplesTests {
    @Test func examplesAreFound() {
        #expect(Repository.examples.count >= 18)
    }

    /// Compiles with the default trn1 pipeline (an example's `// target:` line's, Repository.target) (`compileToBytecode`), runs on the simulator with `--random`
    /// inputs and the race / uninitialised-read / out-of-bounds checks on, and compares every output with the
    /// reference interpreter within its dtype's tolerance (`Driver.verify`).
    @Test(arguments: Repository.examples)
    func exampleMatchesReferenceOnSimulator(_ url: URL) throws {
        let source = try Repository.source(url)
        let target = Repository.target(of: url)
        let compiled = Driver.compileToBytecode(source, dims: [:], options: PipelineOptions(target: target))
        #expect(compiled.program != nil, "\(url.lastPathComponent) does not compile:\n\(compiled.renderedDiagnostics())")
        let request = RunRequest(inputs: .init(randomSeed: 1), sim: SimRunOptions(target: target))
        let report = Driver.verify(source, backends: [.ref, .sim], request: request)
        #expect(report.passed, "\(url.lastPathComponent):\n\(report.renderedDiagnostics())")
        let simulation = report.runs.first { $0.backend == .sim }?.outcome.execution?.details as? SimulationResult
        #expect(simulation != nil)
        #expect(simulation?.findings.isEmpty == true,
                "\(url.lastPathComponent) findings:\n\(simulation?.findings.map { $0.rendered() }.joined(separator: "\n") ?? "")")
        #expect(report.pairs.count == 1 && report.pairs[0].outputs.count == report.runs[0].outcome.outputs?.count)
    }
}
