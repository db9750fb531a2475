// Checker+Elementwise.swift: broadcasting, dtype promotion of weak scalars, tile/tensor spaces, matmul shapes.

import KilnMachine
import KilnSource
import KilnSyntax

/// True if a scalar of dtype `from` may stand where `into` is expected ("weak" scalars): the same dtype,
/// any float into a float, or an integer into a float. A float never becomes an integer; bool only fits bool.
func weakScalarFits(_ from: DType, into: DType) -> Bool {
    if from == into { return true }
    return into.isFloat && (from.isFloat || from == .i32)
}

extension Checker {
    /// Types an elementwise operation on two values: spaces, then dtypes, then shapes.
    func elementwise(_ op: String, _ a: ValueType, _ b: ValueType, span: SourceSpan) -> ValueType? {
        guard let space = elementwiseSpace(op, [a, b], span: span),
              let dtype = unifyDTypes(op, a, b, span: span),
              let shape = broadcast(op, a, b, span: span) else { return nil }
        return ValueType(dtype, shape, space: space)
    }

    /// Where an elementwise result lives: any tile operand makes it an sbuf tile; otherwise it is an
    /// unplaced value. A tile and a whole tensor cannot meet in one operation (scalars mix with both).
    func elementwiseSpace(_ op: String, _ operands: [ValueType], span: SourceSpan) -> MemorySpace? {
        let tile = operands.first { $0.isTile }
        let whole = operands.first { $0.isWholeTensor }
        if let tile, let whole {
            report(DiagnosticCatalogue.tileTensorMix(op, tile: tile.description, tensor: whole.description, at: span))
            return nil
        }
        // Tiles align on their partition dim, which NumPy's right-aligned broadcasting would not keep: tiles of
        // rank 2 or more meet only tiles of their own rank (`[P, 1, 1]`, not `[P, 1]`, scales a `[P, F1, F2]` tile).
        let tiles = operands.filter { $0.isTile && $0.rank >= 2 }
        if let first = tiles.first, let other = tiles.first(where: { $0.rank != first.rank }) {
            report(DiagnosticCatalogue.tileRankMismatch(op, first.description, other.description, at: span))
            return nil
        }
        return tile == nil ? .value : .sbuf
    }

    /// Operand dtypes must be equal, except that a scalar (rank 0) is weak and takes the other operand's
    /// dtype when `weakScalarFits`. Two scalars of different numeric dtypes give f32 (int + float -> f32).
    func unifyDTypes(_ op: String, _ a: ValueType, _ b: ValueType, span: SourceSpan) -> DType? {
        if a.dtype == b.dtype { return a.dtype }
        switch (a.isScalar, b.isScalar) {
        case (true, true):
            if a.dtype.isNumeric && b.dtype.isNumeric { return .f32 }
        case (true, false):
            if weakScalarFits(a.dtype, into: b.dtype) { return b.dtype }
        case (false, true):
            if weakScalarFits(b.dtype, into: a.dtype) { return a.dtype }
        case (false, false):
            break
        }
        let floatScalarIntTensor = (a.isScalar && a.dtype.isFloat && b.dtype == .i32)
            || (b.isScalar && b.dtype.isFloat && a.dtype == .i32)
        let hint = floatScalarIntTensor
            ? "a float scalar does not convert to an i32 tensor; convert the tensor with 'as f32'"
            : "convert one with 'as'"
        report(DiagnosticCatalogue.dtypeMismatch(op, a.description, b.description, hint: hint, at: span))
        return nil
    }

    /// NumPy broadcasting: shapes are aligned on the right; at each position the dims must be equal
    /// (the same constant, or the same symbolic expression: `N` never equals `D`), or one of them is
    /// the constant 1, which stretches; a missing leading dim stretches too. Scalars have shape `[]`.
    func broadcast(_ op: String, _ a: ValueType, _ b: ValueType, span: SourceSpan) -> [Dim]? {
        let rank = max(a.rank, b.rank)
        var result: [Dim] = []
        for offset in stride(from: rank, to: 0, by: -1) {
            let x = a.rank >= offset ? a.shape[a.rank - offset] : nil
            let y = b.rank >= offset ? b.shape[b.rank - offset] : nil
            switch (x, y) {
            case (let x?, let y?):
                if x == y || y.isOne {
                    result.append(x)
                } else if x.isOne {
                    result.append(y)
                } else {
                    report(DiagnosticCatalogue.broadcastMismatch(op, a.description, b.description,
                                                                 x.description, y.description, axis: -offset, at: span))
                    return nil
                }
            case (let x?, nil): result.append(x)
            case (nil, let y?): result.append(y)
            case (nil, nil): break
            }
        }
        return result
    }

    /// `a @ b` / `matmul(a, b)`: whole tensors `[..., M, K] @ [..., K, N] -> f32[..., M, N]`, same float dtype.
    /// The dims before the last two are batch dims and broadcast as NumPy's `matmul` does (a missing or
    /// size-1 batch dim stretches): `[B, H, S, D] @ [B, H, D, T] -> f32[B, H, S, T]`, `[B, S, D] @ [D, T]`.
    func checkMatmul(_ op: String, _ a: ValueType, _ aExpr: Expr, _ b: ValueType, _ bExpr: Expr,
                     span: SourceSpan) -> ValueType? {
        if a.isTile || b.isTile {
            report(DiagnosticCatalogue.wholeTensorOnly(op, hint: "on tiles use nc_matmul(stationary, moving)", at: span))
            return nil
        }
        let aName = operandName(aExpr, "the left operand")
        let bName = operandName(bExpr, "the right operand")
        for (type, name) in [(a, aName), (b, bName)] where type.rank < 2 {
            report(DiagnosticCatalogue.rankRequirement(op, "operands of rank 2 or more", what: name, found: type.description,
                                                       at: span))
            return nil
        }
        guard a.dtype == b.dtype && a.dtype.isFloat else {
            report(DiagnosticCatalogue.matmulDType(op, a.description, b.description, at: span))
            return nil
        }
        guard !a.dtype.isFP4 else {
            report(DiagnosticCatalogue.matmulFP4(op, a.with(space: .value).description, at: span))
            return nil
        }
        let (k1, k2) = (a.shape[a.rank - 1], b.shape[b.rank - 2])
        guard k1 == k2 else {
            report(DiagnosticCatalogue.matmulInnerMismatch(aName, a.with(space: .value).description, bName,
                                                           b.with(space: .value).description,
                                                           k1.description, k2.description, at: span))
            return nil
        }
        let (batchA, batchB) = (Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)))
        var batch: [Dim] = []
        for offset in stride(from: max(batchA.count, batchB.count), to: 0, by: -1) {
            let x = batchA.count >= offset ? batchA[batchA.count - offset] : nil
            let y = batchB.count >= offset ? batchB[batchB.count - offset] : nil
            switch (x, y) {
            case (let x?, let y?) where x == y || y.isOne: batch.append(x)
            case (let x?, let y?) where x.isOne: batch.append(y)
            case (let x?, let y?):
                let axis = max(a.rank, b.rank) - 2 - offset
                report(DiagnosticCatalogue.matmulBatchMismatch(aName, a.with(space: .value).description, bName,
                                                               b.with(space: .value).description, axis: axis,
                                                               x.description, y.description, at: span))
                return nil
            case (let x?, nil): batch.append(x)
            case (nil, let y?): batch.append(y)
            case (nil, nil): break
            }
        }
        return ValueType(.f32, batch + [a.shape[a.rank - 2], b.shape[b.rank - 1]])
    }

    /// `transpose(x)` / `x.T`: a whole tensor of rank 2 or more with its last two dims swapped,
    /// `[A, B] -> [B, A]`, `[B, H, S, D] -> [B, H, D, S]` (NumPy's `swapaxes(x, -1, -2)`).
    func checkTranspose(_ op: String, _ type: ValueType, _ operand: Expr, span: SourceSpan) -> ValueType? {
        if type.isTile {
            report(DiagnosticCatalogue.wholeTensorOnly(op, hint: "transpose the tensor before tiling it", at: span))
            return nil
        }
        guard type.rank >= 2 else {
            report(DiagnosticCatalogue.rankRequirement(op, "a value of rank 2 or more", what: operandName(operand, "its operand"),
                                                       found: type.description, at: span))
            return nil
        }
        var shape = type.shape
        shape.swapAt(type.rank - 1, type.rank - 2)
        return ValueType(type.dtype, shape)
    }

    /// The partition (first) dim of an sbuf/psum tile is at most 128; symbolic ones are re-checked on binding.
    func checkPartition(_ type: ValueType, span: SourceSpan) {
        guard type.isTile, let partition = type.shape.first else { return }
        checkLimit(StaticLimit(kind: .partition(type.space), dim: partition, span: span))
    }

    /// Reports a constant dim over its limit now; records a symbolic one for `bindDims`.
    func checkLimit(_ limit: StaticLimit) {
        guard let value = limit.dim.constantValue else {
            if context.kind == .kernel { context.limits.append(limit) }
            return
        }
        if let diagnostic = limitViolation(limit, value: value) { report(diagnostic) }
    }
}

/// The diagnostic for a limit whose dim has the value `value`, or nil if within the limit.
func limitViolation(_ limit: StaticLimit, value: Int) -> Diagnostic? {
    let dim = limit.dim.description
    switch limit.kind {
    case .partition(let space):
        guard value > 128 else { return nil }
        return DiagnosticCatalogue.partitionDimTooLarge(dim, value: value, space: space.rawValue, at: limit.span)
    case .matmulK, .matmulM, .matmulN:
        guard let maximum = limit.maximum, value > maximum else { return nil }
        let which = limit.kind == .matmulK ? "K (contraction dim)"
            : limit.kind == .matmulM ? "M (stationary free dim)" : "N (moving free dim, one PSUM bank)"
        return DiagnosticCatalogue.tensorEngineLimit(which, dim: dim, value: value, limit: maximum, at: limit.span)
    case .positive:
        guard value <= 0 else { return nil }
        return DiagnosticCatalogue.nonPositiveDim(dim, value: value, at: limit.span)
    case .sliceEnd(let end, let extent):
        guard value < 0 else { return nil }
        return DiagnosticCatalogue.sliceEndOutOfBounds(end: end, dim: extent, value: " (by \(-value))", at: limit.span)
    case .topkRow(let callee, let k):
        guard value < max(k, TopK.minRow) || value > TopK.maxRow else { return nil }
        return DiagnosticCatalogue.topkRow(callee, row: value, k: k, at: limit.span)
    case .bnStatsFree:
        guard value < 1 || value > BatchNormStats.maxFree else { return nil }
        return DiagnosticCatalogue.bnStatsFree(value, at: limit.span)
    case .bnAggrTuples:
        guard value < BatchNormStats.tupleWidth || value % BatchNormStats.tupleWidth != 0 else { return nil }
        return DiagnosticCatalogue.bnAggrTuples(value, at: limit.span)
    case .mxBlocks(let callee):
        guard value < ElementType.mxBlockSize || value % ElementType.mxBlockSize != 0 else { return nil }
        return DiagnosticCatalogue.mxBlocks(callee, value, at: limit.span)
    }
}
