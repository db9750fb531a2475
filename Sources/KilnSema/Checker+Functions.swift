// Checker+Functions.swift: calls to helper functions: arity, labels, dtypes, and dim unification.

import KilnSource
import KilnSyntax

extension Checker {
    /// Checks a call to a helper and returns its result type with the helper's dims replaced by the caller's.
    ///
    /// Dim unification, in three passes over the (parameter, argument) pairs:
    /// 1. Every parameter dim that is exactly one helper dim (`K`) binds it to the argument's dim; a dim
    ///    bound twice must get equal dims (`N` and `N`, never `N` and `D`) or the call is an error naming both.
    /// 2. Helper dims still unbound take their `<K = 4>` default; a dim with neither cannot be inferred.
    /// 3. Compound parameter dims (`K + 1`, `2*K`, constants) are evaluated under the bindings and must
    ///    equal the argument's dim exactly (after affine normalisation).
    /// The result type is the declared one under the same substitution. Arguments must be whole tensors or
    /// scalars; a scalar argument is weak (an i32 scalar may be passed for an f32 scalar parameter).
    /// `argumentTypes` are the arguments' types when the caller already checked them; `instance` names the
    /// specialisation of a generic helper being called (`scale<bf16>`).
    func checkFunctionCall(_ signature: FunctionSignature, _ callee: Identifier, _ arguments: [Argument],
                           _ expr: Expr, argumentTypes: [ValueType?]? = nil, instance: String? = nil) -> ValueType? {
        let name = callee.name
        if context.kind == .function { context.callees.append((instance ?? name, callee.span)) }
        let types = argumentTypes ?? arguments.map { checkExpr($0.value) }
        guard arguments.count == signature.params.count else {
            report(DiagnosticCatalogue.wrongArity(name, expected: DiagnosticCatalogue.argumentCount(signature.params.count),
                                                  given: arguments.count, at: expr.span))
            return nil
        }
        var ok = true
        for (index, argument) in arguments.enumerated() {
            if let label = argument.label, label.name != signature.params[index].name {
                report(DiagnosticCatalogue.wrongArgumentLabel(name, position: index + 1, label: label.name,
                                                              expected: signature.params[index].name, at: label.span))
                ok = false
            }
        }
        // Pass 1: ranks, dtypes, and bindings of plain dims.
        var bindings: [String: (dim: Dim, from: String)] = [:]
        var tensorPairs: [(param: ValueType, argument: ValueType, name: String, span: SourceSpan)] = []
        for (index, argument) in arguments.enumerated() {
            let param = signature.params[index]
            guard let expected = param.type, let found = types[index] else {
                ok = false
                continue
            }
            let span = argument.value.span
            if found.isTile {
                report(DiagnosticCatalogue.callTileArgument(name, param.name, found: found.description, at: span))
                ok = false
                continue
            }
            if expected.isScalar {
                if !found.isScalar || !weakScalarFits(found.dtype, into: expected.dtype) {
                    report(DiagnosticCatalogue.callArgumentType(name, param.name, expected: expected.description,
                                                                found: found.description, at: span))
                    ok = false
                }
                continue
            }
            guard found.rank == expected.rank && found.dtype == expected.dtype else {
                report(DiagnosticCatalogue.callArgumentType(name, param.name, expected: expected.description,
                                                            found: found.with(space: .value).description, at: span))
                ok = false
                continue
            }
            for (dim, actual) in zip(expected.shape, found.shape) {
                guard let variable = dim.affine.singleVariable else { continue }
                if let bound = bindings[variable.name] {
                    if bound.dim != actual {
                        report(DiagnosticCatalogue.callDimConflict(
                            name, dim: variable.name, first: "\(bound.dim) (from '\(bound.from)')",
                            second: "\(actual) (from '\(param.name)')", at: span))
                        ok = false
                    }
                } else {
                    bindings[variable.name] = (actual, param.name)
                }
            }
            tensorPairs.append((expected, found, param.name, span))
        }
        guard ok else { return nil }
        // Pass 2: defaults, and dims nothing binds.
        for dim in signature.dims where bindings[dim.name] == nil {
            guard let size = dim.defaultSize else {
                report(DiagnosticCatalogue.dimNotInferable(name, dim: dim.name, at: expr.span))
                return nil
            }
            bindings[dim.name] = (.constant(size), "default")
        }
        var replacements: [AffineVar: AffineExpr] = [:]
        for (dimName, binding) in bindings { replacements[.dim(dimName)] = binding.dim.affine }
        // Pass 3: compound parameter dims must equal the argument's.
        for pair in tensorPairs {
            guard let expected = substitute(pair.param, replacements, span: pair.span) else { return nil }
            if expected.shape != pair.argument.shape {
                report(DiagnosticCatalogue.callArgumentType(name, pair.name, expected: expected.description,
                                                            found: pair.argument.with(space: .value).description,
                                                            at: pair.span))
                ok = false
            }
        }
        guard ok, let declared = signature.result,
              let result = substitute(declared, replacements, span: expr.span) else { return nil }
        calls[expr.id] = .function(name: instance ?? name, dims: bindings.mapValues(\.dim))
        return result
    }

    /// A helper's type with its dims replaced; reports overflow or a dim that comes out non-positive.
    private func substitute(_ type: ValueType, _ replacements: [AffineVar: AffineExpr], span: SourceSpan) -> ValueType? {
        var shape: [Dim] = []
        for dim in type.shape {
            guard let affine = dim.affine.substituting(replacements) else {
                report(DiagnosticCatalogue.integerOverflow(text(span), at: span))
                return nil
            }
            if let value = affine.constantValue, value <= 0 {
                report(DiagnosticCatalogue.nonPositiveDim("\(dim)", value: value, at: span))
                return nil
            }
            shape.append(Dim(affine))
        }
        return ValueType(type.dtype, shape, space: .value)
    }
}
