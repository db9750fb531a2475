// TypeModelTests.swift: dtypes, memory spaces, affine expressions, dims and value type descriptions.

@testable import KilnSema
import Testing

@Test(arguments: [
    ("f32", 4, true), ("bf16", 2, true), ("f16", 2, true), ("f8e4m3", 1, true), ("f8e4m3fn", 1, true),
    ("f8e5m2", 1, true), ("f4e2m1fn", 1, true), ("i32", 4, false), ("bool", 1, false),
])
func theNineDTypes(name: String, bytes: Int, isFloat: Bool) {
    let dtype = DType(name: name)
    #expect(dtype != nil)
    #expect(dtype?.byteSize == bytes)
    #expect(dtype?.isFloat == isFloat)
    #expect(dtype?.name == name)
    #expect(dtype?.isNumeric == (name != "bool"))
}

@Test func unknownDTypeNamesDoNotParse() {
    #expect(DType(name: "f64") == nil)
    #expect(DType(name: "F32") == nil)
    #expect(DType.allCases.count == 9)
    #expect(DType.allNames == "f32, bf16, f16, f8e4m3, f8e4m3fn, f8e5m2, f4e2m1fn, i32, bool")
}

@Test func affineExpressionsSimplify() throws {
    let m = AffineExpr(.loop("m", id: 3))
    let n = AffineExpr(.dim("N"))
    let upper = try #require(m.adding(AffineExpr(constant: 128)))
    let size = try #require(upper.subtracting(m))
    #expect(size.constantValue == 128)
    let twoN = try #require(n.scaled(by: 2))
    let expr = try #require(twoN.subtracting(AffineExpr(constant: 1)))
    #expect(expr.description == "2*N - 1")
    #expect(try #require(n.subtracting(n)).constantValue == 0)
    #expect(n.singleVariable == .dim("N"))
    #expect(twoN.singleVariable == nil)
    #expect(n.multiplied(by: n) == nil)
    #expect(try #require(n.adding(m)).description == "N + m")
}

@Test func affineArithmeticReportsOverflowInsteadOfTrapping() {
    let big = AffineExpr(constant: Int.max)
    #expect(big.adding(AffineExpr(constant: 1)) == nil)
    #expect(big.scaled(by: 2) == nil)
    #expect(AffineExpr(constant: Int.min).scaled(by: -1) == nil)
    let n = AffineExpr(.dim("N"))
    #expect(n.evaluate([.dim("N"): Int.max]) == Int.max)
    #expect(n.adding(AffineExpr(constant: 1))?.evaluate([.dim("N"): Int.max]) == nil)
    #expect(n.evaluate([:]) == nil)
}

@Test func affineSubstitutionReplacesDims() throws {
    let k = AffineExpr(.dim("K"))
    let kPlusOne = try #require(k.adding(AffineExpr(constant: 1)))
    let substituted = try #require(kPlusOne.substituting([.dim("K"): AffineExpr(.dim("D"))]))
    #expect(substituted.description == "D + 1")
}

@Test func valueTypeDescriptions() {
    #expect(ValueType(.f32, [.symbol("N"), .constant(1)]).description == "f32[N, 1]")
    #expect(ValueType(.bf16, [.constant(128), .constant(512)], space: .sbuf).description == "sbuf bf16[128, 512]")
    #expect(ValueType(.f32, [.symbol("N"), .symbol("D")], space: .hbm).description == "hbm f32[N, D]")
    #expect(ValueType.scalar(.i32).description == "i32")
    #expect(ValueType.scalar(.i32).isScalar)
    #expect(ValueType(.f32, [.constant(4)], space: .psum).isTile)
    #expect(ValueType(.f32, [.constant(4)], space: .hbm).isWholeTensor)
}

@Test func dimsEvaluateWithBindings() throws {
    let dim = Dim(try #require(AffineExpr(.dim("N")).scaled(by: 2)))
    #expect(dim.evaluate(["N": 3]) == 6)
    #expect(dim.evaluate([:]) == nil)
    #expect(Dim.constant(1).isOne)
    #expect(Dim.symbol("D").symbolName == "D")
    #expect(Dim.symbol("D") != Dim.symbol("N"))
}
