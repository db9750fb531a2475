// Execution+Statements.swift: the interpreter's statements: let, var, assignment, loops, return, store.

import KilnMachine
import KilnNumerics
import KilnSema
import KilnSource
import KilnSyntax

extension Execution {
    /// Runs a block in a new lexical scope.
    func execute(_ block: Block, _ frame: Frame) throws(InterpreterError) {
        frame.scopes.append([:])
        defer { frame.scopes.removeLast() }
        for statement in block.statements { try execute(statement, frame) }
    }

    func execute(_ statement: Statement, _ frame: Frame) throws(InterpreterError) {
        switch statement.kind {
        case .letBinding(let name, _, let value):
            frame.declare(name, try evaluate(value, frame))
        case .varDecl(let name, _, let initial):
            try declareVar(name, initial: initial, frame)
        case .assign(let target, let op, let value):
            try assign(target, op, value, frame)
        case .assignWindow(let target, let op, let value):
            try assignWindow(target, op, value, frame)
        case .forLoop(let variable, let lower, let upper, let step, let body):
            let low = try integer(lower, frame), high = try integer(upper, frame)
            let stride = try step.map { (expr) throws(InterpreterError) in try integer(expr, frame) } ?? 1
            guard stride > 0 else { throw invariant("loop step \(stride) is not positive", statement.span) }
            var index = low
            while index < high {
                frame.scopes.append([variable.name: variable.span])
                frame.locals[variable.span] = .scalar(Double(index), .i32)
                defer { frame.scopes.removeLast() }
                try execute(body, frame)
                index += stride
            }
        case .ifStatement(let condition, let then, let otherwise):
            let integer = { (expr: Expr) throws(InterpreterError) -> Int in try self.integer(expr, frame) }
            guard let holds = try AffineCondition.evaluate(condition, integer: integer) else {
                throw invariant("the condition of an 'if' is not affine", condition.span)
            }
            if holds {
                try execute(then, frame)
            } else if let otherwise {
                try execute(otherwise, frame)
            }
        case .returnValues(let values):
            frame.returned = []
            for value in values { frame.returned.append(try evaluate(value, frame)) }
            if !frame.results.isEmpty { try storeReturned(frame, at: statement.span) }
        case .expression(let expr):
            if case .call(_, let arguments) = expr.kind, program.calls[expr.id] == .builtin(.store) {
                guard arguments.count == 2 else { throw invariant("store takes two arguments", expr.span) }
                try store(into: arguments[0].value, arguments[1].value, frame)
            } else {
                _ = try evaluate(expr, frame)
            }
        }
    }

    /// `var name: space dt[shape] [= scalar or tile]`: a full tile buffer, or unwritten.
    private func declareVar(_ name: Identifier, initial: Expr?, _ frame: Frame) throws(InterpreterError) {
        guard let type = program.declarations[name.span] else { throw invariant("var '\(name)' has no type", name.span) }
        let shape = try self.shape(of: type, frame, at: name.span)
        let dtype = type.dtype
        guard let initial else { frame.declare(name, nil); return }
        let value = try evaluate(initial, frame)
        if value.rank == 0 {
            frame.declare(name, Value(dtype: dtype, staticShape: shape, valid: shape,
                                      elements: Array(repeating: dtype.convert(value.scalarValue), count: shape.reduce(1, *))))
            frame.filled.insert(name.span)
        } else {
            frame.declare(name, Value(dtype: dtype, staticShape: shape, valid: value.valid,
                                      elements: value.elements.map(dtype.convert)))
        }
    }

    /// `name = value` replaces the buffer's contents (and valid region); `name += value` adds
    /// into the region both hold, rounding each sum to the buffer's dtype. The first write into a buffer filled
    /// with a constant gives it the written value's region: the fill is where that write starts from, so a
    /// remainder tile makes it a remainder tile (Docs/numerics.md, "Tile-level code").
    private func assign(_ target: Identifier, _ op: AssignOp, _ valueExpr: Expr, _ frame: Frame) throws(InterpreterError) {
        guard let span = frame.lookup(target.name), let type = program.declarations[span] else {
            throw invariant("assignment to unknown buffer '\(target)'", target.span)
        }
        // `acc += nc_matmul(s, m)` into a PSUM buffer: the operands, evaluated once, for the accumulation below (one
        // pe.matmul adding each product to the buffer). An SBUF buffer adds the product formed apart, as any tile.
        var products: (stationary: Value, moving: Value)?
        if op == .accumulate, type.dtype == .f32, type.space == .psum, case .call(_, let arguments) = valueExpr.kind,
           program.calls[valueExpr.id] == .builtin(.nc_matmul),
           arguments.count == 2 {
            products = (try evaluate(arguments[0].value, frame), try evaluate(arguments[1].value, frame))
        }
        // `acc += nc_matmul_mx(s, m, ss, ms)` likewise, with the operands dequantized (one pe.matmul_mx).
        if op == .accumulate, type.dtype == .f32, type.space == .psum, case .call(_, let arguments) = valueExpr.kind,
           program.calls[valueExpr.id] == .builtin(.nc_matmul_mx), arguments.count == 4 {
            var operands: [Value] = []
            for argument in arguments { operands.append(try evaluate(argument.value, frame)) }
            products = dequantizedMX(operands)
        }
        let value: Value
        if let products {
            // Only the product's region is needed here: it is accumulated into the buffer below, not formed apart.
            let (s, m) = (products.stationary, products.moving)
            value = Value(dtype: .f32, staticShape: [s.staticColumns, m.staticColumns], valid: [s.columns, m.columns], elements: [])
        } else {
            value = try evaluate(valueExpr, frame)
        }
        let dtype = type.dtype
        let shape = try self.shape(of: type, frame, at: target.span)
        switch op {
        case .assign:
            if value.rank == 0 {
                frame.locals[span] = Value(dtype: dtype, staticShape: shape, valid: shape,
                                           elements: Array(repeating: dtype.convert(value.scalarValue), count: shape.reduce(1, *)))
            } else {
                frame.locals[span] = Value(dtype: dtype, staticShape: shape, valid: value.valid,
                                           elements: value.elements.map(dtype.convert))
            }
            frame.unwritten.remove(span)
            frame.filled.remove(span)
        case .accumulate:
            guard var buffer = frame.locals[span], !frame.unwritten.contains(span) else {
                throw fail(DiagnosticCatalogue.tileReadBeforeWrite(target.name, at: target.span))
            }
            let addend = value.rank == 0
                ? Value(dtype: value.dtype, staticShape: shape, valid: shape,
                        elements: Array(repeating: value.scalarValue, count: shape.reduce(1, *)))
                : value
            if frame.filled.remove(span) != nil, addend.rank == buffer.rank, addend.valid != buffer.valid {
                let valid = zip(buffer.valid, addend.valid).map { min($0, $1) }
                var region: [Double] = []
                region.reserveCapacity(valid.reduce(1, *))
                RowMajor.forEach(valid, strides: RowMajor.strides(buffer.valid)) { region.append(buffer.elements[$0]) }
                buffer = Value(dtype: buffer.dtype, staticShape: buffer.staticShape, valid: valid, elements: region)
            }
            let rows = min(buffer.rows, addend.rows), columns = min(buffer.columns, addend.columns)
            if let products {
                // `acc += nc_matmul(s, m)` is one pe.matmul accumulating into PSUM: each product is added to the
                // buffer's running sum in order (Docs/numerics.md, "Matmul accumulation order"), not summed apart first.
                var sums = buffer.elements.map { Float($0) }
                Self.accumulateTileMatmul(stationary: products.stationary, moving: products.moving, into: &sums,
                                          rowLength: buffer.columns, rows: rows, columns: columns)
                buffer.elements = sums.map(Double.init)
                frame.locals[span] = buffer
                return
            }
            // The region both hold, in any rank (a rank-3 `[P, F1, F2]` buffer too): index by index in each one's
            // own row-major layout.
            let region = zip(buffer.valid, addend.valid).map { min($0, $1) }
            var targets: [Int] = [], sources: [Int] = []
            RowMajor.forEach(region, strides: RowMajor.strides(buffer.valid)) { targets.append($0) }
            RowMajor.forEach(region, strides: RowMajor.strides(addend.valid)) { sources.append($0) }
            for (index, source) in zip(targets, sources) {
                buffer.elements[index] = dtype.storeComputed(buffer.elements[index] + addend.elements[source])
            }
            frame.locals[span] = buffer
        }
    }

    /// `name[items] = value` writes, and `name[items] += value` adds into, the window of the buffer (clipped at the
    /// buffer's valid region, as a tile's slice is) over the region the window and a tile value both hold, rounding
    /// as the whole-buffer forms do; the rest of the buffer is unchanged. A buffer nothing has written yet may take
    /// `=` (which gives it the value's rows; its other elements stay undefined: NaN here) but not `+=`.
    private func assignWindow(_ target: Expr, _ op: AssignOp, _ valueExpr: Expr, _ frame: Frame) throws(InterpreterError) {
        guard case .index(let base, let items) = target.kind, case .name(let name) = base.kind,
              let span = frame.lookup(name), let type = program.declarations[span],
              let infos = program.slices[target.id], infos.count == items.count else {
            throw invariant("assignment to an unknown window", target.span)
        }
        let value = try evaluate(valueExpr, frame)
        let dtype = type.dtype
        var buffer: Value
        if let current = frame.locals[span], !frame.unwritten.contains(span) {
            buffer = current
        } else if op == .assign {
            // The first write gives the buffer the value's rows (a remainder tile's), its free dims whole.
            let shape = try self.shape(of: type, frame, at: base.span)
            var valid = shape
            if value.rank == shape.count { valid[0] = min(valid[0], value.valid[0]) }
            buffer = Value(dtype: dtype, staticShape: shape, valid: valid, elements: Array(repeating: .nan, count: valid.reduce(1, *)))
        } else {
            throw fail(DiagnosticCatalogue.tileReadBeforeWrite(name, at: base.span))
        }
        guard items.count == buffer.rank else { throw invariant("window items do not match the buffer's rank", target.span) }
        // Windows have unit steps (the checker's K2165), so each item is clipped at the buffer's valid region.
        let (starts, windowShape, _, window) = try sliceWindow(of: buffer, items, infos, name: name, at: target.span, frame)
        // A value whose shape differs from the window's only in size-1 free dims is seen in the window's dims.
        var valueValid = value.valid
        if value.rank > 0, value.staticShape != windowShape {
            var free = zip(value.staticShape, value.valid).dropFirst().filter { $0.0 != 1 }.map(\.1).makeIterator()
            valueValid = [value.valid[0]] + windowShape.dropFirst().map { $0 == 1 ? 1 : (free.next() ?? 1) }
        }
        let region = value.rank == 0 ? window : zip(window, valueValid).map { min($0, $1) }
        let strides = RowMajor.strides(buffer.valid)
        let origin = zip(starts, strides).reduce(0) { $0 + $1.0 * $1.1 }
        var targets: [Int] = [], sources: [Int] = []
        RowMajor.forEach(region, strides: strides) { targets.append(origin + $0) }
        if value.rank > 0 { RowMajor.forEach(region, strides: RowMajor.strides(valueValid)) { sources.append($0) } }
        for (position, index) in targets.enumerated() {
            let addend = value.rank == 0 ? value.scalarValue : value.elements[sources[position]]
            buffer.elements[index] = op == .assign ? dtype.convert(addend) : dtype.storeComputed(buffer.elements[index] + addend)
        }
        frame.locals[span] = buffer
        frame.unwritten.remove(span)
        frame.filled.remove(span)
    }

    /// Converts the returned values to the kernel's results.
    private func storeReturned(_ frame: Frame, at span: SourceSpan) throws(InterpreterError) {
        guard frame.returned.count == frame.results.count else {
            throw invariant("return gives \(frame.returned.count) values for \(frame.results.count) results", span)
        }
        for (index, value) in frame.returned.enumerated() {
            let result = frame.results[index]
            guard value.valid == result.staticShape else {
                throw invariant("returned shape \(value.valid) is not the result's \(result.staticShape)", span)
            }
            frame.results[index].elements = value.elements.map(result.dtype.convert)
        }
    }

    /// `store(out[lo : hi, ...], tile)`: writes the tile's valid region at the slice's start,
    /// clipped at the result's bounds, converting each element to the result's dtype.
    private func store(into destination: Expr, _ tileExpr: Expr, _ frame: Frame) throws(InterpreterError) {
        let tile = try evaluate(tileExpr, frame)
        var baseExpr = destination
        var starts: [Int] = []
        if case .index(let base, let items) = destination.kind {
            baseExpr = base
            for item in items {
                switch item {
                case .index(let expr): starts.append(try integer(expr, frame))
                case .slice(let lower, _, _, _):
                    starts.append(try lower.map { (expr) throws(InterpreterError) in try integer(expr, frame) } ?? 0)
                }
            }
        }
        guard case .result(let index)? = program.resolutions[baseExpr.id], index < frame.results.count else {
            throw invariant("store destination is not a kernel result", destination.span)
        }
        var result = frame.results[index]
        if starts.isEmpty { starts = Array(repeating: 0, count: result.rank) }
        guard starts.count == result.rank, tile.rank <= result.rank else {
            throw invariant("store ranks disagree", destination.span)
        }
        for (axis, start) in starts.enumerated() where start < 0 || start >= result.staticShape[axis] {
            throw fail(DiagnosticCatalogue.sliceOutOfBounds("result '\(name(of: baseExpr))'", start: start, size: result.staticShape[axis],
                                         at: destination.span))
        }
        // The tile covers the last `tile.rank` dims of the result; the dims before them are indexed (size 1).
        let lead = result.rank - tile.rank
        let extents = (0..<result.rank).map { axis in
            max(0, min(axis < lead ? 1 : tile.valid[axis - lead], result.valid[axis] - starts[axis]))
        }
        let strides = RowMajor.strides(result.valid)
        let origin = zip(starts, strides).reduce(0) { $0 + $1.0 * $1.1 }
        let tileStrides = Array(repeating: 0, count: lead) + RowMajor.strides(tile.valid)
        var targets: [Int] = [], sources: [Int] = []
        RowMajor.forEach(extents, strides: strides) { targets.append(origin + $0) }
        RowMajor.forEach(extents, strides: tileStrides) { sources.append($0) }
        for (target, source) in zip(targets, sources) { result.elements[target] = result.dtype.convert(tile.elements[source]) }
        frame.results[index] = result
    }

    /// The name an expression is, or "value" when it is not a plain name.
    func name(of expr: Expr) -> String {
        if case .name(let name) = expr.kind { return name }
        return "value"
    }

    /// Evaluates an integer scalar expression (loop bounds, slice bounds).
    func integer(_ expr: Expr, _ frame: Frame) throws(InterpreterError) -> Int {
        let value = try evaluate(expr, frame)
        guard value.rank == 0, value.dtype == .i32 else { throw invariant("expected an i32 scalar", expr.span) }
        return Int(value.scalarValue)
    }
}
