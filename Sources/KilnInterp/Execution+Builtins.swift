// Execution+Builtins.swift: the builtins: math, maximum/minimum, pow, clamp, reductions, matmul, transpose, select, tile ops.

import Foundation
import KilnMachine
import KilnNumerics
import KilnSema
import KilnSource
import KilnSyntax

extension Execution {
    func call(_ builtin: Builtin, _ arguments: [Argument], _ expr: Expr,
              _ frame: Frame) throws(InterpreterError) -> Value {
        if builtin == .iota { return try iota(expr, frame) }
        if builtin == .activation { return try activation(arguments, expr, frame) }
        if builtin == .affine_select { return try affineSelect(arguments, expr, frame) }
        if builtin == .quantize_mx || builtin == .scale_mx { return try quantizeMX(builtin, arguments, expr, frame) }
        if builtin == .broadcast_to, let source = arguments.first {
            // The shape is the checker's type; a zero tensor of it gives Broadcast.map the target shape.
            let shape = try self.shape(of: try type(of: expr), frame, at: expr.span)
            let target = Value(dtype: .f32, staticShape: shape, valid: shape,
                               elements: Array(repeating: 0, count: shape.reduce(1, *)))
            return Broadcast.map([try evaluate(source.value, frame), target], dtype: try type(of: expr).dtype) { $0[0] }
        }
        if builtin == .reshape, let source = arguments.first {
            // The new shape is the checker's type; the row-major elements stay as they are.
            let shape = try self.shape(of: try type(of: expr), frame, at: expr.span)
            let value = try evaluate(source.value, frame)
            guard try type(of: expr).isTile, value.valid != value.staticShape else {
                return Value(dtype: value.dtype, staticShape: shape, valid: shape, elements: value.elements)
            }
            // A remainder tile keeps its valid partitions; its free dims regroup only when they are whole.
            guard value.valid.dropFirst() == value.staticShape.dropFirst() else {
                throw fail(DiagnosticCatalogue.tileReshapeClipped(value.valid, shape, at: expr.span))
            }
            return Value(dtype: value.dtype, staticShape: shape, valid: [value.valid[0]] + shape.dropFirst(),
                         elements: value.elements)
        }
        var values: [Value] = []
        for argument in arguments where argument.label == nil { values.append(try evaluate(argument.value, frame)) }
        let dtype = try type(of: expr).dtype
        func operand(_ index: Int) throws(InterpreterError) -> Value {
            guard index < values.count else { throw invariant("'\(builtin)' is missing an argument", expr.span) }
            return values[index]
        }
        if case .math(let function) = builtin {
            return Broadcast.map([try operand(0)], dtype: dtype) { function.apply($0[0]) }
        }
        switch builtin {
        case .bitwise_and, .bitwise_or, .bitwise_xor, .left_shift, .right_shift:
            let op: BitwiseOperation = builtin == .bitwise_and ? .and : builtin == .bitwise_or ? .or
                : builtin == .bitwise_xor ? .xor : builtin == .left_shift ? .shiftLeft : .shiftRight
            return Broadcast.map([try operand(0), try operand(1)], dtype: dtype) { op.apply($0[0], $0[1]) }
        case .maximum:
            return Broadcast.map([try operand(0), try operand(1)], dtype: dtype) { Self.nanPropagating($0[0], $0[1], max) }
        case .minimum:
            return Broadcast.map([try operand(0), try operand(1)], dtype: dtype) { Self.nanPropagating($0[0], $0[1], min) }
        case .pow:
            return Broadcast.map([try operand(0), try operand(1)], dtype: dtype) { Foundation.pow($0[0], $0[1]) }
        case .clamp:
            // minimum(maximum(x, lo), hi): each step is exact, so one map gives the same values.
            return Broadcast.map([try operand(0), try operand(1), try operand(2)], dtype: dtype) {
                Self.nanPropagating(Self.nanPropagating($0[0], $0[1], max), $0[2], min)
            }
        case .sum, .max, .min, .mean:
            guard let axes = program.reductionAxes[expr.id], !axes.isEmpty else {
                throw invariant("reduction has no axis", expr.span)
            }
            return reduce(builtin, try operand(0), axes: axes, dtype: dtype)
        case .matmul: return matmul(try operand(0), try operand(1))
        case .transpose:
            if let perm = program.reductionAxes[expr.id] { return permute(try operand(0), perm: perm) }
            return transpose(try operand(0))
        case .select:
            return Broadcast.map([try operand(0), try operand(1), try operand(2)], dtype: dtype) { $0[0] != 0 ? $0[1] : $0[2] }
        case .load, .copy:
            // A load of a slice of a rank-N tensor drops the indexed (size-1) batch dims: the tile has the
            // type's rank.
            let value = try operand(0)
            let rank = try type(of: expr).rank
            return Value(dtype: dtype, staticShape: Array(value.staticShape.suffix(rank)), valid: Array(value.valid.suffix(rank)),
                         elements: value.elements.map(dtype.convert))
        case .nc_matmul: return tileMatmul(stationary: try operand(0), moving: try operand(1))
        case .nc_transpose: return transpose(try operand(0))  // exact: the values move, none is computed
        case .bn_stats, .bn_aggr: return statistics(try operand(0), stats: builtin == .bn_stats)
        case .nc_matmul_mx:
            guard values.count == 4 else { throw invariant("'nc_matmul_mx' is missing an argument", expr.span) }
            let (stationary, moving) = dequantizedMX(values)
            return tileMatmul(stationary: stationary, moving: moving)
        case .activation, .affine_select, .quantize_mx, .scale_mx:
            throw invariant("'\(builtin)' is evaluated on its own", expr.span)
        case .store: throw invariant("store used as a value", expr.span)
        case .iota: return try iota(expr, frame)
        case .argmax, .argmin:
            guard let axis = program.reductionAxes[expr.id]?.first else { throw invariant("'\(builtin)' has no axis", expr.span) }
            return argReduce(try operand(0), axis: axis, largest: builtin == .argmax)
        case .topk, .argtopk:
            guard arguments.count == 2, let k = Builtin.topkCount(arguments[1].value) else {
                throw invariant("'\(builtin)' has no k", expr.span)
            }
            return topK(try operand(0), k: k, indices: builtin == .argtopk)
        case .cumsum:
            let x = try operand(0)
            return scan(Value(dtype: dtype, staticShape: x.staticShape, valid: x.valid,
                              elements: Array(repeating: 1, count: x.elements.count)), x, dtype: dtype,
                        initial: try scanInitial(arguments, frame))
        case .scan:
            let shaped = Broadcast.map([try operand(0), try operand(1)], dtype: .f32) { $0[0] }
            let other = Broadcast.map([try operand(0), try operand(1)], dtype: .f32) { $0[1] }
            return scan(shaped, other, dtype: dtype, initial: try scanInitial(arguments, frame))
        case .gather:
            return try gather(try operand(0), try operand(1), dtype: dtype, expr: expr)
        case .scatter_add:
            return try scatterAdd(try operand(0), try operand(1), try operand(2), dtype: dtype, expr: expr)
        case .concat:
            guard let axis = program.reductionAxes[expr.id]?.first else { throw invariant("'concat' has no axis", expr.span) }
            return concat(values, axis: axis, dtype: dtype)
        case .math, .broadcast_to, .reshape:
            throw invariant("'\(builtin)' has no definition", expr.span)
        }
    }

    /// `activation(f, x, bias: b, scale: s)` as the scalar engine computes it: the argument `x * s + b` in f64
    /// rounded once to f32 (scale and a scalar bias are f32 immediates; a [P, 1] bias tile is read as stored; a zero
    /// bias adds nothing, `MathFunction.activationAddend`),
    /// `f` of it rounded to f32, then the result rounded to x's dtype (Docs/numerics.md).
    func activation(_ arguments: [Argument], _ expr: Expr, _ frame: Frame) throws(InterpreterError) -> Value {
        let positional = arguments.filter { $0.label == nil }
        guard let call = program.activations[expr.id], positional.count == 2 else {
            throw invariant("'activation' was not checked", expr.span)
        }
        let x = try evaluate(positional[1].value, frame)
        var bias = Value.scalar(0, .f32)
        if let id = call.bias, let argument = arguments.first(where: { $0.value.id == id }) {
            bias = try evaluate(argument.value, frame)
            if bias.staticShape.isEmpty { bias.elements = bias.elements.map { Double(Float($0)) } }
        }
        var scale = Value.scalar(call.scale, .f32)
        if let id = call.scaleTile, let argument = arguments.first(where: { $0.value.id == id }) {
            scale = try evaluate(argument.value, frame)   // a [P, 1] tile, read as stored
        }
        let function = call.function
        return Broadcast.map([x, bias, scale], dtype: try type(of: expr).dtype) { operands in
            let argument = Double(Float(operands[0] * operands[2] + MathFunction.activationAddend(bias: operands[1])))
            return Double(Float(function.apply(argument)))
        }
    }

    /// `affine_select(x, fill, ...)`: element (p, f) of x's valid region where `offset + partition * p + free * f >= 0`,
    /// else the fill (an f32 value) converted to x's dtype.
    func affineSelect(_ arguments: [Argument], _ expr: Expr, _ frame: Frame) throws(InterpreterError) -> Value {
        guard let call = program.affineSelects[expr.id], let source = arguments.first(where: { $0.label == nil }) else {
            throw invariant("'affine_select' was not checked", expr.span)
        }
        let x = try evaluate(source.value, frame)
        var offset = 0
        if let id = call.offset, let argument = arguments.first(where: { $0.value.id == id }) {
            offset = try integer(argument.value, frame)
        }
        guard x.rank == 2 else { throw invariant("'affine_select' of a tile that is not rank 2", expr.span) }
        let columns = x.valid[1]
        let elements = x.elements.indices.map { index in
            offset + call.partition * (index / max(1, columns)) + call.free * (index % max(1, columns)) >= 0
                ? x.elements[index] : x.dtype.convert(call.fill)
        }
        return Value(dtype: x.dtype, staticShape: x.staticShape, valid: x.valid, elements: elements)
    }

    /// `gather(table, indices)`: row `table[i]` for each index `i`, in the indices' order; an index outside the
    /// table's rows is an error located at the call.
    func gather(_ table: Value, _ indices: Value, dtype: ElementType, expr: Expr) throws(InterpreterError) -> Value {
        let (rows, width) = (table.staticShape[0], table.staticShape.count == 2 ? table.staticShape[1] : 1)
        var elements: [Double] = []
        elements.reserveCapacity(indices.elements.count * width)
        for (position, index) in indices.elements.enumerated() {
            guard index >= 0, index < Double(rows) else {
                throw fail(DiagnosticCatalogue.gatherIndexOutOfRange(Int(exactly: index) ?? Int.min, position: position,
                                                                     rows: rows, at: expr.span))
            }
            let start = Int(index) * width
            elements += table.elements[start..<(start + width)]
        }
        let shape = indices.staticShape + [width]
        return Value(dtype: dtype, staticShape: shape, valid: shape, elements: elements)
    }

    /// `scatter_add(table, indices, values)`: a copy of the table; for each index in row-major order, its row of values
    /// added into the row it names, each sum in f32 and rounded to the dtype (as the DMA engines' add does).
    func scatterAdd(_ table: Value, _ indices: Value, _ values: Value, dtype: ElementType,
                    expr: Expr) throws(InterpreterError) -> Value {
        let (rows, width) = (table.staticShape[0], table.staticShape.count == 2 ? table.staticShape[1] : 1)
        var out = table.elements
        for (position, index) in indices.elements.enumerated() {
            guard index >= 0, index < Double(rows) else {
                throw fail(DiagnosticCatalogue.scatterIndexOutOfRange(Int(exactly: index) ?? Int.min, position: position,
                                                                      rows: rows, at: expr.span))
            }
            let (start, source) = (Int(index) * width, position * width)
            for column in 0..<width {
                out[start + column] = dtype.convert(Double(Float(out[start + column]) + Float(values.elements[source + column])))
            }
        }
        return Value(dtype: dtype, staticShape: table.staticShape, valid: table.staticShape, elements: out)
    }

    /// `concat(a, b, ..., axis: k)`: for each index before `axis`, the operands' runs along `axis` and after it,
    /// one after another.
    func concat(_ values: [Value], axis: Int, dtype: ElementType) -> Value {
        guard let first = values.first else { return Value(dtype: dtype, staticShape: [0], valid: [0], elements: []) }
        var shape = first.staticShape
        shape[axis] = values.reduce(0) { $0 + $1.staticShape[axis] }
        let outer = shape[..<axis].reduce(1, *)
        var elements: [Double] = []
        elements.reserveCapacity(shape.reduce(1, *))
        for block in 0..<outer {
            for value in values {
                let run = value.staticShape[axis...].reduce(1, *)
                elements += value.elements[(block * run)..<((block + 1) * run)].map(dtype.convert)
            }
        }
        return Value(dtype: dtype, staticShape: shape, valid: shape, elements: elements)
    }

    /// `iota(shape, axis: k)`: each element's index along axis k (the checker's type gives the shape).
    func iota(_ expr: Expr, _ frame: Frame) throws(InterpreterError) -> Value {
        let shape = try self.shape(of: try type(of: expr), frame, at: expr.span)
        guard let axis = program.reductionAxes[expr.id]?.first, axis < shape.count else {
            throw invariant("iota has no axis", expr.span)
        }
        let stride = shape[(axis + 1)...].reduce(1, *)
        let count = shape.reduce(1, *)
        return Value(dtype: .i32, staticShape: shape, valid: shape,
                     elements: (0..<count).map { Double(($0 / stride) % shape[axis]) })
    }

    /// h[t] = a[t] * h[t - 1] + b[t] along the last axis from h = `initial` (0 unless a tile scan gives `initial:`,
    /// a scalar or one value per row), with `dve.tensor_scan`'s numerics: the operands in `dtype`, the state starting
    /// at the initial value rounded to f32, each step rounded to f32, each h stored rounded to `dtype`.
    func scan(_ a: Value, _ b: Value, dtype: ElementType, initial: Value? = nil) -> Value {
        let length = a.valid.last ?? 1
        var out = [Double](repeating: 0, count: a.elements.count)
        var (row, rowIndex) = (0, 0)
        while row < out.count {
            var state: Float = 0
            if let initial, !initial.elements.isEmpty {
                state = Float(initial.elements[initial.rank == 0 ? 0 : min(rowIndex, initial.elements.count - 1)])
            }
            for index in row..<min(out.count, row + length) {
                let (x, y) = (dtype.convert(a.elements[index]), dtype.convert(b.elements[index]))
                state = Float(Double(Float(x * Double(state))) + y)
                out[index] = dtype.convert(Double(state))
            }
            row += length
            rowIndex += 1
        }
        return Value(dtype: dtype, staticShape: a.staticShape, valid: a.valid, elements: out)
    }

    /// The `initial:` argument of a tile scan, evaluated (nil when not given).
    func scanInitial(_ arguments: [Argument], _ frame: Frame) throws(InterpreterError) -> Value? {
        guard let argument = arguments.first(where: { $0.label?.name == "initial" }) else { return nil }
        return try evaluate(argument.value, frame)
    }

    /// The index along `axis` of the first largest (smallest) element, or of the first NaN (NumPy's rule).
    func argReduce(_ value: Value, axis: Int, largest: Bool) -> Value {
        let shape = value.staticShape
        let stride = shape[(axis + 1)...].reduce(1, *)
        let length = shape[axis]
        var outShape = shape
        outShape[axis] = 1
        let count = outShape.reduce(1, *)
        var out = [Double](repeating: 0, count: count)
        for index in 0..<count {
            let (outer, inner) = (index / stride, index % stride)
            let base = outer * length * stride + inner
            var best = 0
            for position in 0..<length {
                let x = value.elements[base + position * stride], current = value.elements[base + best * stride]
                if current.isNaN { break }
                if x.isNaN || (largest ? x > current : x < current) { best = position }
                if x.isNaN { break }
            }
            out[index] = Double(best)
        }
        var valid = value.valid
        if axis < valid.count { valid[axis] = 1 }
        return Value(dtype: .i32, staticShape: outShape, valid: valid, elements: out)
    }

    /// `topk` / `argtopk` along the last axis: each row's k first-ranked elements (`TopKOrder`), or their positions.
    func topK(_ value: Value, k: Int, indices: Bool) -> Value {
        let length = value.staticShape.last ?? 1
        var out: [Double] = []
        for start in Swift.stride(from: 0, to: value.elements.count, by: max(1, length)) {
            let row = Array(value.elements[start..<(start + length)])
            let positions = TopKOrder.top(row, k: k)
            out += indices ? positions.map(Double.init) : positions.map { row[$0] }
        }
        let shape = Array(value.staticShape.dropLast()) + [k]
        return Value(dtype: indices ? .i32 : value.dtype, staticShape: shape, valid: shape, elements: out)
    }

    /// `bn_stats` / `bn_aggr` of a rank-2 tile: each valid partition's valid elements (a value holds its valid
    /// region) through BatchNormStats, read as f32 (exact for every float tile dtype), an f32 `[P, 6]` / `[P, 2]` tile
    /// of the operand's valid partitions.
    func statistics(_ value: Value, stats: Bool) -> Value {
        let (partitions, free) = (value.rows, value.columns)
        let columns = stats ? BatchNormStats.statsWidth : 2
        var out: [Double] = []
        for partition in 0..<partitions {
            let row = (0..<free).map { Float(value.at(partition, $0)) }
            out += (stats ? BatchNormStats.stats(row) : BatchNormStats.aggregate(row)).map(Double.init)
        }
        return Value(dtype: .f32, staticShape: [value.staticRows, columns], valid: [partitions, columns], elements: out)
    }

    /// max/min that return NaN when either side is NaN (as NumPy's maximum/minimum do).
    static func nanPropagating(_ a: Double, _ b: Double, _ pick: (Double, Double) -> Double) -> Double {
        a.isNaN || b.isNaN ? .nan : pick(a, b)
    }

    /// A reduction over the valid extents of `axes` (one or more), keeping each with size 1 (Docs/numerics.md,
    /// "Reduction order"). A float `sum` or `mean` adds in f32, one axis at a time (the last listed axis first),
    /// each output element's running sum starting at +0 and taking the elements in index order; `mean` divides
    /// the f32 sum by the number of elements once. `max`/`min` propagate NaN. `i32` sums wrap and `i32` means
    /// truncate toward zero.
    func reduce(_ builtin: Builtin, _ value: Value, axes: [Int], dtype: ElementType) -> Value {
        if value.dtype.isFloat, builtin == .sum || builtin == .mean {
            var sums = value
            for axis in Set(axes).sorted(by: >) { sums = Self.sequentialSum(sums, axis: axis) }
            let count = Double(axes.reduce(1) { $0 * value.valid[$1] })
            let results = builtin == .mean ? sums.elements.map { Double(Float($0 / count)) } : sums.elements
            return Value(dtype: dtype, staticShape: sums.staticShape, valid: sums.valid, elements: results.map(dtype.storeComputed))
        }
        var staticShape = value.staticShape, valid = value.valid
        for axis in axes {
            staticShape[axis] = 1
            valid[axis] = 1
        }
        // Each input element's output slot: its index with the reduced axes at 0.
        let outputStrides = RowMajor.strides(valid).enumerated().map { axes.contains($0.offset) ? 0 : $0.element }
        let slots = valid.reduce(1, *)
        let count = axes.reduce(1) { $0 * value.valid[$1] }
        var totals = [Double](repeating: 0, count: slots)
        var extremes = [Double](repeating: builtin == .max ? -Double.infinity : Double.infinity, count: slots)
        var sawNaN = [Bool](repeating: false, count: slots)
        var element = 0
        RowMajor.forEach(value.valid, strides: outputStrides) { slot in
            let x = value.elements[element]
            element += 1
            totals[slot] += x
            if x.isNaN { sawNaN[slot] = true } else if builtin == .max ? x > extremes[slot] : x < extremes[slot] { extremes[slot] = x }
        }
        let results: [Double] = (0..<slots).map { slot in
            switch builtin {
            case .sum: return dtype == .i32 ? Self.wrap(totals[slot]) : totals[slot]
            case .mean:
                let mean = totals[slot] / Double(count)
                return dtype == .i32 ? Self.wrap(mean.rounded(.towardZero)) : mean
            default: return sawNaN[slot] ? .nan : extremes[slot]
            }
        }
        return Value(dtype: dtype, staticShape: staticShape, valid: valid, elements: results.map(dtype.storeComputed))
    }

    /// `value` summed along `axis` (kept with size 1) in f32: each output element's sum starts at +0 and adds the
    /// elements along the axis in index order, rounding to f32 after each addition. The result holds f32 values.
    static func sequentialSum(_ value: Value, axis: Int) -> Value {
        var staticShape = value.staticShape, valid = value.valid
        staticShape[axis] = 1
        valid[axis] = 1
        let length = value.valid[axis]
        let inner = value.valid[(axis + 1)...].reduce(1, *)
        let outer = value.valid[..<axis].reduce(1, *)
        var sums = [Float](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for r in 0..<length {
                let base = (o * length + r) * inner
                for i in 0..<inner { sums[o * inner + i] += Float(value.elements[base + i]) }
            }
        }
        return Value(dtype: .f32, staticShape: staticShape, valid: valid, elements: sums.map(Double.init))
    }

    /// `a @ b`: [..., M, K] @ [..., K, N] -> f32[..., M, N] with NumPy-broadcast batch dims. Each product is
    /// rounded to f32 and added to the output element's f32 running sum in order k = 0, 1, ... (Docs/numerics.md,
    /// "Matmul accumulation order"), as the simulator and the LLVM backend accumulate in PSUM.
    func matmul(_ a: Value, _ b: Value) -> Value {
        let (ra, rb) = (a.rank, b.rank)
        let (m, ka, kb, n) = (a.valid[ra - 2], a.valid[ra - 1], b.valid[rb - 2], b.valid[rb - 1])
        let k = min(ka, kb)
        // The batch dims as values of their own, to reuse NumPy broadcasting of shapes and strides.
        let batchA = Value(dtype: a.dtype, staticShape: Array(a.staticShape.dropLast(2)), valid: Array(a.valid.dropLast(2)), elements: [])
        let batchB = Value(dtype: b.dtype, staticShape: Array(b.staticShape.dropLast(2)), valid: Array(b.valid.dropLast(2)), elements: [])
        let batchShape = Broadcast.staticShape([batchA.staticShape, batchB.staticShape])
        let batchValid = Broadcast.validShape([batchA, batchB], staticShape: batchShape)
        var offsetsA: [Int] = [], offsetsB: [Int] = []
        RowMajor.forEach(batchValid, strides: Broadcast.strides(of: batchA, staticShape: batchShape)) { offsetsA.append($0 * m * ka) }
        RowMajor.forEach(batchValid, strides: Broadcast.strides(of: batchB, staticShape: batchShape)) { offsetsB.append($0 * kb * n) }
        // Operands are values of float dtypes of at most 24 significant bits: exact as `Float`.
        let (left, right) = (a.elements.map { Float($0) }, b.elements.map { Float($0) })
        var out = [Float](repeating: 0, count: offsetsA.count * m * n)
        for batch in offsetsA.indices {
            let (baseA, baseB, baseOut) = (offsetsA[batch], offsetsB[batch], batch * m * n)
            for i in 0..<m {
                Self.accumulateRow(into: &out, at: baseOut + i * n, n: n, k: k) { left[baseA + i * ka + $0] } moving: { (right, baseB + $0 * n) }
            }
        }
        return Value(dtype: .f32, staticShape: batchShape + [a.staticShape[ra - 2], b.staticShape[rb - 1]],
                     valid: batchValid + [m, n], elements: out.map(Double.init))
    }

    /// `nc_matmul(stationary[K, M], moving[K, N])` = stationary^T @ moving into PSUM f32[M, N], over
    /// the contraction rows both tiles hold, summed from +0 as `a @ b` is (`accumulateMatmul` adds into a buffer).
    func tileMatmul(stationary: Value, moving: Value) -> Value {
        let (m, n) = (stationary.columns, moving.columns)
        var out = [Float](repeating: 0, count: m * n)
        Self.accumulateTileMatmul(stationary: stationary, moving: moving, into: &out, rowLength: n, rows: m, columns: n)
        return Value(dtype: .f32, staticShape: [stationary.staticColumns, moving.staticColumns], valid: [m, n],
                     elements: out.map(Double.init))
    }

    /// `acc += nc_matmul(s, m)` into rows `0 ..< rows` and columns `0 ..< columns` of `sums` (rows `rowLength`
    /// apart): each product rounded to f32 and added to the element's running f32 sum, in contraction order.
    static func accumulateTileMatmul(stationary: Value, moving: Value, into sums: inout [Float], rowLength: Int,
                                     rows: Int, columns: Int) {
        let k = min(stationary.rows, moving.rows)
        let (s, v) = (stationary.elements.map { Float($0) }, moving.elements.map { Float($0) })
        let (sColumns, vColumns) = (stationary.columns, moving.columns)
        for i in 0..<rows {
            accumulateRow(into: &sums, at: i * rowLength, n: columns, k: k) { s[$0 * sColumns + i] } moving: { (v, $0 * vColumns) }
        }
    }

    /// Adds `sum over p < k of weight(p) * moving[p][j]` into `sums[base + j]` for j < n, one product at a time
    /// in order p = 0, 1, ...: each product rounded to `Float`, each sum rounded (Swift never fuses them into an
    /// FMA). `moving(p)` gives the array and the start of its row p.
    @inline(__always)
    static func accumulateRow(into sums: inout [Float], at base: Int, n: Int, k: Int, weight: (Int) -> Float,
                              moving: (Int) -> ([Float], Int)) {
        for p in 0..<k {
            let scale = weight(p)
            let (row, start) = moving(p)
            for j in 0..<n { sums[base + j] = sums[base + j] + scale * row[start + j] }
        }
    }

    /// `x.T` / `transpose(x)`: the last two dims swapped, per batch index.
    func transpose(_ value: Value) -> Value {
        let rank = value.rank
        let (rows, columns) = (value.valid[rank - 2], value.valid[rank - 1])
        let batches = value.valid.dropLast(2).reduce(1, *)
        var elements = [Double]()
        elements.reserveCapacity(value.elements.count)
        for batch in 0..<batches {
            let base = batch * rows * columns
            for column in 0..<columns {
                for row in 0..<rows { elements.append(value.elements[base + row * columns + column]) }
            }
        }
        var staticShape = value.staticShape, valid = value.valid
        staticShape.swapAt(rank - 1, rank - 2)
        valid.swapAt(rank - 1, rank - 2)
        return Value(dtype: value.dtype, staticShape: staticShape, valid: valid, elements: elements)
    }

    /// `transpose(x, perm:)`: NumPy's `transpose(x, perm)`; result axis i is x's axis perm[i].
    func permute(_ value: Value, perm: [Int]) -> Value {
        let shape = perm.map { value.valid[$0] }
        let strides = RowMajor.strides(value.valid)
        var elements = [Double]()
        elements.reserveCapacity(shape.reduce(1, *))
        RowMajor.forEach(shape, strides: perm.map { strides[$0] }) { elements.append(value.elements[$0]) }
        return Value(dtype: value.dtype, staticShape: shape, valid: shape, elements: elements)
    }
}
