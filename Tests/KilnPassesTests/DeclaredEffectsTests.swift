// DeclaredEffectsTests.swift: the scheduler, dce and the verifier take an op's reads and writes from its declaration.

import KilnMachine
import KilnPasses
import KilnPluginAPI
import KilnSource
import KilnTileIR
import Testing

/// A load, a vector-engine copy and a store of the copy: dve.copy's write of %u is what orders the store.
private let copyKernel = """
    kiln.module target "trn1" {
      func @k(%x: hbm f32[128, 64]) -> (%y: hbm f32[128, 64]) {
        %t = alloc sbuf f32[128 | 64]
        %u = alloc sbuf f32[128 | 64]
        dma.load %x[0, 0] -> %t
        dve.copy %t -> %u
        dma.store %u -> %y[0, 0]
        return
      }
    }
    """

/// dve.copy as the table declares it, but with its destination declared as read: a write declared as a read.
private func copyWithItsWriteDeclaredAsARead() -> OpDeclaration {
    var declaration = EngineOp.dveCopy.declaration
    declaration.fields[1] = OperandField("dst", .tile(.read))
    return declaration
}

/// Runs `pipeline` on the parsed module (parsed before any override: the text form follows the declaration too).
private func run(_ pipeline: String, _ parsed: Module) throws -> (module: Module, report: PassRunReport) {
    var module = parsed
    let manager = PassManager(registry: BuiltinPasses.makeRegistry(), target: .trn1,
                              options: PassManagerOptions(verifyEach: true))
    let report = try manager.run(pipeline, on: &module)
    return (module, report)
}

/// The DMA queue's waits before the store: what the schedule made the store wait for.
private func waitsBeforeTheStore(_ module: Module) -> [String] {
    var waits: [String] = []
    var seen: [String] = []
    module.functions[0].body.walk { op in
        if case .syncWait(let semaphore, _, let engine, _) = op.kind, engine == .dma { seen.append("sem \(semaphore)") }
        if op.kind.engineOp == .dmaStore { waits = seen }
    }
    return waits
}

private func parsedCopyKernel() throws -> Module {
    try #require(TileIR.parse(SourceFile(path: "k.tir", text: copyKernel)).module)
}

@Test func theScheduleOrdersTheStoreAfterTheDeclaredWrite() throws {
    let parsed = try parsedCopyKernel()
    let (truthful, _) = try run("allocate,schedule", parsed)
    #expect(!waitsBeforeTheStore(truthful).isEmpty, "the store waits for the copy that writes %u")
    let (misdeclared, _) = try EngineOp.withDeclarationOverrides([.dveCopy: copyWithItsWriteDeclaredAsARead()]) {
        try run("allocate,schedule", parsed)
    }
    // With the write declared as a read, nothing orders the copy before the store: the store waits only for
    // what it reads through the load's chain, which no longer includes the copy.
    #expect(waitsBeforeTheStore(misdeclared).count < waitsBeforeTheStore(truthful).count)
}

@Test func dceKeepsOnlyWhatTheDeclaredReadsMakeObservable() throws {
    let parsed = try parsedCopyKernel()
    let (truthful, _) = try run("dce", parsed)
    #expect(truthful.functions[0].body.ops.map(\.opcode) == ["alloc", "alloc", "dma.load", "dve.copy", "dma.store", "return"])
    // The opposite mistake: dve.copy's source declared as written. Nothing then reads the loaded %t, so dce
    // removes the load (and its tile) as work nobody observes.
    var copy = EngineOp.dveCopy.declaration
    copy.fields[0] = OperandField("src", .tile(.write))
    let (misdeclared, _) = try EngineOp.withDeclarationOverrides([.dveCopy: copy]) { try run("dce", parsed) }
    #expect(!misdeclared.functions[0].body.ops.map(\.opcode).contains("dma.load"))
}

@Test func theVerifierChecksMemoryAccessOfTheDeclaredWrites() throws {
    // pool reads but does not write PSUM on trn1. Declaring pool.select's destination as read turns a rejected
    // write of PSUM into an accepted read.
    let text = """
        kiln.module target "trn1" {
          func @k() -> () {
            %c = alloc sbuf f32[4 | 4]
            %p = alloc psum f32[4 | 4]
            pool.select %c, %c, %c -> %p
            return
          }
        }
        """
    let module = try #require(TileIR.parse(SourceFile(path: "k.tir", text: text)).module)
    #expect(TileIR.verify(module, target: .trn1).contains { $0.message.contains("cannot write psum") })
    var select = EngineOp.poolSelect.declaration
    select.fields[3] = OperandField("dst", .tile(.read))
    let problems = EngineOp.withDeclarationOverrides([.poolSelect: select]) { TileIR.verify(module, target: .trn1) }
    #expect(!problems.contains { $0.message.contains("cannot write psum") })
}
