// ScheduleAndRemainderTests.swift: a function's schedule hints and the `rem` operator print, parse back and verify.

import KilnMachine
import KilnSource
import KilnTileIR
import Testing

@Test func scheduleHintsPrintSortedAfterTheSignatureAndParseBack() throws {
    var function = Function(name: "k", span: SourceSpan(file: "k.kiln", start: 0, end: 4))
    let x = function.addParameter(.hbm(TensorType(.f32, [4])), name: "x")
    _ = function.addOutput(.hbm(TensorType(.f32, [4])), name: "out")
    function.schedule = ["tile_n": 512, "bufs": 2, "tile_k": 128]
    let r = function.makeValue(.tensor(TensorType(.f32, [4])), name: "r")
    function.body = Block([Operation(.binary(.rem, x.id, x.id), result: r), Operation(.ret([r.id]))])
    let printed = TileIR.print(Module(target: "trn1", functions: [function]))
    #expect(printed.contains("-> (%out: hbm f32[4]) schedule(bufs = 2, tile_k = 128, tile_n = 512) loc(0:4) {"))
    #expect(printed.contains("%r = rem %x, %x : f32[4]"))
    let parsed = TileIR.parse(printed)
    #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics.map(\.message))")
    let module = try #require(parsed.module)
    #expect(module.functions.first?.schedule == ["tile_n": 512, "bufs": 2, "tile_k": 128])
    #expect(TileIR.print(module) == printed)
    #expect(TileIR.verify(module).isEmpty)
}

@Test func functionsWithoutHintsPrintNoSchedule() {
    var function = Function(name: "k")
    let x = function.addParameter(.hbm(TensorType(.f32, [4])), name: "x")
    _ = function.addOutput(.hbm(TensorType(.f32, [4])), name: "out")
    function.body = Block([Operation(.ret([x.id]))])
    #expect(!TileIR.print(Module(target: "trn1", functions: [function])).contains("schedule"))
}

@Test(arguments: [
    ("schedule(tile_n = 0)", "dimensions must be positive"),
    ("schedule(tile_n = 128, tile_n = 256)", "a schedule hint not given before"),
    ("schedule(tile_n 128)", "expected '='"),
    ("schedule()", "a schedule hint name"),
])
func malformedScheduleHintsAreLocatedErrors(hints: String, message: String) {
    let text = """
        kiln.module target "trn1" {
          func @k(%x: hbm f32[4]) -> (%out: hbm f32[4]) \(hints) {
            return %x
          }
        }
        """
    let parsed = TileIR.parse(text, path: "k.tir")
    #expect(parsed.module == nil)
    #expect(parsed.diagnostics.contains { $0.message.contains(message) }, "\(parsed.diagnostics.map(\.message))")
}
