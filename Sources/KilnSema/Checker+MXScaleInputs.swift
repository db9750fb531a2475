// Checker+MXScaleInputs.swift: the kernel parameters nc_matmul_mx reads as block scales, for `--random` inputs.

import KilnSource
import KilnSyntax

extension Checker {
    /// The indices of the kernel's parameters whose values reach a scale operand of `nc_matmul_mx` (its third or
    /// fourth argument) through `let`s, windows (`x[...]`), `load`, `reshape`, `copy` and `nc_transpose`.
    /// `--random` draws floats in [-1, 1), so about half of such a parameter's scales would be negative, which the
    /// matmul reads as E8M0's NaN, and every output would be NaN; `RandomInputs.mxScales` gives these parameters
    /// powers of two instead (Docs/numerics.md, "Inputs: kiln run").
    ///
    /// Algorithm: one walk over the body (loop bodies and branches included, an explicit work list) records each
    /// `let`'s value by its name's span and collects the scale arguments of every `nc_matmul_mx` call; each scale
    /// argument is then followed back through the forms above (at most `maxSteps` of them) to a parameter.
    func mxScaleParameters(_ body: Block) -> Set<Int> {
        var lets: [SourceSpan: Expr] = [:]
        var scales: [Expr] = []
        var blocks: [[Statement]] = [body.statements]
        var expressions: [Expr] = []
        while let statements = blocks.popLast() {
            for statement in statements {
                if case .letBinding(let name, _, let value) = statement.kind { lets[name.span] = value }
                statement.forEachExpr { expressions.append($0) }
                switch statement.kind {
                case .forLoop(_, _, _, _, let loopBody): blocks.append(loopBody.statements)
                case .ifStatement(_, let then, let otherwise): blocks.append(then.statements + (otherwise?.statements ?? []))
                default: break
                }
            }
        }
        while let expr = expressions.popLast() {
            if case .call(_, let arguments) = expr.kind, case .builtin(.nc_matmul_mx)? = calls[expr.id] {
                scales += arguments.filter { $0.label == nil }.dropFirst(2).prefix(2).map(\.value)
            }
            expr.forEachChild { expressions.append($0) }
        }
        return Set(scales.compactMap { parameter(reaching: $0, lets: lets) })
    }

    private static let maxSteps = 64

    /// The parameter `expr`'s value comes from, followed through the forms `mxScaleParameters` names, or nil.
    private func parameter(reaching expr: Expr, lets: [SourceSpan: Expr]) -> Int? {
        var current = expr
        for _ in 0..<Self.maxSteps {
            switch current.kind {
            case .name:
                switch resolutions[current.id] {
                case .parameter(let index)?: return index
                case .letBinding(let declaredAt)?:
                    guard let value = lets[declaredAt] else { return nil }
                    current = value
                default: return nil
                }
            case .index(let base, _):
                current = base
            case .call(_, let arguments):
                guard case .builtin(let builtin)? = calls[current.id], [.load, .reshape, .copy, .nc_transpose].contains(builtin),
                      let first = arguments.first(where: { $0.label == nil }) else { return nil }
                current = first.value
            default:
                return nil
            }
        }
        return nil
    }
}
