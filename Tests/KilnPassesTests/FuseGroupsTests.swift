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

@Test func tileWithoutFuseReportsValuesThatCrossLoopNests() throws {
    let (_, report) = try runPipeline("tile", on: softmaxText)
    #expect(!report.succeeded)
    #expect(report.diagnostics.contains { $0.diagnostic.id.code == "K3602" && $0.origin == .kernelSource })
}

@Test func unsupportedShapesAreReportedAtTheKernelSpan() throws {
    // A reduction across rows (axis 0) and a free axis too large for SBUF.
    let text = kernelModule("(%x: hbm f32[256, 64], %w: hbm f32[128, 60000]) -> (%o: hbm f32[1, 64], %p: hbm f32[128, 60000])", """
            %s = reduce sum %x axis 0 : f32[1, 64] loc(5:9)
            %e = exp %w : f32[128, 60000] loc(20:30)
            return %s, %e
        """)
    let (_, report) = try runPipeline("fuse,tile", on: text)
    let found = report.diagnostics.map { "\($0.diagnostic.id.code)@\($0.diagnostic.span.start)" }
    #expect(found.sorted() == ["K3601@5", "K3603@20"])
}
