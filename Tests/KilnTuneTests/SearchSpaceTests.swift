// SearchSpaceTests.swift: the tuning space: knobs are declared pass options, candidates are pipelines that parse.

import KilnMachine
import KilnPasses
import KilnPluginAPI
import KilnTune
import Testing

@Test func everyKnobIsADeclaredOptionAndEveryValueIsInItsRange() throws {
    for target in [MachineTarget.trn1, .trn2] {
        let space = SearchSpace.standard(for: target)
        for knob in space.knobs {
            let pass = try #require(BuiltinPasses.all.first { $0.name == knob.pass }, "no pass \(knob.pass)")
            let option = try #require(pass.options.first { $0.name == knob.option }, "\(knob.label) is not declared")
            #expect(Set(knob.values).count == knob.values.count, "\(knob.label) repeats a value")
            for value in knob.values {
                guard case .success = option.parse(value.description) else {
                    Issue.record("\(knob.label)=\(value) is rejected by its declaration")
                    continue
                }
            }
        }
    }
}

@Test func theDefaultCandidateIsTheDefaultPipeline() {
    let space = SearchSpace.standard(for: .trn1)
    #expect(space.pipeline(space.defaultCandidate) == PassPipeline.defaultPipeline(for: .trn1))
    #expect(space.scheduleAttribute(space.defaultCandidate).attribute == "@schedule(tile_m: 128, tile_n: 512, tile_k: 128, bufs: 2)")
}

@Test func everyCandidatePipelineParsesBackToItself() throws {
    let space = SearchSpace.standard(for: .trn1)
    let registry = BuiltinPasses.makeRegistry()
    for index in stride(from: 0, to: space.count, by: 389) {
        let text = space.pipeline(space.candidate(atIndex: index))
        let parsed = try PassPipeline.parse(text, registry: registry)
        #expect(parsed.names == space.basePipeline)
        // Options print in declaration order, so a re-parse prints what the space wrote only up to order.
        #expect(try PassPipeline.parse(parsed.text, registry: registry).text == parsed.text)
    }
}

@Test func candidatesEnumerateTheSpaceInMixedRadix() {
    let space = SearchSpace.standard(for: .trn1)
    let all = Set((0..<space.count).map(space.candidate(atIndex:)))
    #expect(all.count == space.count)
    #expect(space.candidate(atIndex: 0) == space.defaultCandidate)
    #expect(space.candidate(atIndex: 1) == Array(repeating: 0, count: space.knobs.count - 1) + [1])
}

@Test func aKnobTheAttributeCannotSayMakesItIncomplete() throws {
    let space = SearchSpace.standard(for: .trn1)
    var candidate = space.defaultCandidate
    let bufs = try #require(space.knobs.firstIndex { $0.option == "bufs" })
    candidate[bufs] = 2
    #expect(space.scheduleAttribute(candidate) == ("@schedule(tile_m: 128, tile_n: 512, tile_k: 128, bufs: 3)", true))
    let queues = try #require(space.knobs.firstIndex { $0.option == "dma_queues" })
    candidate[queues] = 1
    #expect(space.scheduleAttribute(candidate).complete == false)
    #expect(space.pipeline(candidate).contains("double-buffer{bufs=3}"))
    #expect(space.pipeline(candidate).contains("schedule{dma_queues=8}"))
}
