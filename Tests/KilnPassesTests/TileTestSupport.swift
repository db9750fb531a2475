// TileTestSupport.swift: helpers for the `fuse` / `tile` tests: parse a module, run a pipeline, verify on both targets.

import KilnMachine
import KilnPasses
import KilnPluginAPI
import KilnSource
import KilnTileIR
import Testing

/// A module of one kernel at the tensor level, written as the lowering produces it.
func kernelModule(_ signature: String, _ body: String, target: String = "trn1") -> String {
    "kiln.module target \"\(target)\" {\n  func @k\(signature) {\n\(body)\n  }\n}\n"
}

/// Parses `text`, runs `pipeline` on `target`, and returns the module and the run's report.
func runPipeline(_ pipeline: String, on text: String, target: MachineTarget = .trn1) throws -> (Module, PassRunReport) {
    let parsed = TileIR.parse(SourceFile(path: "t.tir", text: text))
    #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics.map(\.message))")
    var module = try #require(parsed.module)
    module.target = target.name
    let manager = PassManager(registry: BuiltinPasses.makeRegistry(), target: target,
                              options: PassManagerOptions(verifyEach: true))
    let report = try manager.run(pipeline, on: &module)
    return (module, report)
}

/// Runs `fuse,tile` and checks the output verifies and round-trips through text; returns the module.
func tiledModule(_ text: String, target: MachineTarget = .trn1, pipeline: String = "fuse,tile",
                 sourceLocation: SourceLocation = #_sourceLocation) throws -> Module {
    let (module, report) = try runPipeline(pipeline, on: text, target: target)
    #expect(report.succeeded, "\(report.diagnostics.map(\.message))", sourceLocation: sourceLocation)
    #expect(TileIR.verify(module, target: target).isEmpty,
            "\(TileIR.verify(module, target: target).map(\.message))", sourceLocation: sourceLocation)
    let printed = TileIR.print(module)
    let reparsed = TileIR.parse(SourceFile(path: "out.tir", text: printed))
    #expect(reparsed.module.map { TileIR.print($0) } == printed, sourceLocation: sourceLocation)
    return module
}

/// Every op of a block, loop bodies included, in text order.
func allOps(_ module: Module) -> [Operation] {
    var ops: [Operation] = []
    module.functions[0].body.walk { ops.append($0) }
    return ops
}

func opcodes(_ module: Module) -> [String] { allOps(module).map(\.opcode).filter { $0 != "alloc" } }

/// The top-level loops of the kernel as (upper bound, step).
func loops(_ block: Block) -> [ForLoop] {
    block.ops.compactMap { if case .forLoop(let loop) = $0.kind { loop } else { nil } }
}
