// ParserErrorTests.swift: malformed tile IR text gives located errors, all of them, and never a crash.

import KilnMachine
import KilnSource
import KilnTileIR
import Testing

/// "line:col: message" for each diagnostic, as the renderer would place it.
private func located(_ text: String) -> [String] {
    let file = SourceFile(path: "bad.tir", text: text)
    let result = TileIR.parse(file)
    #expect(result.module == nil || !result.hasErrors)
    return result.diagnostics.map { "\(file.lineColumn(of: $0.span.start)): \($0.message)" }
}

@Test func unknownOpcodeSuggestsCloseMatches() {
    let errors = located("""
        kiln.module target "trn1" {
          func @f(%x: f32[4]) -> (%y: f32[4]) {
            %0 = exq %x : f32[4]
            return %0
          }
        }
        """)
    #expect(errors.first == "3:10: unknown operation 'exq'; did you mean 'eq' or 'exp'?")
}

@Test func everyBrokenLineIsReported() {
    let errors = located("""
        kiln.module target "trn1" {
          func @f(%x: f32[4]) -> (%y: f32[4]) {
            %0 = exp %nope : f32[4]
            %1 = exp %x : f32[4
            %2 = exp %x : int8[4]
            dve.copy %x -> %x extra
            %3 = exp %x : f32[4]
            return %3
          }
        }
        """)
    #expect(errors == [
        "3:14: use of undefined value %nope",
        "4:24: expected ']', found end of line",
        "5:19: unknown element type 'int8'; expected one of: f32, bf16, f16, f8e4m3, f8e4m3fn, f8e5m2, f4e2m1fn, i32, bool, index",
        "6:23: expected a new line after the operation, found 'extra'",
    ])
}

@Test func valueErrors() {
    let redefined = located("""
        kiln.module target "trn1" {
          func @f(%x: f32[4]) -> (%y: f32[4]) {
            %x = exp %x : f32[4]
            return %x
          }
        }
        """)
    #expect(redefined == ["3:5: value %x is defined twice"])
    let resultless = located("""
        kiln.module target "trn1" {
          func @f(%x: f32[4]) -> (%y: f32[4]) {
            exp %x : f32[4]
            %r = return %x
          }
        }
        """)
    #expect(resultless == [
        "3:5: expected a result name '%name =' before 'exp', found 'exp'",
        "4:5: expected 'return' without a result ('return' defines no value), found '%r ='",
    ])
}

@Test func headerNumberAndStringErrors() {
    #expect(located("kiln.module target \"trn9\" {\n}\n") == ["1:20: unknown target 'trn9'; known targets: trn1, trn2, trn3, trn1-dma27"])
    #expect(located("kiln.module target \"trn1 {\n}\n").first == "1:20: unterminated string; '\"' has no closing '\"'")
    #expect(located("kiln.module target \"trn1\" {\n  func @f() -> () {\n    %0 = constant 1 : f32[99999999999999999999]\n    return\n  }\n}\n")
        == ["3:27: bad number '99999999999999999999': does not fit in 64 bits"])
    #expect(located("kiln.module target \"trn1\" {\n  func @f() -> () {\n    %0 = constant 1 : f32[0]\n    return\n  }\n}\n")
        == ["3:27: bad number '0': dimensions must be positive"])
    #expect(located("kiln.module target \"trn1\" {\n  func @f() -> () {\n    return loc(9:3)\n  }\n}\n")
        == ["3:18: bad number '9:3': a location is 'start:end' with 0 <= start <= end"])
    #expect(located("kiln.module target \"trn1\" { # }") == ["1:29: unexpected character '#' in tile IR"])
    #expect(located("kiln.module target \"trn1\" {\n  func @f() -> () {\n    return\n  }\n") == ["5:1: expected 'func' or '}', found end of file"])
}

@Test func unknownAttributeNames() {
    let errors = located("""
        kiln.module target "trn1" {
          func @f(%x: hbm f32[4, 4]) -> () {
            %t = alloc sbuf f32[4 | 4]
            act.activate frobnicate %t -> %t
            sync.signal sem 1 on gpu
            return
          }
        }
        """)
    #expect(errors.count == 2)
    #expect(errors.first?.hasPrefix("4:18: unknown activation function 'frobnicate'; expected one of: identity, square") == true)
    #expect(errors.last == "5:26: unknown engine 'gpu'; expected one of: pe, act, dve, pool, dma")
}

@Test func duplicateFunctionsAndDeepNesting() {
    let duplicate = located("kiln.module target \"trn1\" {\n  func @f() -> () {\n    return\n  }\n  func @f() -> () {\n    return\n  }\n}\n")
    #expect(duplicate == ["5:3: function @f is defined twice"])
    let deep = "kiln.module target \"trn1\" {\n func @f() -> () {\n"
        + (0..<100).map { "for %i\($0) = 0 to 1 {\n" }.joined() + String(repeating: "}\n", count: 100) + "return\n}\n}\n"
    #expect(located(deep).first?.hasSuffix("loops nest too deeply (the limit is 64)") == true)
}

/// Every prefix of a valid module, and the module with each byte replaced by a troublesome one, parses
/// without trapping; the truncated ones give errors.
@Test func truncatedAndMangledInputNeverCrashes() {
    let bytes = Array(Samples.engineOps.utf8)
    for length in stride(from: 0, to: bytes.count - 2, by: 7) {
        let result = TileIR.parse(SourceFile(path: "cut.tir", bytes: Array(bytes[0..<length])))
        #expect(result.hasErrors)
    }
    for position in stride(from: 0, to: bytes.count, by: 5) {
        for replacement: UInt8 in [UInt8(ascii: "-"), UInt8(ascii: "}"), 0xFF, UInt8(ascii: "%")] {
            var mangled = bytes
            mangled[position] = replacement
            _ = TileIR.parse(SourceFile(path: "mangled.tir", bytes: mangled))
        }
    }
}

@Test func parseErrorsRenderAsFileLineColumn() {
    let file = SourceFile(path: "dir/bad.tir", text: "kiln.module target \"trn1\" {\n  func @f() -> () {\n    %0 = exq\n    return\n  }\n}\n")
    let result = TileIR.parse(file)
    let rendered = DiagnosticRenderer().render(result.diagnostics, in: file)
    #expect(rendered.hasPrefix("dir/bad.tir:3:10: error: unknown operation 'exq'"))
    #expect(rendered.contains("    %0 = exq\n         ^~~\n"))
}
