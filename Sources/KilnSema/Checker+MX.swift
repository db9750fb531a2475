// Checker+MX.swift: the MX builtins: quantize_mx / scale_mx (block quantization of a tile) and nc_matmul_mx.

import KilnMachine
import KilnSource
import KilnSyntax

extension Checker {
    /// `quantize_mx(t, dt)` / `scale_mx(t, dt)`: `t` a rank-2 float tile (sbuf or psum) whose free size is a constant
    /// positive multiple of 32 (K2181, K2185), `dt` an MX element dtype named as an identifier (K2182). The result is an sbuf
    /// `dt[P, F]` tile (quantize_mx) or an sbuf `f32[P, F / 32]` tile of the block scales (scale_mx).
    func checkQuantizeMX(_ builtin: Builtin, _ positional: [Expr], ok: Bool, expr: Expr) -> ValueType? {
        let operand = positional.first.flatMap { checkExpr($0) }
        guard ok, positional.count == 2 else { return nil }
        let named = positional[1]
        guard case .name(let name) = named.kind, let element = DType(name: name), element.isMXElement else {
            let found: String = if case .name(let name) = named.kind { "'\(name)'" } else { "an expression" }
            report(DiagnosticCatalogue.mxElementDType(builtin.name, found: found, at: named.span))
            return nil
        }
        guard let operand else { return nil }
        guard operand.isTile, operand.rank == 2 else {
            report(DiagnosticCatalogue.needsSBUFTile("the argument of '\(builtin.name)'", found: operand.description,
                                                     hint: operand.isTile ? "\(builtin.name) takes a rank-2 tile"
                                                         : "load it first with load(...)", at: positional[0].span))
            return nil
        }
        guard operand.dtype.isFloat else {
            report(DiagnosticCatalogue.operandDType(builtin.name, "float", found: operand.description,
                                                    hint: "convert the tile with 'as f32'", at: positional[0].span))
            return nil
        }
        guard let blocks = mxBlocks(builtin.name, operand.shape[1], span: expr.span) else { return nil }
        if builtin == .quantize_mx { return ValueType(element, operand.shape, space: .sbuf) }
        return ValueType(.f32, [operand.shape[0], .constant(blocks)], space: .sbuf)
    }

    /// `nc_matmul_mx(stationary, moving, stationary_scale, moving_scale)`: sbuf tiles `dt[K, M]` and `dt2[K, N]` of MX
    /// element dtypes (K2183) with K a constant multiple of 32 (K2181), and their block scales, sbuf `f32[K / 32, M]`
    /// and `f32[K / 32, N]` (K2184); K, M <= 128 and N <= 512 as nc_matmul. The result is `psum f32[M, N]`.
    func checkMatmulMX(_ operands: [ValueType], span: SourceSpan) -> ValueType? {
        let roles = ["stationary", "moving", "stationary_scale", "moving_scale"]
        for (type, role) in zip(operands, roles) where !(type.isTile && type.space == .sbuf && type.rank == 2) {
            report(DiagnosticCatalogue.needsSBUFTile("the \(role) operand of 'nc_matmul_mx'", found: type.description,
                                                     hint: type.space == .psum ? "copy it to SBUF first with copy(...)"
                                                         : type.isTile ? "nc_matmul_mx takes rank-2 tiles"
                                                         : "load it first with load(...)", at: span))
            return nil
        }
        let (stationary, moving) = (operands[0], operands[1])
        for (type, role) in [(stationary, "stationary"), (moving, "moving")] where !type.dtype.isMXElement {
            report(DiagnosticCatalogue.mxOperandDType(role, found: type.description, at: span))
            return nil
        }
        guard stationary.shape[0] == moving.shape[0] else {
            report(DiagnosticCatalogue.contractionMismatch(stationary.description, moving.description,
                                                           stationary.shape[0].description,
                                                           moving.shape[0].description, at: span))
            return nil
        }
        guard let blocks = mxBlocks("nc_matmul_mx", stationary.shape[0], span: span) else { return nil }
        for (index, columns) in [(2, stationary.shape[1]), (3, moving.shape[1])] {
            let expected = ValueType(.f32, [.constant(blocks), columns], space: .sbuf)
            if operands[index] != expected {
                report(DiagnosticCatalogue.mxScaleShape(roles[index], expected: expected.description,
                                                        found: operands[index].description, at: span))
                return nil
            }
        }
        checkLimit(StaticLimit(kind: .matmulK, dim: stationary.shape[0], span: span))
        checkLimit(StaticLimit(kind: .matmulM, dim: stationary.shape[1], span: span))
        checkLimit(StaticLimit(kind: .matmulN, dim: moving.shape[1], span: span))
        return ValueType(.f32, [stationary.shape[1], moving.shape[1]], space: .psum)
    }

    /// The number of MX blocks in `dim` elements: a constant (K2185) positive multiple of 32 (K2181), else nil.
    private func mxBlocks(_ callee: String, _ dim: Dim, span: SourceSpan) -> Int? {
        guard let value = dim.constantValue else {
            report(DiagnosticCatalogue.mxBlocksNotConstant(callee, dim.description, at: span))
            return nil
        }
        if let problem = limitViolation(StaticLimit(kind: .mxBlocks(callee: callee), dim: dim, span: span), value: value) {
            report(problem)
            return nil
        }
        return value / ElementType.mxBlockSize
    }
}
