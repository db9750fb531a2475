// Execution+Expressions.swift: evaluating expressions: literals, names, operators, casts, slices, helper calls.

import Foundation
import KilnMachine
import KilnNumerics
import KilnSema
import KilnSource
import KilnSyntax

extension Execution {
    func evaluate(_ expr: Expr, _ frame: Frame) throws(InterpreterError) -> Value {
        switch expr.kind {
        case .integer(let value): return .scalar(ElementType.i32.convert(Double(value)), .i32)
        case .float(let value): return .scalar(Double(Float(value)), .f32)
        case .bool(let value): return .scalar(value ? 1 : 0, .bool)
        case .name: return try name(expr, frame)
        case .unary(let op, let operand):
            let value = try evaluate(operand, frame)
            let dtype = try type(of: expr).dtype
            switch op {
            case .negate: return Broadcast.map([value], dtype: dtype) { dtype == .i32 ? Self.wrap(-$0[0]) : -$0[0] }
            case .not: return Broadcast.map([value], dtype: .bool) { $0[0] == 0 ? 1 : 0 }
            }
        case .binary(let op, let left, let right):
            let lhs = try evaluate(left, frame), rhs = try evaluate(right, frame)
            if op == .matmul { return matmul(lhs, rhs) }
            return try binary(op, lhs, rhs, dtype: try type(of: expr).dtype, at: expr.span)
        case .call(_, let arguments):
            switch program.calls[expr.id] {
            case .builtin(let builtin)?: return try call(builtin, arguments, expr, frame)
            case .function(let name, let dims)?: return try callHelper(name, dims: dims, arguments, expr, frame)
            case nil: throw invariant("call has no resolved target", expr.span)
            }
        case .index(let base, let items):
            return try slice(try evaluate(base, frame), items, expr, frame)
        case .member(let base, _):
            return transpose(try evaluate(base, frame))
        case .cast(let operand, _):
            let value = try evaluate(operand, frame)
            let dtype = try type(of: expr).dtype
            return Value(dtype: dtype, staticShape: value.staticShape, valid: value.valid,
                         elements: value.elements.map(dtype.convert))
        case .tuple:
            throw invariant("a tuple is evaluated as a value (the checker allows tuples only as reduction axes)", expr.span)
        case .error:
            throw invariant("the program has an error expression", expr.span)
        }
    }

    private func name(_ expr: Expr, _ frame: Frame) throws(InterpreterError) -> Value {
        switch program.resolutions[expr.id] {
        case .parameter(let index)? where index < frame.params.count:
            return frame.params[index]
        case .dim(let name)?:
            guard let size = frame.dimSizes[name] else { throw invariant("dim '\(name)' is not bound", expr.span) }
            return .scalar(ElementType.i32.convert(Double(size)), .i32)
        case .infinity?:
            return .scalar(.infinity, .f32)
        case .letBinding(let span)?, .loopVariable(let span)?, .varBuffer(let span)?:
            if frame.unwritten.contains(span) { throw fail(DiagnosticCatalogue.tileReadBeforeWrite(name(of: expr), at: expr.span)) }
            guard let value = frame.locals[span] else { throw invariant("'\(name(of: expr))' has no value", expr.span) }
            return value
        default:
            throw invariant("name '\(name(of: expr))' cannot be read here", expr.span)
        }
    }

    /// Two's complement wrap-around of an integer-valued Double to i32.
    static func wrap(_ value: Double) -> Double {
        guard value.isFinite, Swift.abs(value) < 9.0e18 else { return 0 }
        return Double(Int32(truncatingIfNeeded: Int64(value)))
    }

    /// Elementwise arithmetic, comparison and logic with broadcasting.
    private func binary(_ op: BinaryOp, _ lhs: Value, _ rhs: Value, dtype: ElementType,
                        at span: SourceSpan) throws(InterpreterError) -> Value {
        let integer = dtype == .i32
        if integer && (op == .divide || op == .remainder) && rhs.elements.contains(0) {
            throw fail(DiagnosticCatalogue.integerDivisionByZero(at: span))
        }
        let operation: ([Double]) -> Double
        switch op {
        case .add: operation = integer ? { IntegerArithmetic.add.apply($0[0], $0[1]) ?? 0 } : { $0[0] + $0[1] }
        case .subtract: operation = integer ? { IntegerArithmetic.sub.apply($0[0], $0[1]) ?? 0 } : { $0[0] - $0[1] }
        case .multiply: operation = integer ? { IntegerArithmetic.mul.apply($0[0], $0[1]) ?? 0 } : { $0[0] * $0[1] }
        case .divide: operation = integer ? { Self.wrap(($0[0] / $0[1]).rounded(.towardZero)) } : { $0[0] / $0[1] }
        case .remainder:
            operation = integer ? { Self.wrap(Double(Int64($0[0]) % Int64($0[1]))) } : { fmod($0[0], $0[1]) }
        case .equal: operation = { $0[0] == $0[1] ? 1 : 0 }
        case .notEqual: operation = { $0[0] != $0[1] ? 1 : 0 }
        case .less: operation = { $0[0] < $0[1] ? 1 : 0 }
        case .lessEqual: operation = { $0[0] <= $0[1] ? 1 : 0 }
        case .greater: operation = { $0[0] > $0[1] ? 1 : 0 }
        case .greaterEqual: operation = { $0[0] >= $0[1] ? 1 : 0 }
        case .and: operation = { $0[0] != 0 && $0[1] != 0 ? 1 : 0 }
        case .or: operation = { $0[0] != 0 || $0[1] != 0 ? 1 : 0 }
        case .matmul: return matmul(lhs, rhs)
        }
        return Broadcast.map([lhs, rhs], dtype: dtype, operation)
    }

    /// `x[lo : hi, ...]` on a tensor or a tile: the static size comes from the checker (a constant
    /// or a dim); the valid region is clipped at the end of the base's valid region. A whole tensor's
    /// `lo : hi : step` takes every step-th element from `lo` (the checker sized it, never clipped).
    private func slice(_ base: Value, _ items: [IndexItem], _ expr: Expr,
                       _ frame: Frame) throws(InterpreterError) -> Value {
        guard items.count == base.rank, let infos = program.slices[expr.id], infos.count == items.count else {
            throw invariant("slice items do not match the base's rank", expr.span)
        }
        var starts: [Int] = [], staticShape: [Int] = [], valid: [Int] = [], steps: [Int] = []
        for (axis, item) in items.enumerated() {
            let start: Int
            switch item {
            case .index(let index): start = try integer(index, frame)
            case .slice(let lower, _, _, _):
                start = try lower.map { (expr) throws(InterpreterError) in try integer(expr, frame) } ?? 0
            }
            guard let size = infos[axis].size.evaluate(frame.dimSizes) else {
                throw invariant("slice size '\(infos[axis].size)' cannot be evaluated", expr.span)
            }
            guard start >= 0, start < base.staticShape[axis] else {
                throw fail(DiagnosticCatalogue.sliceOutOfBounds("'\(sliceBaseName(expr))'", start: start, size: base.staticShape[axis], at: item.span))
            }
            guard let step = infos[axis].step.evaluate(frame.dimSizes), step > 0 else {
                throw invariant("slice step '\(infos[axis].step)' cannot be evaluated", expr.span)
            }
            starts.append(start)
            staticShape.append(size)
            steps.append(step)
            valid.append(step == 1 ? max(0, min(start + size, base.valid[axis]) - start) : size)
        }
        let baseStrides = RowMajor.strides(base.valid)
        let origin = zip(starts, baseStrides).reduce(0) { $0 + $1.0 * $1.1 }
        let strides = zip(baseStrides, steps).map { $0 * $1 }
        var elements = [Double]()
        elements.reserveCapacity(valid.reduce(1, *))
        RowMajor.forEach(valid, strides: strides) { elements.append(base.elements[origin + $0]) }
        return Value(dtype: base.dtype, staticShape: staticShape, valid: valid, elements: elements)
    }

    private func sliceBaseName(_ expr: Expr) -> String {
        if case .index(let base, _) = expr.kind { return name(of: base) }
        return "value"
    }

    /// A helper call: the arguments bind the helper's parameters in a new frame whose dims are the
    /// caller's dims substituted into the helper's (the checker's binding); the body runs and its
    /// one returned value is the call's value.
    private func callHelper(_ name: String, dims: [String: Dim], _ arguments: [Argument], _ expr: Expr,
                            _ frame: Frame) throws(InterpreterError) -> Value {
        guard let function = program.function(named: name), function.params.count == arguments.count else {
            throw invariant("helper '\(name)' does not match its call", expr.span)
        }
        var sizes: [String: Int] = [:]
        for (helperDim, callerDim) in dims {
            guard let size = callerDim.evaluate(frame.dimSizes) else { throw invariant("dim '\(callerDim)' is not bound", expr.span) }
            sizes[helperDim] = size
        }
        let callee = Frame(dimSizes: sizes)
        for argument in arguments { callee.params.append(try evaluate(argument.value, frame)) }
        try execute(function.syntax.body, callee)
        guard callee.returned.count == 1 else { throw invariant("helper '\(name)' returned \(callee.returned.count) values", expr.span) }
        return callee.returned[0]
    }
}
