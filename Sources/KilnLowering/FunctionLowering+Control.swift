// FunctionLowering+Control.swift: control flow decided at compile time: unrolled loops and `if` branches.

import KilnMachine
import KilnSema
import KilnSource
import KilnSyntax
import KilnTileIR

extension FunctionLowering {
    /// Most iterations one unrolled loop may have.
    static let unrollLimit = 1024
    /// Most copies of a body the unrolled loops around it may make together.
    static let unrolledCopiesLimit = 8192

    /// A loop the checker marked for unrolling (`CheckedProgram.unrolledLoops`): its variable decides an inner
    /// loop's trip count or an `if`, or is used as a value. Each iteration is lowered in place with the variable a
    /// constant, as a peeled remainder iteration is, so the inner bounds, the conditions and the values it feeds
    /// are constants in that copy, and its slices are clipped per copy. Its bounds must then be constants (the
    /// checker also unrolls the loops they move with).
    func lowerUnrolledLoop(_ variable: Identifier, _ lower: Expr, _ upper: Expr, _ step: Expr?, _ body: KilnSyntax.Block,
                           span: SourceSpan) throws(LoweringFailed) {
        let (lowBound, highBound) = (try loopBound(lower), try loopBound(upper))
        guard lowBound.terms.isEmpty, highBound.terms.isEmpty else {
            throw fail(DiagnosticCatalogue.loweringLoopBounds(
                "it is unrolled (its variable decides control flow or is a value), so its bounds must be constants in each "
                    + "copy of the loops around it", at: span))
        }
        var stride = 1
        if let step, case .integer(let value) = step.kind { stride = value }
        guard stride > 0 else { throw fail(DiagnosticCatalogue.loweringLoopBounds("the step must be positive", at: span)) }
        let (low, high) = (lowBound.constant, highBound.constant)
        let (distance, overflow) = high.subtractingReportingOverflow(low)
        if overflow { throw fail(DiagnosticCatalogue.loweringOverflow("the loop range", at: span)) }
        guard distance > 0 else { return }
        let count = (distance - 1) / stride + 1
        let (copies, copiesOverflow) = unrolledCopies.multipliedReportingOverflow(by: count)
        guard count <= Self.unrollLimit, !copiesOverflow, copies <= Self.unrolledCopiesLimit else {
            throw fail(DiagnosticCatalogue.loweringUnrollLimit(
                iterations: count, copies: copiesOverflow ? Int.max : copies, limit: Self.unrollLimit,
                copiesLimit: Self.unrolledCopiesLimit, at: span))
        }
        unrolledCopies = copies
        defer { unrolledCopies /= count }
        let last = low + (count - 1) * stride
        for iteration in 0..<count {
            let ops = lowerBody(variable, .constant(Double(low + iteration * stride), .i32), first: low, last: last, body)
            blocks[blocks.count - 1].append(contentsOf: ops)
        }
        for (key, state) in buffers where state.depth == loopFrames.count
            && body.statements.contains(where: { Self.accumulates(into: state.name, $0) }) {
            buffers[key]?.startPending = false
        }
    }

    /// `statements` with each `if` replaced by the statements of the branch it takes (themselves decided the same
    /// way). A condition's integers are affine in dims and in loop variables the checker unrolled, so each is a
    /// constant here; a condition that is not is a located error.
    func decidingIfs(_ statements: [Statement]) throws(LoweringFailed) -> [Statement] {
        var result: [Statement] = []
        for statement in statements {
            guard case .ifStatement(let condition, let then, let otherwise) = statement.kind else {
                result.append(statement)
                continue
            }
            let decided = try AffineCondition.evaluate(condition) { (expr: Expr) throws(LoweringFailed) -> Int in
                let affine = try self.loopBound(expr)
                guard affine.terms.isEmpty else {
                    throw self.fail(DiagnosticCatalogue.loweringUnsupported(
                        "this condition", reason: "it is not a constant in this copy of the loop body", at: expr.span))
                }
                return affine.constant
            }
            guard let holds = decided else {
                throw fail(DiagnosticCatalogue.loweringUnsupported("this condition", reason: "it is not affine", at: condition.span))
            }
            result += try decidingIfs(holds ? then.statements : otherwise?.statements ?? [])
        }
        return result
    }
}
