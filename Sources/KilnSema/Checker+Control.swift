// Checker+Control.swift: `if` on affine conditions, and which loops lowering unrolls to decide control flow.

import KilnSource
import KilnSyntax

extension Checker {
    /// `if cond { ... } [else { ... }]`: `cond` is comparisons of affine integer expressions (dims, loop variables,
    /// literals) joined by `&&`, `||` and `!`, so it is decided at compile time: the loops whose variables it
    /// reads are unrolled. Each branch is a block of its own.
    func checkIf(_ condition: Expr, _ then: Block, _ otherwise: Block?) {
        if let loops = affineCondition(condition) {
            markBool(condition)
            for loop in loops { unrolledLoops.insert(loop) }
        }
        checkBlock(then)
        if let otherwise { checkBlock(otherwise) }
    }

    /// Types an accepted condition's comparisons and their `&&`, `||`, `!` as bool (every node has a type).
    private func markBool(_ expr: Expr) {
        types[expr.id] = .scalar(.bool)
        switch expr.kind {
        case .unary(.not, let operand): markBool(operand)
        case .binary(let op, let lhs, let rhs) where op == .and || op == .or:
            markBool(lhs)
            markBool(rhs)
        default: break
        }
    }

    /// The loop variables (by span) an affine condition reads; nil after reporting why it is not one (K2160).
    private func affineCondition(_ expr: Expr) -> [SourceSpan]? {
        switch expr.kind {
        case .bool:
            return []
        case .unary(.not, let operand):
            return affineCondition(operand)
        case .binary(let op, let lhs, let rhs) where op == .and || op == .or:
            let (left, right) = (affineCondition(lhs), affineCondition(rhs))
            guard let left, let right else { return nil }
            return left + right
        case .binary(let op, let lhs, let rhs) where op.isComparison:
            var loops: [SourceSpan] = []
            var ok = true
            var notIntegers = false
            for side in [lhs, rhs] {
                guard let type = checkBound(side) else {
                    ok = false
                    continue
                }
                guard type.isScalar, type.dtype == .i32 else {
                    notIntegers = true
                    ok = false
                    continue
                }
                guard let affine = affineIndex(side, what: "a condition of 'if'") else {
                    ok = false
                    continue
                }
                loops += declarations(of: affine.loopVariables)
            }
            if notIntegers { report(DiagnosticCatalogue.conditionNotAffine(text(expr.span), at: expr.span)) }
            return ok ? loops : nil
        default:
            _ = checkExpr(expr)
            report(DiagnosticCatalogue.conditionNotAffine(text(expr.span), at: expr.span))
            return nil
        }
    }

    /// The spans of the names of loop variables (the keys of `unrolledLoops` and `loopStarts`).
    func declarations(of loops: [AffineVar]) -> [SourceSpan] {
        loops.map { scopes.symbols[$0.id].span }
    }

    /// Every loop to unroll: the marked ones, and the loops their starts move with (an unrolled loop's start
    /// must be a constant in each copy), to a fixed point.
    func unrolledLoopClosure() -> Set<SourceSpan> {
        var result = unrolledLoops
        var work = Array(unrolledLoops)
        while let loop = work.popLast() {
            for outer in loopStarts[loop] ?? [] where result.insert(outer).inserted { work.append(outer) }
        }
        return result
    }
}
