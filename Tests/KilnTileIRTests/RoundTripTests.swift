// RoundTripTests.swift: print(parse(print(m))) == print(m), at the tensor level and the tile level.

import KilnMachine
import KilnSource
import KilnTileIR
import Testing

private func roundTrip(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> String? {
    let first = Samples.parse(text)
    #expect(first.diagnostics.isEmpty, "\(first.diagnostics.map(\.message))", sourceLocation: sourceLocation)
    guard let module = first.module else { return nil }
    let printed = TileIR.print(module)
    let second = Samples.parse(printed)
    #expect(second.diagnostics.isEmpty, sourceLocation: sourceLocation)
    guard let reparsed = second.module else { return nil }
    #expect(TileIR.print(reparsed) == printed, sourceLocation: sourceLocation)
    return printed
}

@Test(arguments: [Samples.softmax, Samples.tensorOps, Samples.tiledMatmul, Samples.engineOps])
func canonicalTextRoundTrips(text: String) {
    // The samples are written in canonical form, so the first print reproduces them exactly.
    #expect(roundTrip(text) == text)
}

@Test func samplesVerifyOnTheirTargets() throws {
    for text in [Samples.softmax, Samples.tensorOps, Samples.tiledMatmul, Samples.engineOps] {
        let module = try #require(Samples.parse(text).module)
        let problems = TileIR.verify(module)
        #expect(problems.isEmpty, "\(problems.map(\.message))")
    }
}

@Test func nonCanonicalTextPrintsCanonically() throws {
    let text = """
        kiln.module target "trn1" {
          // a comment
          func @f(%x: hbm f32[8, 8]) -> (%y: hbm f32[8, 8]) {
            for %i = 0 to 8 step 1 {
              %t = alloc sbuf f32[1 | 8]
              dma.load %x[0 + %i * 1 - 0, 2 * 0] -> %t loc(1:2 at 1:2)
              dma.store %t -> %y[%i, 0]
            }
            return
          }
        }
        """
    let printed = try #require(roundTrip(text))
    #expect(printed.contains("for %i = 0 to 8 {"))
    #expect(printed.contains("dma.load %x[%i, 0] -> %t loc(1:2 at 1:2)"))
    #expect(!printed.contains("comment"))
}

@Test func builtModulesPrintWithNumberedAndHintedNames() throws {
    var function = Function(name: "k", span: SourceSpan(file: "k.kiln", start: 0, end: 10))
    let x = function.addParameter(.hbm(TensorType(.f32, [4])), name: "x")
    let out = function.addOutput(.hbm(TensorType(.f32, [4])), name: "x")  // clashing hint
    let e = function.makeValue(.tensor(TensorType(.f32, [4])))
    let bad = function.makeValue(.tensor(TensorType(.f32, [4])), name: "9lives")  // invalid hint
    function.body = Block([
        Operation(.unary(.exp, x.id), result: e, span: SourceSpan(file: "k.kiln", start: 3, end: 5)),
        Operation(.unary(.abs, e.id), result: bad),
        Operation(.ret([bad.id])),
    ])
    let module = Module(target: "trn1", functions: [function])
    let printed = TileIR.print(module)
    #expect(printed == """
        kiln.module target "trn1" {
          func @k(%x: hbm f32[4]) -> (%x_1: hbm f32[4]) loc(0:10) {
            %0 = exp %x : f32[4] loc(3:5)
            %1 = abs %0 : f32[4]
            return %1
          }
        }

        """)
    #expect(roundTrip(printed) == printed)
    _ = out
}

@Test func locationsShowLineAndColumnWhenTheKernelSourceIsGiven() throws {
    let module = try #require(Samples.parse(Samples.softmax).module)
    let kernel = SourceFile(path: "Examples/softmax.kiln", text: String(repeating: "abcdefghi\n", count: 20))
    let printed = TileIR.print(module, kernelSource: kernel)
    #expect(printed.contains("loc(40:55 at 5:1)"))
    // Printed again without the kernel source, the line and column read back are kept: the text round-trips.
    let reparsed = try #require(Samples.parse(printed).module)
    #expect(TileIR.print(reparsed) == printed)
}

@Test func escapedStringsRoundTrip() throws {
    let module = Module(target: "trn1", sourcePath: "dir with \"quotes\"\\and\ttab.kiln")
    let printed = TileIR.print(module)
    let reparsed = try #require(Samples.parse(printed).module)
    #expect(reparsed.sourcePath == module.sourcePath)
}
