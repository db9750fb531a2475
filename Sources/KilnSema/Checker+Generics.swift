// Checker+Generics.swift: helpers generic over a dtype: inferring T at each call and checking one copy per T.

import KilnSource
import KilnSyntax

extension Checker {
    /// A call to a helper with dtype parameters. Each parameter declared with a dtype parameter `T` binds T to
    /// its argument's dtype (tensor arguments first; scalar arguments only if no tensor is declared with T);
    /// two different dtypes are a conflict, a dtype outside the bound is an error naming the bound, and a T
    /// nothing binds takes its default or is an error. The call then goes to the helper specialised to those
    /// dtypes (`scale<bf16>`), created on first use and checked after the current body.
    func checkGenericCall(_ generic: FunctionDecl, _ callee: Identifier, _ arguments: [Argument], _ expr: Expr) -> ValueType? {
        let types = arguments.map { checkExpr($0.value) }
        guard arguments.count == generic.params.count else {
            return checkFunctionCall(placeholderSignature(generic), callee, arguments, expr, argumentTypes: types)
        }
        var chosen: [String] = []
        var ok = true
        for param in generic.dtypeParams {
            guard let bound = DTypeBound(rawValue: param.bound.name) else { return nil }
            let name = param.name.name
            var binding: (dtype: DType, from: String)?
            for scalars in [false, true] where binding == nil {
                for (index, declared) in generic.params.enumerated()
                where declared.type.dtype.name == name && (declared.type.shape == nil) == scalars {
                    guard let type = types[index] else { ok = false; continue }
                    let source = "argument '\(declared.name.name)' (\(type.dtype.name))"
                    if let existing = binding {
                        if existing.dtype != type.dtype {
                            report(DiagnosticCatalogue.dtypeConflict(name, first: existing.from, second: source,
                                                                     at: arguments[index].value.span))
                            ok = false
                        }
                    } else if !bound.members.contains(type.dtype) {
                        report(DiagnosticCatalogue.dtypeViolatesBound(name, dtype: type.dtype.name, bound: bound,
                                                                      source: "argument '\(declared.name.name)'",
                                                                      at: arguments[index].value.span))
                        ok = false
                        binding = (type.dtype, source)
                    } else {
                        binding = (type.dtype, source)
                    }
                }
            }
            if let binding {
                chosen.append(binding.dtype.name)
            } else if let written = param.defaultDType, DType(name: written.name) != nil {
                chosen.append(written.name)
            } else if ok {
                report(DiagnosticCatalogue.dtypeNotInferable(callee.name, name: name, at: expr.span))
                ok = false
            }
        }
        guard ok else { return nil }
        let (key, signature) = instantiate(generic, dtypes: chosen)
        return checkFunctionCall(signature, callee, arguments, expr, argumentTypes: types, instance: key)
    }

    /// The specialisation of `generic` to `dtypes` (in the order of its dtype parameters): its name
    /// (`scale<bf16>`) and signature, created once and queued for checking.
    func instantiate(_ generic: FunctionDecl, dtypes: [String]) -> (String, FunctionSignature) {
        let key = "\(generic.name.name)<\(dtypes.joined(separator: ", "))>"
        if let signature = signatures[key] { return (key, signature) }
        var substitution: [String: String] = [:]
        for (param, dtype) in zip(generic.dtypeParams, dtypes) { substitution[param.name.name] = dtype }
        var nextID = types.count
        var decl = generic.specialized(substitution, nextID: &nextID)
        types.append(contentsOf: repeatElement(nil, count: nextID - types.count))
        decl.name = Identifier(key, span: generic.name.span)
        let signature = functionSignature(decl)
        signatures[key] = signature
        pendingInstances.append((key, decl))
        return (key, signature)
    }

    /// A signature with unresolved types, used only to report a wrong argument count.
    private func placeholderSignature(_ generic: FunctionDecl) -> FunctionSignature {
        FunctionSignature(decl: generic, dims: [], params: generic.params.map { ($0.name.name, nil, $0.span) }, result: nil)
    }

    /// Registers the generic helpers (checking their dtype parameters); they are checked per specialisation.
    func collectGenericHelpers() {
        for function in file.functions where !function.dtypeParams.isEmpty && genericHelpers[function.name.name] == nil {
            guard items[function.name.name].map({ item in
                if case .function(let f) = item { f.span == function.span } else { false }
            }) == true else { continue }
            var bag = DiagnosticBag()
            var ok = true
            let item = "function '\(function.name.name)'"
            let unique = Generics.checkDeclList(function.dtypeParams, item: item, dims: function.dims,
                                                params: function.params, &bag)
            if unique.count != function.dtypeParams.count || bag.hasErrors { ok = false }
            for param in function.dtypeParams where unique.contains(param.name.span) {
                if Generics.checkDecl(param, item: "function", dims: function.dims.map(\.name.name), &bag) == nil { ok = false }
            }
            diagnostics.append(contentsOf: bag)
            if ok { genericHelpers[function.name.name] = function }
        }
    }

    /// Checks every queued specialisation (bodies may queue more); a generic helper never called is checked
    /// once, at its defaults or its bound's first dtypes, so errors in its body are still reported.
    func checkInstances(into functions: inout [CheckedFunction], callGraph: inout [String: [(name: String, span: SourceSpan)]]) {
        var next = 0
        var checkedUncalled = false
        while true {
            while next < pendingInstances.count {
                let (key, decl) = pendingInstances[next]
                next += 1
                guard let signature = signatures[key] else { continue }
                functions.append(CheckedFunction(
                    name: key, syntax: decl, dims: signature.dims,
                    params: signature.params.map { ParamInfo(name: $0.name, type: $0.type ?? .scalar(.f32),
                                                             defaultValue: nil, span: $0.span) },
                    result: signature.result ?? .scalar(.f32)))
                callGraph[key] = checkFunction(decl, signature: signature)
            }
            guard !checkedUncalled else { break }
            checkedUncalled = true
            for function in file.functions {
                guard let generic = genericHelpers[function.name.name], generic.span == function.span,
                      !pendingInstances.contains(where: { $0.decl.name.span == generic.name.span }) else { continue }
                let dtypes = generic.dtypeParams.map { param in
                    param.defaultDType?.name ?? DTypeBound(rawValue: param.bound.name)?.members.first?.name ?? "f32"
                }
                _ = instantiate(generic, dtypes: dtypes)
            }
        }
    }
}
