// ReferenceInterpreter.swift: the oracle: executes a checked kernel directly from its syntax tree, without tiling.

import KilnMachine
import KilnNumerics
import KilnSema
import KilnSource
import KilnSyntax

/// A run-time error, located in the kernel source.
public struct InterpreterError: Error, Sendable {
    public var diagnostic: Diagnostic
    public init(_ diagnostic: Diagnostic) { self.diagnostic = diagnostic }
}

/// The reference interpreter. It walks the checked syntax tree of one kernel with its dims bound
/// and computes every value in whole-tensor NumPy-like semantics:
///
/// - Each operation is computed in f64 and stored as its checked dtype by rounding to f32 first and
///   then to the dtype (`ElementType.storeComputed`): the fp32 engines' behaviour, rounded at every
///   value boundary. Float literals are f32 immediates. Casts convert a stored value once (RNE).
/// - Reductions accumulate in f64 and round once at the end. Matmuls (`@`, `nc_matmul`) add each product,
///   rounded to f32, to an f32 running sum in k order; `acc += nc_matmul(...)` adds them to the buffer's value
///   (Docs/numerics.md, "Matmul accumulation order"), as the simulator and the LLVM backend do.
/// - `i32` `+ - *` and negation wrap (two's complement); `/` and `%` truncate toward zero, and a zero
///   divisor is an error. Float `%` is C's `fmod` (the sign of the dividend).
/// - Tile-level code runs as written: loops, loads, stores and slices with remainder clipping, where
///   a clipped tile carries only its valid region (`Value`); a result element no `store` writes
///   stays NaN (0 for `i32`/`bool`), so incomplete coverage shows.
public struct ReferenceInterpreter: Sendable {
    public let program: CheckedProgram

    public init(program: CheckedProgram) { self.program = program }

    /// Runs `kernel` with `inputs` (one tensor per parameter, scalars as rank-0 tensors, already of
    /// the parameter's dtype and bound shape) and returns each result by name, in declared order.
    public func run(kernel: CheckedKernel, dims: BoundDims,
                    inputs: [String: Tensor]) throws(InterpreterError) -> [(name: String, tensor: Tensor)] {
        let execution = Execution(program: program)
        let frame = Frame(dimSizes: dims.sizes)
        for param in kernel.params {
            guard let tensor = inputs[param.name] else {
                throw InterpreterError(DiagnosticCatalogue.interpreterInvariant("no input for parameter '\(param.name)'", at: param.span))
            }
            frame.params.append(Value(tensor))
        }
        for result in kernel.results {
            let shape = try execution.shape(of: result.type, frame, at: result.span)
            let dtype = result.type.dtype
            let unwritten: Double = dtype.isFloat ? .nan : 0
            let count = shape.reduce(1, *)
            frame.results.append(Value(dtype: dtype, staticShape: shape, valid: shape,
                                       elements: Array(repeating: unwritten, count: count)))
        }
        try execution.execute(kernel.syntax.body, frame)
        var outputs: [(name: String, tensor: Tensor)] = []
        for (result, value) in zip(kernel.results, frame.results) {
            guard let tensor = value.tensor else {
                throw InterpreterError(DiagnosticCatalogue.interpreterInvariant("result '\(result.name)' has an inconsistent shape", at: result.span))
            }
            outputs.append((result.name, tensor))
        }
        return outputs
    }
}

/// One activation: a kernel body or an inlined helper call.
final class Frame {
    let dimSizes: [String: Int]
    var params: [Value] = []
    var results: [Value] = []
    /// Locals by the span of their declaration (as the checker's resolutions name them).
    var locals: [SourceSpan: Value] = [:]
    /// `var` buffers declared without a value, until something is written to them.
    var unwritten: Set<SourceSpan> = []
    /// `var` buffers filled with a constant and not written since: their first `+=` starts from the fill and
    /// gives them the added value's region (a remainder tile makes them a remainder tile).
    var filled: Set<SourceSpan> = []
    /// Lexical scopes, name -> declaration span, to resolve assignment targets.
    var scopes: [[String: SourceSpan]] = [[:]]
    var returned: [Value] = []

    init(dimSizes: [String: Int]) { self.dimSizes = dimSizes }

    func declare(_ name: Identifier, _ value: Value?) {
        if let value { locals[name.span] = value } else { unwritten.insert(name.span) }
        scopes[scopes.count - 1][name.name] = name.span
    }

    func lookup(_ name: String) -> SourceSpan? {
        for scope in scopes.reversed() { if let span = scope[name] { return span } }
        return nil
    }
}

/// The tree walk. Statements are in Execution+Statements.swift, expressions in
/// Execution+Expressions.swift, builtins in Execution+Builtins.swift.
struct Execution {
    let program: CheckedProgram

    func fail(_ diagnostic: Diagnostic) -> InterpreterError { InterpreterError(diagnostic) }

    func invariant(_ problem: String, _ span: SourceSpan) -> InterpreterError {
        InterpreterError(DiagnosticCatalogue.interpreterInvariant(problem, at: span))
    }

    /// The concrete shape of a checked type in this frame.
    func shape(of type: ValueType, _ frame: Frame, at span: SourceSpan) throws(InterpreterError) -> [Int] {
        var shape: [Int] = []
        for dim in type.shape {
            guard let size = dim.evaluate(frame.dimSizes), size >= 0 else {
                throw invariant("cannot evaluate dim '\(dim)'", span)
            }
            shape.append(size)
        }
        return shape
    }

    /// The checked type of an expression.
    func type(of expr: Expr) throws(InterpreterError) -> ValueType {
        guard let type = program.type(of: expr) else { throw invariant("expression has no checked type", expr.span) }
        return type
    }
}
