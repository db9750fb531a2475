// ExampleLoweringTests.swift: every example lowers, verifies on trn1 and trn2 (or its header's target), and round-trips after each pass.

import Foundation
import KilnDriver
import KilnMachine
import KilnPasses
import KilnPluginAPI
import KilnSource
import KilnTileIR
import Testing

let examplePaths: [String] = {
    let folder = repositoryRoot + "/Examples"
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    return names.filter { $0.hasSuffix(".kiln") }.sorted().map { folder + "/" + $0 }
}()

@Test func theExamplesAreFound() {
    #expect(examplePaths.count >= 18)
}

@Test(arguments: examplePaths)
func exampleLowersVerifiesAndRoundTripsThroughTheDefaultPipeline(path: String) throws {
    let source = try Driver.loadSource(path: path)
    let frontEnd = Driver.runFrontEnd(source)
    #expect(!frontEnd.hasErrors)
    let (bound, _) = Driver.bindDims(frontEnd, options: CompileOptions())
    let (lowered, diagnostics) = Driver.lower(frontEnd, bound: bound, options: PipelineOptions())
    let module = try #require(lowered, "\(diagnostics.sorted().map(\.message))")
    #expect(module.sourcePath == path)
    expectRoundTrip(module, "lowered")
    // An example whose header names a target (`// target: trn3`, the MX examples) is checked on that one.
    let header = (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n").prefix(20)
        .first { $0.hasPrefix("// target: ") }.map { String($0.dropFirst("// target: ".count)) }
    let targets = header.flatMap { MachineTarget.named($0) }.map { [$0] } ?? [MachineTarget.trn1, MachineTarget.trn2]
    for target in targets {
        let problems = TileIR.verify(module, target: target)
        #expect(problems.isEmpty, "\(target.name): \(problems.map(\.message))")
        // Each pass of the target's default pipeline, one at a time: valid IR that round-trips after each.
        let registry = BuiltinPasses.makeRegistry()
        var current = module
        let names = PassPipeline.defaultPipeline(for: target).split(separator: ",").map(String.init)
        for name in names where registry.pass(named: name) != nil {
            let manager = PassManager(registry: registry, target: target, options: PassManagerOptions(verifyEach: true))
            let report = try manager.run(name, on: &current)
            #expect(report.succeeded, "\(target.name) after \(name): \(report.diagnostics.map(\.message))")
            expectRoundTrip(current, "\(target.name) after \(name)")
        }
    }
}

@Test(arguments: examplePaths)
func exampleSurvivesInlineAndCanonicalize(path: String) throws {
    let source = try Driver.loadSource(path: path)
    let target = (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n").prefix(20)
        .first { $0.hasPrefix("// target: ") }.map { String($0.dropFirst("// target: ".count)) } ?? "trn1"
    let compilation = Driver.compile(source, dims: [:], options: PipelineOptions(target: target, passes: "inline,canonicalize,cse,dce",
                                                                                 verifyEach: true))
    let run = try #require(compilation.pipeline)
    #expect(!compilation.hasErrors, "\(run.diagnostics.map(\.message))")
    let module = try #require(run.module)
    #expect(!TileIR.print(module).contains("call @"))
    #expect(module.functions.count == compilation.frontEnd.program.kernels.count)
    expectRoundTrip(module, "after inline,canonicalize,cse,dce")
}
