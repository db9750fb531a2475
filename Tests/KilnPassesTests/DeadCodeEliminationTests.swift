// DeadCodeEliminationTests.swift: the `dce` pass on hand-built modules.

import KilnMachine
import KilnPasses
import KilnPluginAPI
import KilnSource
import KilnTileIR
import Testing

@Test func dceRemovesUnreadPureOps() throws {
    var function = Function(name: "f")
    let x = function.addParameter(.hbm(TensorType(.f32, [4, 4])), name: "x")
    let type = IRType.tensor(TensorType(.f32, [4, 4]))
    let used = function.makeValue(type)
    let unused = function.makeValue(type)
    function.body = Block([
        Operation(.unary(.exp, x.id), result: used),
        Operation(.unary(.log, x.id), result: unused),
        Operation(.ret([used.id])),
    ])
    var module = Module(target: "trn1", functions: [function])
    var context = PassContext(target: .trn1)
    try DeadCodeElimination().run(on: &module, context: &context)
    #expect(module.functions[0].body.ops.map(\.opcode) == ["exp", "return"])
}

/// Regression (differential-testing issue, item 1): `return sum(exp(x), axis: 1)` tiles to an in-place
/// activation with a reduction. Its read of the loaded tile makes the load observable, because the
/// activation itself is live (its reduction reaches HBM); dce used to drop the load.
@Test func dceKeepsTheLoadAnInPlaceActivationWithReduceReads() throws {
    let text = """
        kiln.module target "trn1" {
          func @k(%x: hbm f32[128, 128]) -> (%y: hbm f32[128, 1]) {
            %t = alloc sbuf f32[128 | 128]
            %r = alloc sbuf f32[128 | 1]
            dma.load %x[0, 0] -> %t
            act.activate exp %t -> %t reduce add -> %r
            dma.store %r -> %y[0, 0]
            return
          }
        }
        """
    var module = try #require(TileIR.parse(SourceFile(path: "k.tir", text: text)).module)
    var context = PassContext(target: .trn1)
    try DeadCodeElimination().run(on: &module, context: &context)
    #expect(module.functions[0].body.ops.map(\.opcode) == ["alloc", "alloc", "dma.load", "act.activate", "dma.store", "return"])
}

/// An accumulating matmul reads its own accumulator; that read alone does not make the accumulator observable.
@Test func dceRemovesAnAccumulationNobodyReads() throws {
    let text = """
        kiln.module target "trn1" {
          func @k(%x: hbm bf16[128, 128]) -> (%y: hbm bf16[128, 128]) {
            %a = alloc sbuf bf16[128 | 128]
            %acc = alloc psum f32[128 | 128]
            dma.load %x[0, 0] -> %a
            for %k = 0 to 2 {
              pe.matmul %a, %a -> %acc start(%k == 0) stop(%k == 1)
            }
            dma.store %a -> %y[0, 0]
            return
          }
        }
        """
    var module = try #require(TileIR.parse(SourceFile(path: "k.tir", text: text)).module)
    var context = PassContext(target: .trn1)
    try DeadCodeElimination().run(on: &module, context: &context)
    #expect(module.functions[0].body.ops.map(\.opcode) == ["alloc", "dma.load", "dma.store", "return"])
}
