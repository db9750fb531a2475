// DeadCodeEliminationTests.swift: the `dce` pass on hand-built modules.

import KilnMachine
import KilnPasses
import KilnPluginAPI
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
