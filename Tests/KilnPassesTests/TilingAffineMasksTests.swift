// TilingAffineMasksTests.swift: comparisons of window positions as affine predicates, and the causal mask they give.

import KilnMachine
@testable import KilnPasses
import KilnPluginAPI
import KilnSource
import KilnTileIR
import Testing

@Test func comparisonsOfPositionsAreAffinePredicates() {
    let loop = ValueID(7)
    // Rows from 128 * i (axis 0), columns from 512 (axis 1) of a window.
    let row = WindowPosition(base: AffineExpr(terms: [.init(loop, 128)]), partitionStep: 1, freeStep: 0)
    let column = WindowPosition(base: .constant(512), partitionStep: 0, freeStep: 1)
    // column <= row: 128 i + p - 512 - f >= 0; column < row: one less.
    let le = ElementwiseLowering.predicate(.le, column, row)
    #expect(le?.base == AffineExpr(terms: [.init(loop, 128)], constant: -512) && le?.partitionStep == 1 && le?.freeStep == -1)
    #expect(ElementwiseLowering.predicate(.lt, column, row)?.base.constant == -513)
    #expect(ElementwiseLowering.predicate(.ge, row, column)?.base == le?.base)
    #expect(ElementwiseLowering.predicate(.gt, row, column)?.base.constant == -513)
    #expect(ElementwiseLowering.predicate(.eq, row, column) == nil)
    // The same loop variable on both sides cancels.
    #expect(row.minus(row, plus: 0).base == AffineExpr(terms: [], constant: 0))
}

@Test func aCausalChainMasksEachWindowWithOneAffineSelect() throws {
    let text = kernelModule("(%q: hbm bf16[300, 64], %k: hbm bf16[300, 64], %v: hbm bf16[300, 64]) -> (%out: hbm f32[300, 64])", """
            %c1 = iota axis 1 : i32[300, 300]
            %r0 = iota axis 0 : i32[300, 300]
            %visible = le %c1, %r0 : bool[300, 300]
            %kt = transpose %k : bf16[64, 300]
            %qk = matmul %q, %kt : f32[300, 300]
            %ninf = constant -inf : f32[300, 300]
            %s = select %visible, %qk, %ninf : f32[300, 300]
            %m = reduce max %s axis 1 : f32[300, 1]
            %mb = broadcast %m : f32[300, 300]
            %x = sub %s, %mb : f32[300, 300]
            %ex = exp %x : f32[300, 300]
            %l = reduce sum %ex axis 1 : f32[300, 1]
            %lb = broadcast %l : f32[300, 300]
            %p = div %ex, %lb : f32[300, 300]
            %pb = cast %p : bf16[300, 300]
            %o = matmul %pb, %v : f32[300, 64]
            return %o
        """)
    let module = try tiledModule(text, pipeline: "fuse,tile,dce")
    let ops = opcodes(module)
    #expect(!ops.contains("pool.select"))
    #expect(!ops.contains("hbm.alloc"))
    // Three 128-row blocks (the last 44 rows) of one 300-wide window each.
    #expect(ops.filter { $0 == "pool.affine_select" }.count == 3)
}
