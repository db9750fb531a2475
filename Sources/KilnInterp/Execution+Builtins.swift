// Execution+Builtins.swift: the builtins: math, maximum/minimum, reductions, matmul, transpose, select, tile ops.

import KilnMachine
import KilnNumerics
import KilnSema
import KilnSource
import KilnSyntax

extension Execution {
    func call(_ builtin: Builtin, _ arguments: [Argument], _ expr: Expr,
              _ frame: Frame) throws(InterpreterError) -> Value {
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
        case .maximum:
            return Broadcast.map([try operand(0), try operand(1)], dtype: dtype) { Self.nanPropagating($0[0], $0[1], max) }
        case .minimum:
            return Broadcast.map([try operand(0), try operand(1)], dtype: dtype) { Self.nanPropagating($0[0], $0[1], min) }
        case .sum, .max, .min, .mean:
            guard let axis = program.reductionAxes[expr.id] else { throw invariant("reduction has no axis", expr.span) }
            return reduce(builtin, try operand(0), axis: axis, dtype: dtype)
        case .matmul: return matmul(try operand(0), try operand(1))
        case .transpose: return transpose(try operand(0))
        case .select:
            return Broadcast.map([try operand(0), try operand(1), try operand(2)], dtype: dtype) { $0[0] != 0 ? $0[1] : $0[2] }
        case .load, .copy:
            let value = try operand(0)
            return Value(dtype: dtype, staticShape: value.staticShape, valid: value.valid,
                         elements: value.elements.map(dtype.convert))
        case .nc_matmul: return tileMatmul(stationary: try operand(0), moving: try operand(1))
        case .store: throw invariant("store used as a value", expr.span)
        case .math:
            throw invariant("'\(builtin)' has no definition", expr.span)
        }
    }

    /// max/min that return NaN when either side is NaN (as NumPy's maximum/minimum do).
    static func nanPropagating(_ a: Double, _ b: Double, _ pick: (Double, Double) -> Double) -> Double {
        a.isNaN || b.isNaN ? .nan : pick(a, b)
    }

    /// A reduction over the valid extent of `axis`, keeping the axis with size 1. Sums accumulate
    /// in f64 (exact enough that the order does not matter at f32 precision) and round once;
    /// `mean` divides the f64 sum by the count; `max`/`min` propagate NaN. `i32` sums wrap and
    /// `i32` means truncate toward zero.
    func reduce(_ builtin: Builtin, _ value: Value, axis: Int, dtype: ElementType) -> Value {
        let acrossRows = value.rank == 2 && axis == 0
        let (outer, inner) = acrossRows ? (value.columns, value.rows) : (value.rows, value.columns)
        var results: [Double] = []
        results.reserveCapacity(outer)
        for o in 0..<outer {
            var total = 0.0
            var extreme = builtin == .max ? -Double.infinity : Double.infinity
            var sawNaN = false
            for i in 0..<inner {
                let element = acrossRows ? value.at(i, o) : value.at(o, i)
                total += element
                if element.isNaN { sawNaN = true } else if builtin == .max ? element > extreme : element < extreme { extreme = element }
            }
            switch builtin {
            case .sum: results.append(dtype == .i32 ? Self.wrap(total) : total)
            case .mean:
                let mean = total / Double(inner)
                results.append(dtype == .i32 ? Self.wrap(mean.rounded(.towardZero)) : mean)
            default: results.append(sawNaN ? .nan : extreme)
            }
        }
        var staticShape = value.staticShape, valid = value.valid
        staticShape[axis] = 1
        valid[axis] = 1
        return Value(dtype: dtype, staticShape: staticShape, valid: valid, elements: results.map(dtype.storeComputed))
    }

    /// `a @ b`: [M, K] @ [K, N] -> f32[M, N], each dot product accumulated in f64 and rounded to
    /// f32 once.
    func matmul(_ a: Value, _ b: Value) -> Value {
        let (m, k, n) = (a.rows, min(a.columns, b.rows), b.columns)
        var out = [Double](repeating: 0, count: m * n)
        a.elements.withUnsafeBufferPointer { left in
            b.elements.withUnsafeBufferPointer { right in
                out.withUnsafeMutableBufferPointer { result in
                    for i in 0..<m {
                        for p in 0..<k {
                            let scale = left[i * a.columns + p]
                            for j in 0..<n { result[i * n + j] += scale * right[p * n + j] }
                        }
                    }
                }
            }
        }
        return Value(dtype: .f32, staticShape: [a.staticRows, b.staticColumns], valid: [m, n],
                     elements: out.map(ElementType.f32.storeComputed))
    }

    /// `nc_matmul(stationary[K, M], moving[K, N])` = stationary^T @ moving into PSUM f32[M, N], over
    /// the contraction rows both tiles hold.
    func tileMatmul(stationary: Value, moving: Value) -> Value {
        let (k, m, n) = (min(stationary.rows, moving.rows), stationary.columns, moving.columns)
        var out = [Double](repeating: 0, count: m * n)
        for p in 0..<k {
            for i in 0..<m {
                let scale = stationary.at(p, i)
                for j in 0..<n { out[i * n + j] += scale * moving.at(p, j) }
            }
        }
        return Value(dtype: .f32, staticShape: [stationary.staticColumns, moving.staticColumns], valid: [m, n],
                     elements: out.map(ElementType.f32.storeComputed))
    }

    /// `x.T` / `transpose(x)` of a rank-2 value.
    func transpose(_ value: Value) -> Value {
        var elements = [Double]()
        elements.reserveCapacity(value.elements.count)
        for column in 0..<value.columns {
            for row in 0..<value.rows { elements.append(value.at(row, column)) }
        }
        return Value(dtype: value.dtype, staticShape: value.staticShape.reversed(), valid: value.valid.reversed(),
                     elements: elements)
    }
}
