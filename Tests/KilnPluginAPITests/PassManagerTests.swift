// PassManagerTests.swift: the registry, pipeline strings, and the pass manager's options.

import KilnMachine
import KilnPluginAPI
import KilnSource
import KilnTileIR
import Testing

/// A pass that renames every function: observable, harmless.
private struct RenamePass: Pass {
    let name: String
    let summary = "append the pass name to every function name"
    func run(on module: inout Module, context: inout PassContext) throws {
        for index in module.functions.indices { module.functions[index].name += "_" + name.replacingDashes() }
    }
}

/// A pass that leaves invalid IR behind (drops every `return`).
private struct BreakReturnsPass: Pass {
    let name = "break-returns"
    let summary = "remove returns"
    func run(on module: inout Module, context: inout PassContext) throws {
        for index in module.functions.indices {
            module.functions[index].body.ops.removeAll { if case .ret = $0.kind { return true } else { return false } }
        }
    }
}

/// A pass that reports an error at the first op of each function.
private struct ComplainPass: Pass {
    let name = "complain"
    let summary = "report an error"
    func run(on module: inout Module, context: inout PassContext) throws {
        if let op = module.functions.first?.body.ops.first {
            let target = context.target.name
            context.report(at: op) { DiagnosticCatalogue.unsupportedOnTarget("this kernel", target: target, at: $0) }
        }
    }
}

private struct ThrowingPass: Pass {
    let name = "explode"
    let summary = "throw"
    func run(on module: inout Module, context: inout PassContext) throws {
        throw PassFailure(pass: name, reason: "nothing to do")
    }
}

private extension String {
    func replacingDashes() -> String { String(map { $0 == "-" ? "_" : $0 }) }
}

private func makeRegistry() throws -> PassRegistry {
    let registry = PassRegistry()
    for name in ["canonicalize", "cse", "dce", "double-buffer"] { try registry.register(RenamePass(name: name)) }
    try registry.register(BreakReturnsPass(), origin: .plugin(path: "/opt/plugins/libbreak.so"))
    try registry.register(ComplainPass())
    try registry.register(ThrowingPass())
    return registry
}

private func sampleModule() throws -> Module {
    let text = "kiln.module target \"trn1\" source \"k.kiln\" {\n  func @k(%x: f32[4]) -> (%y: f32[4]) {\n    %0 = exp %x : f32[4] loc(5:9)\n    return %0\n  }\n}\n"
    return try #require(TileIR.parse(text).module)
}

@Test func registryChecksNamesAndClashes() throws {
    let registry = try makeRegistry()
    #expect(throws: PassRegistrationError.nameClash(name: "cse", existing: .builtIn, new: .plugin(path: "x.so"))) {
        try registry.register(RenamePass(name: "cse"), origin: .plugin(path: "x.so"))
    }
    for bad in ["CSE", "double_buffer", "-x", "x-", "a--b", "", "9x"] {
        #expect(throws: PassRegistrationError.invalidName(bad)) { try registry.register(RenamePass(name: bad)) }
    }
    #expect(PassRegistry.isValidName("tile2-x"))
    #expect(registry.names == ["break-returns", "canonicalize", "complain", "cse", "dce", "double-buffer", "explode"])
    let listing = registry.listing()
    #expect(listing.contains("break-returns  /opt/plugins/libbreak.so  remove returns\n"))
    #expect(listing.contains("cse            built-in                  append the pass name to every function name\n"))
}

@Test func pipelineStringsParse() throws {
    let registry = try makeRegistry()
    #expect(try PassPipeline.parse("cse,dce", registry: registry).names == ["cse", "dce"])
    #expect(try PassPipeline.parse(" cse , dce ,cse", registry: registry).names == ["cse", "dce", "cse"])
    #expect(try PassPipeline.parse("", registry: registry).names == [])
    #expect(throws: PassPipelineError.emptyEntry(position: 2, pipeline: "cse,,dce")) {
        try PassPipeline.parse("cse,,dce", registry: registry)
    }
}

@Test func unknownPassesListCloseMatches() throws {
    let registry = try makeRegistry()
    do {
        _ = try PassPipeline.parse("csee,double-bufer,frobnicate", registry: registry)
        Issue.record("an unknown pass must be an error")
    } catch {
        #expect(error.description == """
            unknown pass 'csee'; did you mean 'cse'?
            unknown pass 'double-bufer'; did you mean 'double-buffer'?
            unknown pass 'frobnicate'
            registered passes: break-returns, canonicalize, complain, cse, dce, double-buffer, explode
            """)
    }
}

@Test func managerRunsPassesInOrderAndPrintsAfterRequestedPasses() throws {
    let registry = try makeRegistry()
    var module = try sampleModule()
    let manager = PassManager(registry: registry, target: .trn1,
                              options: PassManagerOptions(printAfter: ["dce"], timePasses: true))
    let report = try manager.run("cse,dce", on: &module)
    #expect(report.succeeded)
    #expect(report.completedPasses == ["cse", "dce"])
    #expect(module.functions[0].name == "k_cse_dce")
    #expect(report.irDumps.hasPrefix("// -----// IR Dump After dce //----- //\nkiln.module target \"trn1\" source \"k.kiln\" {\n  func @k_cse_dce("))
    // The verifier, which runs after every pass by default, is timed as one more row.
    #expect(report.timings.map(\.pass) == ["cse", "dce", "(verify)"])
    let table = report.timingReport()
    #expect(table.hasPrefix("===-- pass execution timing --===\n"))
    #expect(table.contains("%  cse\n") && table.hasSuffix("ms  total\n"))
}

@Test func printIRAfterAllDumpsEveryPass() throws {
    var module = try sampleModule()
    let manager = PassManager(registry: try makeRegistry(), target: .trn2, options: PassManagerOptions(printIRAfterAll: true))
    let report = try manager.run("cse,canonicalize", on: &module)
    #expect(report.irDumps.split(separator: "\n").filter { $0.hasPrefix("// -----// IR Dump After") }.count == 2)
    #expect(report.timings.isEmpty)
}

@Test func verifyEachStopsAtThePassThatBrokeTheIR() throws {
    var module = try sampleModule()
    let manager = PassManager(registry: try makeRegistry(), target: .trn1, options: PassManagerOptions(verifyEach: true))
    let report = try manager.run("cse,break-returns,dce", on: &module)
    #expect(!report.succeeded)
    #expect(report.failedPass == "break-returns")
    #expect(report.completedPasses == ["cse"])
    #expect(report.diagnostics.map(\.id.code) == ["K3206", "K3401"])
    #expect(report.diagnostics.last?.message == "the IR is invalid after pass 'break-returns' (1 verifier error)")
}

@Test func passDiagnosticsAndFailuresStopThePipeline() throws {
    let registry = try makeRegistry()
    var module = try sampleModule()
    let complained = try PassManager(registry: registry, target: .trn1).run("complain,cse", on: &module)
    #expect(complained.failedPass == "complain")
    #expect(complained.diagnostics.first?.span == SourceSpan(file: "k.kiln", start: 5, end: 9))
    let exploded = try PassManager(registry: registry, target: .trn1).run("explode,cse", on: &module)
    #expect(exploded.failedPass == "explode")
    #expect(exploded.diagnostics.first?.message == "pass 'explode' failed: nothing to do")
}

@Test func unknownPrintAfterNamesAreErrors() throws {
    var module = try sampleModule()
    let manager = PassManager(registry: try makeRegistry(), target: .trn1, options: PassManagerOptions(printAfter: ["dcee"]))
    #expect(throws: PassPipelineError.self) { try manager.run("dce", on: &module) }
}

@Test(arguments: [MachineTarget.trn1, MachineTarget.trn2])
func defaultPipelineLowersInOrder(target: MachineTarget) {
    let names = PassPipeline.defaultPipeline(for: target).split(separator: ",").map(String.init)
    // Every stage of lowering is there, in the order the IR levels require.
    let order = ["inline", "fuse", "tile", "assign-engines", "double-buffer", "allocate", "schedule"]
    let positions = order.map { names.firstIndex(of: $0) }
    #expect(positions.allSatisfy { $0 != nil }, "missing from \(names)")
    let found = positions.compactMap { $0 }
    #expect(found == found.sorted(), "out of order: \(names)")
    #expect(names.last == "schedule")
    #expect(names.allSatisfy { !$0.isEmpty && $0 == $0.lowercased() && !$0.contains(" ") })
}
