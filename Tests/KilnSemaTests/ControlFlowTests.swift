// ControlFlowTests.swift: `if` conditions, and which loops the checker marks for unrolling (CheckedProgram.unrolledLoops).

import KilnSema
import KilnSource
import KilnSyntax
import Testing

/// The names of the loop variables whose loops `checked` unrolls.
private func unrolled(_ checked: Checked) -> Set<String> {
    Set(checked.program.unrolledLoops.map { checked.source.text(of: $0) })
}

@Test func aTriangularLoopUnrollsTheLoopItsTripCountReads() {
    let checked = expectClean("""
    kernel k(x: f32[N, 64]) -> f32[N, 64] {
      for i in 0 ..< N step 128 {
        var acc: sbuf f32[128, 64] = 0.0
        for j in 0 ..< i + 128 step 128 {
          acc += load(x[j : j + 128, :])
        }
        for t in i ..< i + 256 step 128 {
          acc += load(x[t : t + 128, :])
        }
        store(out[i : i + 128, :], acc)
      }
    }
    """)
    // j's trip count grows with i; t's does not (it only moves), so t's loop and j's own loop stay loops.
    #expect(unrolled(checked) == ["i"])
}

@Test func conditionsValuesAndUnrolledStartsMarkTheirLoops() {
    let checked = expectClean("""
    kernel k(x: f32[N, 64]) -> f32[N, 64] {
      for b in 0 ..< 2 {
        for i in b * 128 ..< b * 128 + 128 step 128 {
          for r in 0 ..< 1 {
            if r == 0 { store(out[i : i + 128, :], load(x[i : i + 128, :]) * (i as f32)) }
          }
        }
      }
    }
    """)
    // r decides an if; i is a value; b moves the start of i's unrolled loop, so b is unrolled as well.
    #expect(unrolled(checked) == ["r", "i", "b"])
}

@Test func aConditionOnValuesIsOneLocatedError() {
    expectError("""
    kernel k(x: f32[N], s: f32) -> f32[N] {
      if s > 1.0 {
        let _y = x
      }
      return x
    }
    """, "K2160", at: "2:6", "'s > 1.0' is not one")
}

@Test func aNonAffineConditionIsAnError() {
    let checked = checkSource("""
    kernel k(x: f32[N, 64]) -> f32[N, 64] {
      for i in 0 ..< N step 128 {
        if i / 2 == 0 { store(out[i : i + 128, :], load(x[i : i + 128, :])) }
      }
    }
    """)
    #expect(checked.errors.count == 1, "\(checked.summary)")
    #expect(checked.errors.first?.message.contains("is not + - * of integers") == true, "\(checked.summary)")
}

@Test func affineConditionsEvaluateWithShortCircuits() {
    let (file, _) = Parser.parse(source: SourceFile(path: "c.kiln", text: """
        kernel k(x: f32[4]) -> f32[4] {
          if a < 3 && (b >= a || !(a == 2)) && true { return x }
          return x
        }
        """))
    guard case .ifStatement(let condition, _, _) = file.kernels[0].body.statements[0].kind else {
        Issue.record("expected an if")
        return
    }
    var read: [String] = []
    func evaluate(_ values: [String: Int]) -> Bool? {
        read = []
        return AffineCondition.evaluate(condition) { (expr: Expr) -> Int in
            if case .integer(let v) = expr.kind { return v }
            guard case .name(let n) = expr.kind else { return -1 }
            read.append(n)
            return values[n] ?? -1
        }
    }
    #expect(evaluate(["a": 1, "b": 0]) == true)     // b >= a is false, !(a == 2) is true
    #expect(evaluate(["a": 2, "b": 0]) == false)
    #expect(evaluate(["a": 2, "b": 5]) == true)
    #expect(evaluate(["a": 3, "b": 9]) == false)
    #expect(read == ["a"])                           // a < 3 is false: nothing after it is evaluated
}
