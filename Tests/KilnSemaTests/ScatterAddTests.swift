// ScatterAddTests.swift: the type of scatter_add and its rules on the table, the indices and the values (K2168).

import KilnSema
import KilnSource
import Testing

@Test func scatterAddHasTheTablesType() {
    let c = expectClean("""
    kernel s(t: bf16[V, D], ids: i32[B, N], v: bf16[B, N, D]) -> bf16[V, D] {
      return scatter_add(t, ids, v)
    }
    """)
    #expect(c.type(of: "scatter_add(t, ids, v)")?.description == "bf16[V, D]")
}

@Test func theValuesAreTheIndicesShapePlusTheRowLength() {
    expectError("kernel s(t: f32[8, 16], ids: i32[4], v: f32[4, 8]) -> f32[8, 16] { return scatter_add(t, ids, v) }",
                "K2168", at: "1:95", "they must be f32[4, 16]")
    expectError("kernel s(t: f32[8, 16], ids: i32[4], v: bf16[4, 16]) -> f32[8, 16] { return scatter_add(t, ids, v) }",
                "K2168", at: "1:97", "found hbm bf16[4, 16]")
    expectError("kernel s(t: i32[8, 16], ids: i32[4], v: i32[4, 16]) -> i32[8, 16] { return scatter_add(t, ids, v) }",
                "K2032", at: "1:88", "'scatter_add' needs a float table")
}
