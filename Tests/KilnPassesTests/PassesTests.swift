// PassesTests.swift: `cse` and `dce` on tile IR text, alone and as a pipeline through the pass manager.

import KilnMachine
import KilnPasses
import KilnPluginAPI
import KilnSource
import KilnTileIR
import Testing

/// IR text in, one pipeline, IR text out (verified before and after).
private func run(_ pipeline: String, on body: String, signature: String = "(%x: f32[4, 4]) -> (%y: f32[4, 4])") throws -> String {
    let text = "kiln.module target \"trn1\" {\n  func @f\(signature) {\n\(body)\n  }\n}\n"
    let parsed = TileIR.parse(SourceFile(path: "t.tir", text: text))
    #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics.map(\.message))")
    var module = try #require(parsed.module)
    let manager = PassManager(registry: BuiltinPasses.makeRegistry(), target: .trn1,
                              options: PassManagerOptions(verifyEach: true))
    let report = try manager.run(pipeline, on: &module)
    #expect(report.succeeded, "\(report.diagnostics.map(\.message))")
    let printed = TileIR.print(module)
    let header = "kiln.module target \"trn1\" {\n  func @f\(signature) {\n"
    return String(printed.dropFirst(header.count).dropLast("  }\n}\n".count))
}

@Test func builtinPassesAreRegisteredWithValidNames() throws {
    let registry = PassRegistry()
    try BuiltinPasses.register(into: registry)
    // Every built-in pass is registered once, by a valid kebab-case name, as built-in.
    #expect(registry.names.count == BuiltinPasses.all.count)
    for pass in BuiltinPasses.all {
        #expect(PassRegistry.isValidName(pass.name), "\(pass.name)")
        #expect(registry.entry(named: pass.name)?.origin == .builtIn, "\(pass.name)")
        #expect(registry.listing().contains("\(pass.name)"))
    }
    // Every name each target's default pipeline uses resolves.
    for target in [MachineTarget.trn1, .trn2] {
        let pipeline = PassPipeline.defaultPipeline(for: target)
        let parsed = try PassPipeline.parse(pipeline, registry: registry)
        #expect(parsed.names == pipeline.split(separator: ",").map(String.init))
    }
}

@Test func cseMergesEqualPureOps() throws {
    let out = try run("cse", on: """
        %a = exp %x : f32[4, 4]
        %b = exp %x : f32[4, 4]
        %c = add %a, %b : f32[4, 4]
        %d = add %b, %a : f32[4, 4]
        %e = sub %c, %d : f32[4, 4]
        %f = sub %d, %c : f32[4, 4]
        %g = constant 1.0 : f32[4, 4]
        %h = constant 1.0 : f32[4, 4]
        %i = constant 1.0 : f32
        %r = mul %e, %f : f32[4, 4]
        return %r
        """)
    #expect(out == """
            %a = exp %x : f32[4, 4]
            %c = add %a, %a : f32[4, 4]
            %e = sub %c, %c : f32[4, 4]
            %g = constant 1.0 : f32[4, 4]
            %i = constant 1.0 : f32
            %r = mul %e, %e : f32[4, 4]
            return %r

        """)
}

@Test func cseDoesNotMergeTilesOrReuseLoopValuesAfterTheLoop() throws {
    let body = """
        %a = exp %x : f32[4, 4]
        for %i = 0 to 2 {
          %b = exp %x : f32[4, 4]
          %c = log %x : f32[4, 4]
          %t = alloc sbuf f32[4 | 4]
          %u = alloc sbuf f32[4 | 4]
          dve.copy %t -> %u
          dve.copy %t -> %u
        }
        %d = log %x : f32[4, 4]
        return %d
        """
    let out = try run("cse", on: body)
    #expect(!out.contains("%b = exp"))
    #expect(out.contains("%c = log") && out.contains("%d = log"))
    #expect(out.contains("%u = alloc") && out.components(of: "dve.copy") == 2)
}

@Test func dceRemovesUnreadValuesTilesAndEmptyLoops() throws {
    let out = try run("dce", on: """
        %unused = exp %x : f32[4, 4]
        %chain = log %unused : f32[4, 4]
        %kept = exp %x : f32[4, 4]
        for %i = 0 to 2 {
          %scratch = alloc sbuf f32[4 | 4]
          %other = alloc sbuf f32[4 | 4]
          dve.copy %other -> %scratch
          act.activate exp %scratch -> %scratch
          sync.signal sem 0 on dve
        }
        for %j = 0 to 2 {
          %lonely = alloc sbuf f32[4 | 4]
          pool.iota base 0 partition_step 1 free_step 1 -> %lonely
        }
        return %kept
        """)
    #expect(out == """
            %kept = exp %x : f32[4, 4]
            for %i = 0 to 2 {
              sync.signal sem 0 on dve
            }
            return %kept

        """)
}

@Test func dceKeepsTilesThatReachHBM() throws {
    let body = """
        for %m = 0 to 2 {
          %acc = alloc psum f32[2 | 4]
          %s = alloc sbuf f32[4 | 2]
          %v = alloc sbuf f32[4 | 4]
          dma.load %x[%m * 4, 0] -> %s
          pe.matmul %s, %v -> %acc start(%m == 0) stop(%m == 1)
          %res = alloc sbuf f32[2 | 4]
          dve.copy %acc -> %res
          dma.store %res -> %y[%m * 2, 0]
          %dead = alloc psum f32[2 | 4]
          pe.matmul %s, %v -> %dead start(%m == 0)
        }
        return
        """
    let out = try run("dce", on: body, signature: "(%x: hbm f32[8, 2]) -> (%y: hbm f32[4, 4])")
    #expect(out.contains("pe.matmul %s, %v -> %acc start(%m == 0) stop(%m == 1)"))
    #expect(out.contains("dma.store %res -> %y[%m * 2, 0]"))
    #expect(!out.contains("%dead"))
}

@Test func defaultPipelineRunsEndToEnd() throws {
    let out = try run(PassPipeline.defaultPipeline(for: .trn1), on: """
        %a = exp %x : f32[4, 4]
        %b = exp %x : f32[4, 4]
        %c = add %a, %b : f32[4, 4]
        %unused = mul %a, %b : f32[4, 4]
        return %c
        """)
    #expect(out == "    %a = exp %x : f32[4, 4]\n    %c = add %a, %a : f32[4, 4]\n    return %c\n")
}

private extension String {
    func components(of needle: String) -> Int {
        split(separator: "\n").filter { $0.contains(needle) }.count
    }
}
