// FunctionLowering+Control.swift: control flow decided at compile time: the limits of unrolled loops, and `if` branches.

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

    /// The copies of a body inside the unrolled loops around it and a loop unrolled into `count` more (`lowerLoop`);
    /// K3507 past the limits.
    func unrolledCopies(times count: Int, span: SourceSpan) throws(LoweringFailed) -> Int {
        let (copies, overflow) = unrolledCopies.multipliedReportingOverflow(by: count)
        guard count <= Self.unrollLimit, !overflow, copies <= Self.unrolledCopiesLimit else {
            throw fail(DiagnosticCatalogue.loweringUnrollLimit(
                iterations: count, copies: overflow ? Int.max : copies, limit: Self.unrollLimit,
                copiesLimit: Self.unrolledCopiesLimit, at: span))
        }
        return copies
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
