// PassOptionTests.swift: pass options in pipeline strings: parsing, checking against declarations, round trip, errors.

import KilnPluginAPI
import KilnTileIR
import Testing

/// A pass with one integer and one word option, recording what its context gave it.
private struct OptionsPass: Pass {
    let name = "knobs"
    let summary = "a pass with options"
    let options: [PassOption] = [
        PassOption("size", .integers(1...64), default: "8", help: "a size"),
        PassOption("mode", .choices(["fast", "slow"]), default: "fast", help: "a mode"),
    ]
    func run(on module: inout Module, context: inout PassContext) throws {
        let size = context.options.integer("size") ?? 8
        let mode = context.options.word("mode") ?? "fast"
        for index in module.functions.indices { module.functions[index].name += "_\(size)_\(mode)" }
    }
}

private struct PlainPass: Pass {
    let name = "plain"
    let summary = "a pass without options"
    func run(on module: inout Module, context: inout PassContext) throws {}
}

private func registry() throws -> PassRegistry {
    let registry = PassRegistry()
    try registry.register(OptionsPass())
    try registry.register(PlainPass())
    return registry
}

private func malformed(_ pipeline: String) throws -> (message: String, column: Int)? {
    do {
        _ = try PassPipeline.parse(pipeline, registry: registry())
        return nil
    } catch let error as PassPipelineError {
        if case .malformed(let message, let column, _) = error { return (message, column) }
        return nil
    }
}

@Test func optionsParseAndPrintBackInDeclaredOrder() throws {
    let pipeline = try PassPipeline.parse(" plain , knobs{ mode = slow , size=16 },knobs{} ", registry: registry())
    #expect(pipeline.names == ["plain", "knobs", "knobs"])
    #expect(pipeline.entries[1].options.integer("size") == 16)
    #expect(pipeline.entries[1].options.word("mode") == "slow")
    #expect(pipeline.entries[2].options.isEmpty)
    #expect(pipeline.text == "plain,knobs{size=16,mode=slow},knobs")
    let reparsed = try PassPipeline.parse(pipeline.text, registry: registry())
    #expect(reparsed.text == pipeline.text)
}

@Test func thePassManagerHandsEachEntryItsOwnOptions() throws {
    var module = Module(target: "trn1")
    module.functions.append(Function(name: "f"))
    let manager = PassManager(registry: try registry(), target: .trn1, options: PassManagerOptions(verifyEach: false))
    let report = try manager.run("knobs{size=3},knobs{mode=slow}", on: &module)
    #expect(report.succeeded)
    #expect(module.functions[0].name == "f_3_fast_8_slow")
}

@Test func badOptionsAreErrorsAtTheirColumn() throws {
    #expect(try malformed("knobs{colour=red}")?.column == 7)
    #expect(try malformed("knobs{colour=red}")?.message.contains("its options: size, mode") == true)
    #expect(try malformed("plain{size=1}")?.message.contains("it takes no options") == true)
    #expect(try malformed("knobs{size=65}")?.message.contains("out of range 1..64") == true)
    #expect(try malformed("knobs{size=65}")?.column == 12)
    #expect(try malformed("knobs{size=x}")?.message.contains("expected an integer") == true)
    #expect(try malformed("knobs{mode=medium}")?.message.contains("expected one of fast|slow") == true)
    #expect(try malformed("knobs{size}")?.message.contains("expected '='") == true)
    #expect(try malformed("knobs{size=1,size=2}")?.message.contains("given twice") == true)
    #expect(try malformed("knobs{size=1")?.message.contains("the pipeline ends") == true)
    #expect(try malformed("knobs}")?.column == 6)
    #expect(try malformed("{size=1}")?.column == 1)
}

@Test func theMalformedErrorPointsACaretAtItsColumn() {
    let error = PassPipelineError.malformed("bad", column: 4, pipeline: "a,b{")
    #expect(error.description == "bad (pipeline column 4)\n  a,b{\n     ^")
}
