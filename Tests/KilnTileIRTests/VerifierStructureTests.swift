// VerifierStructureTests.swift: the target-independent verifier rules: SSA, dominance, regions, op types.

import KilnMachine
import KilnSource
import KilnTileIR
import Testing

/// Parses a function body wrapped in a module and returns the verifier's diagnostic codes.
func verifierCodes(_ signature: String, _ body: String, target: MachineTarget = .trn1) -> [String] {
    let text = "kiln.module target \"\(target.name)\" {\n  func @f\(signature) {\n\(body)\n  }\n}\n"
    let parsed = TileIR.parse(SourceFile(path: "v.tir", text: text))
    guard let module = parsed.module else {
        return parsed.diagnostics.map { "parse: \($0.message)" }
    }
    return TileIR.verify(module, target: target).map(\.id.code)
}

@Test func ssaRedefinitionInBuiltIR() {
    var function = Function(name: "f")
    let x = function.addParameter(.tensor(TensorType(.f32, [4])), name: "x")
    let e = function.makeValue(.tensor(TensorType(.f32, [4])))
    function.body = Block([
        Operation(.unary(.exp, x.id), result: e),
        Operation(.unary(.log, x.id), result: e),
        Operation(.ret([])),
    ])
    let problems = TileIR.verify(Module(target: "trn1", functions: [function]), target: .trn1)
    #expect(problems.map(\.id.code) == ["K3201"])
}

@Test func useOutsideItsLoopIsNotDominated() {
    let codes = verifierCodes("(%x: hbm f32[4, 4]) -> ()", """
        for %i = 0 to 2 {
          %t = alloc sbuf f32[4 | 4]
        }
        dve.copy %t -> %t
        return
        """)
    #expect(codes == ["K3202"])
}

@Test func useOfAValueFromAnotherFunctionInBuiltIR() {
    var function = Function(name: "f")
    function.body = Block([Operation(.ret([ValueID(42)]))])
    let problems = TileIR.verify(Module(target: "trn1", functions: [function]))
    #expect(problems.map(\.id.code) == ["K3202"])
    #expect(problems.first?.message == "'return' uses value #42, which is not defined before it in an enclosing block")
}

@Test func tensorTypeRules() {
    let sig = "(%a: f32[4, 8], %b: f32[8, 4], %c: bool[4, 8]) -> (%o: f32[4, 8])"
    #expect(verifierCodes(sig, "%0 = add %a, %b : f32[4, 8]\nreturn %0") == ["K3204"])
    #expect(verifierCodes(sig, "%0 = exp %a : f32[4, 9]\nreturn %a") == ["K3207"])
    #expect(verifierCodes(sig, "%0 = reduce sum %a axis 2 : f32[4, 1]\nreturn %a") == ["K3205"])
    #expect(verifierCodes(sig, "%0 = reduce sum %a axis 1 : f32[4, 1]\nreturn %a") == [])
    #expect(verifierCodes(sig, "%0 = matmul %a, %a : f32[4, 8]\nreturn %a") == ["K3204"])
    #expect(verifierCodes(sig, "%0 = matmul %a, %b : f32[4, 4]\nreturn %a") == [])
    #expect(verifierCodes(sig, "%0 = transpose %a : f32[4, 8]\nreturn %a") == ["K3207"])
    #expect(verifierCodes(sig, "%0 = broadcast %a : f32[8, 8]\nreturn %a") == ["K3204"])
    #expect(verifierCodes(sig, "%0 = select %a, %a, %a : f32[4, 8]\nreturn %a") == ["K3203"])
    #expect(verifierCodes(sig, "%0 = select %c, %a, %a : f32[4, 8]\nreturn %0") == [])
    #expect(verifierCodes(sig, "%0 = lt %a, %a : f32[4, 8]\nreturn %a") == ["K3207"])
    #expect(verifierCodes(sig, "%0 = and %a, %a : f32[4, 8]\nreturn %a") == ["K3203"])
    #expect(verifierCodes(sig, "%0 = cast %a : bf16[4, 8]\nreturn %a") == [])
    #expect(verifierCodes(sig, "%0 = constant 1.0 : hbm f32[4, 8]\nreturn %a") == ["K3203"])
}

@Test func returnAndCallRules() {
    let sig = "(%a: f32[4]) -> (%o: f32[4])"
    #expect(verifierCodes(sig, "%0 = exp %a : f32[4]") == ["K3206"])
    #expect(verifierCodes(sig, "return %a, %a") == ["K3206"])
    #expect(verifierCodes(sig, "for %i = 0 to 2 {\n return\n}\nreturn") == ["K3206"])
    #expect(verifierCodes(sig, "return\n%0 = exp %a : f32[4]\nreturn %0") == ["K3206"])
    #expect(verifierCodes(sig, "%0 = call @f(%a) : f32[4]\nreturn %0") == [])
    #expect(verifierCodes(sig, "%0 = call @g(%a) : f32[4]\nreturn %0") == ["K3209"])
    #expect(verifierCodes(sig, "%0 = call @f(%a, %a) : f32[4]\nreturn %0") == ["K3209"])
    #expect(verifierCodes(sig, "%0 = call @f(%a) : f32[5]\nreturn %a") == ["K3207"])
}

@Test func loopAndDMARules() {
    let sig = "(%x: hbm f32[256, 64]) -> (%y: hbm f32[256, 64])"
    let body = { (loop: String, offset: String) in
        "\(loop) {\n%t = alloc sbuf f32[128 | 64]\ndma.load %x[\(offset), 0] -> %t\ndma.store %t -> %y[\(offset), 0]\n}\nreturn"
    }
    #expect(verifierCodes(sig, body("for %i = 0 to 2", "%i * 128")) == [])
    #expect(verifierCodes(sig, body("for %i = 0 to 3", "%i * 128")) == ["K3208", "K3208"])
    #expect(verifierCodes(sig, body("for %i = 0 to 2", "-%i * 128")) == ["K3208", "K3208"])
    #expect(verifierCodes(sig, body("for %i = 0 to 2 step 0", "%i")) == ["K3210"])
    #expect(verifierCodes(sig, "%t = alloc sbuf f32[128 | 64]\ndma.load %x[%t, 0] -> %t\nreturn") == ["K3213"])
    #expect(verifierCodes(sig, "%t = alloc sbuf f32[128 | 64]\ndma.store %t -> %x[0, 0]\nreturn") == ["K3211"])
    #expect(verifierCodes(sig, "%t = alloc sbuf f32[128 | 64]\ndma.load %x[0] -> %t\nreturn") == ["K3204"])
    #expect(verifierCodes(sig, "%t = alloc sbuf bf16[128 | 64]\ndma.load %x[0, 0] -> %t\nreturn") == ["K3203"])
    #expect(verifierCodes(sig, "%t = alloc sbuf f32[128 | 64]\ndma.load %t[0, 0] -> %t\nreturn") == ["K3203"])
}

@Test func tileOpShapeRules() {
    let sig = "() -> ()"
    let tiles = """
        %a = alloc sbuf f32[128 | 64]
        %b = alloc sbuf f32[128 | 32]
        %r = alloc sbuf f32[128 | 1]
        %p = alloc psum f32[64 | 128]
        """
    #expect(verifierCodes(sig, tiles + "\ndve.tensor_tensor add %a, %b -> %a\nreturn") == ["K3204"])
    #expect(verifierCodes(sig, tiles + "\ndve.reduce add %a -> %r\nreturn") == [])
    #expect(verifierCodes(sig, tiles + "\ndve.reduce add %a -> %b\nreturn") == ["K3204"])
    #expect(verifierCodes(sig, tiles + "\ndve.tensor_scalar mul %a, %b -> %a\nreturn") == ["K3203"])
    #expect(verifierCodes(sig, tiles + "\npe.transpose %a -> %p\nreturn") == [])
    #expect(verifierCodes(sig, tiles + "\npe.transpose %b -> %p\nreturn") == ["K3204"])
    #expect(verifierCodes(sig, tiles + "\npe.matmul %a, %a -> %p\nreturn") == ["K3204"])
    #expect(verifierCodes(sig, tiles + "\npe.matmul %a, %p -> %p\nreturn") == ["K3204"])
    #expect(verifierCodes(sig, tiles + "\nact.activate exp %a -> %a bias %b\nreturn") == ["K3203"])
}

@Test func builtIRWithImpossibleTypesIsReportedNotTrapped() {
    var function = Function(name: "f")
    let hbmTile = function.makeValue(.tile(TileType(.hbm, .f32, partitions: 4, free: [0])))
    function.body = Block([
        Operation(.alloc(TileType(.hbm, .f32, partitions: 4, free: [0]), nil), result: hbmTile),
        Operation(.syncSignal(semaphore: -1, engine: .pe)),
        Operation(.ret([])),
    ])
    let codes = TileIR.verify(Module(target: "trn1", functions: [function])).map(\.id.code)
    #expect(codes.allSatisfy { $0 == "K3212" } && codes.count >= 3)
    #expect(TileIR.verify(Module(target: "trn7", functions: [function])).map(\.id.code) == ["K3109"])
}
