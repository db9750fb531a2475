// FuseGroupsTests.swift: the `fuse` pass: which ops share a group, and the diagnostics `tile` gives without it.

import KilnMachine
@testable import KilnPasses
import KilnPluginAPI
import KilnSource
import KilnTileIR
import Testing

private func groups(_ module: Module) -> [String: Int?] {
    var groups: [String: Int?] = [:]
    for op in module.functions[0].body.ops { if let name = op.result?.nameHint { groups[name] = op.fusionGroup } }
    return groups
}

@Test func softmaxIsOneGroupAndGroupsPrintAndParseBack() throws {
    let (module, report) = try runPipeline("fuse", on: softmaxText)
    #expect(report.succeeded)
    #expect(Set(groups(module).values) == [0])
    let printed = TileIR.print(module)
    #expect(printed.contains("%e = exp %d : f32[256, 512] group 0 loc(62:76)"))
    #expect(TileIR.parse(printed).module.map { TileIR.print($0) } == printed)
}

@Test func matmulTakesElementwiseEpiloguesButNotReductionsOrOtherMatmuls() throws {
    let text = kernelModule("(%a: hbm bf16[128, 128], %b: hbm bf16[128, 256], %c: hbm bf16[256, 64]) -> "
        + "(%o1: hbm f32[128, 256], %o2: hbm f32[128, 1], %o3: hbm f32[128, 64])", """
            %h = matmul %a, %b : f32[128, 256]
            %g = gelu %h : f32[128, 256]
            %s = reduce sum %g axis 1 : f32[128, 1]
            %two = constant 2.0 : f32
            %k = matmul %b, %c : f32[128, 64]
            return %g, %s, %k
        """)
    let (module, report) = try runPipeline("fuse", on: text)
    #expect(report.succeeded)
    let g = groups(module)
    #expect(g["h"] == g["g"] && g["s"] != g["g"] && g["k"] != g["h"])
    #expect(g["two"] == .some(nil))
}

@Test func rowGroupsOfDifferentRowCountsStaySeparate() throws {
    let text = kernelModule("(%x: hbm f32[256, 64], %y: hbm f32[128, 64]) -> (%o1: hbm f32[256, 64], %o2: hbm f32[128, 64])", """
            %e = exp %x : f32[256, 64]
            %l = log %y : f32[128, 64]
            return %e, %l
        """)
    let (module, report) = try runPipeline("fuse", on: text)
    #expect(report.succeeded)
    #expect(groups(module)["e"] != groups(module)["l"])
}

@Test func tileWithoutFusePassesValuesBetweenLoopNestsThroughScratch() throws {
    // Without `fuse` every op is its own group: each value crossing groups gets an HBM scratch tensor.
    let module = try tiledModule(softmaxText, pipeline: "tile")
    let scratch = allOps(module).filter { $0.opcode == "hbm.alloc" }
    // %m, %mb, %d, %e, %s and %sb cross groups; %r goes to the output.
    #expect(scratch.count == 6)
    let stored = Set(allOps(module).compactMap { op -> ValueID? in
        op.kind.asStore?.hbm
    })
    #expect(scratch.allSatisfy { stored.contains($0.result!.id) })
}

@Test func fuseNeverMakesGroupsDependOnEachOtherInACycle() throws {
    // The softmax of a matmul result: the row max needs the whole matmul tile, so the ops after it cannot
    // join the matmul's epilogue (that would make matmul -> max -> epilogue -> matmul a cycle).
    let text = kernelModule("(%q: hbm bf16[128, 64], %k: hbm bf16[64, 256]) -> (%o: hbm f32[128, 256])", """
            %s = matmul %q, %k : f32[128, 256]
            %m = reduce max %s axis 1 : f32[128, 1]
            %mb = broadcast %m : f32[128, 256]
            %d = sub %s, %mb : f32[128, 256]
            %e = exp %d : f32[128, 256]
            return %e
        """)
    let (module, report) = try runPipeline("fuse", on: text)
    #expect(report.succeeded)
    let g = groups(module)
    #expect(g["s"] != g["m"] && g["m"] == g["d"] && g["d"] == g["e"])
    _ = try tiledModule(text)
}

@Test func unsupportedShapesAreReportedAtTheKernelSpan() throws {
    // An i32 mean over a batch axis (the checker rejects it in source; IR text can still hold one).
    let text = kernelModule("(%x: hbm i32[4, 8, 16]) -> (%o: hbm i32[1, 8, 16])", """
            %e = reduce mean %x axis 0 : i32[1, 8, 16] loc(20:30)
            return %e
        """)
    let (_, report) = try runPipeline("fuse,tile", on: text)
    let found = report.diagnostics.map { "\($0.id.code)@\($0.span.start)" }
    #expect(found == ["K3601@20"])
}

@Test func aRank3GroupRunsInABatchLoop() throws {
    let text = kernelModule("(%x: hbm f32[4, 8, 16]) -> (%o: hbm f32[4, 8, 16])", """
            %e = exp %x : f32[4, 8, 16] loc(20:30)
            return %e
        """)
    let (module, report) = try runPipeline("fuse,tile", on: text)
    #expect(report.diagnostics.isEmpty)
    let printed = TileIR.print(module)
    #expect(printed.contains("for %batch = 0 to 4 {"))
    #expect(printed.contains("dma.load %x[%batch, 0, 0]"))
    #expect(printed.contains("dma.store %x_1 -> %o[%batch, 0, 0]"))
}
