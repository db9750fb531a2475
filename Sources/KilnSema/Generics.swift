// Generics.swift: dtype parameters (`T: float`): their bounds, and binding a kernel's from --dtype, inputs and defaults.

import KilnSource
import KilnSyntax

/// A dtype parameter's bound: the dtypes it may stand for.
public enum DTypeBound: String, Sendable, CaseIterable {
    /// f32, bf16, f16, f8e4m3, f8e4m3fn, f8e5m2: the floats every float operation takes. Not f4e2m1fn, MXFP4's
    /// element, which the tensor engine multiplies only block-scaled (K2180): a `T: float` kernel with a matmul
    /// stays valid for every member. `any` includes it.
    case float
    /// Every dtype.
    case any

    public var members: [DType] {
        switch self {
        case .float: DType.allCases.filter { $0.isFloat && !$0.isFP4 }
        case .any: DType.allCases
        }
    }
}

/// How the front end treats a kernel dtype parameter that nothing binds.
public enum UnboundDTypePolicy: Sendable {
    /// An error naming `--dtype` (build, run, verify, ...).
    case error
    /// The bound's member at this index (wrapping): `kiln check` checks every instantiation.
    case member(Int)
}

public enum Generics {
    /// Specialises every generic kernel of `file`: each dtype parameter takes, in priority order, the `--dtype`
    /// flag of its name (`flags`, applying to every kernel that declares it), the dtype of the inputs given
    /// for the parameters declared with it (`inputDTypes`: parameter name -> dtype; all must agree with each
    /// other and with the flag), then its default; with none of those `unbound` decides. Reports bad bounds,
    /// dtypes outside the bound, conflicts and unbound parameters at the kernel source. Generic helpers stay
    /// generic (the checker specialises them per call). Returns the file to check.
    public static func specializeKernels(_ file: SourceFileSyntax, flags: [String: DType],
                                         inputDTypes: [String: DType] = [:],
                                         unbound: UnboundDTypePolicy = .error) -> (SourceFileSyntax, DiagnosticBag) {
        var diagnostics = DiagnosticBag()
        var items = file.items
        for (index, item) in items.enumerated() {
            guard case .kernel(let kernel) = item, !kernel.dtypeParams.isEmpty else { continue }
            var chosen: [String: String] = [:]
            let unique = checkDeclList(kernel.dtypeParams, item: "kernel '\(kernel.name.name)'",
                                       dims: kernel.dims, params: kernel.params, &diagnostics)
            for param in kernel.dtypeParams where unique.contains(param.name.span) {
                // After an error T still takes a dtype of its bound (f32 if it has none), so the body is
                // checked and its own errors reported in the same run.
                chosen[param.name.name] = DType.f32.name
                guard let bound = checkDecl(param, item: "kernel '\(kernel.name.name)'", dims: kernel.dims.map(\.name.name),
                                            &diagnostics) else { continue }
                chosen[param.name.name] = bound.members[0].name
                if let dtype = bind(param, bound: bound, kernel: kernel, flag: flags[param.name.name],
                                    inputDTypes: inputDTypes, unbound: unbound, &diagnostics) {
                    chosen[param.name.name] = dtype.name
                }
            }
            items[index] = .kernel(kernel.specialized(chosen))
        }
        return (SourceFileSyntax(items: items, expressionCount: file.expressionCount), diagnostics)
    }

    /// The most instantiations any kernel's unbound dtype parameter has (1 when none is generic and unbound).
    public static func unboundInstantiationCount(_ file: SourceFileSyntax, flags: [String: DType]) -> Int {
        var count = 1
        for kernel in file.kernels {
            for param in kernel.dtypeParams where flags[param.name.name] == nil && param.defaultDType == nil {
                count = max(count, DTypeBound(rawValue: param.bound.name)?.members.count ?? 1)
            }
        }
        return count
    }

    /// Notes saying which instantiation `kiln check`'s run `index` (`UnboundDTypePolicy.member(index)`) made of the
    /// generic kernel containing `span` (of every generic kernel when none contains it, as for a helper's body):
    /// `T = bf16`, at the kernel's first unbound dtype parameter. Empty when nothing is unbound.
    public static func instantiationNotes(_ file: SourceFileSyntax, flags: [String: DType], index: Int,
                                          for span: SourceSpan) -> [DiagnosticNote] {
        let generic = file.kernels.compactMap { kernel -> (KernelDecl, [(DTypeParamDecl, DType)])? in
            let unbound = kernel.dtypeParams.compactMap { param -> (DTypeParamDecl, DType)? in
                guard flags[param.name.name] == nil, param.defaultDType == nil,
                      let members = DTypeBound(rawValue: param.bound.name)?.members else { return nil }
                return (param, members[index % members.count])
            }
            return unbound.isEmpty ? nil : (kernel, unbound)
        }
        let containing = generic.filter { $0.0.span.start <= span.start && span.end <= $0.0.span.end }
        return (containing.isEmpty ? generic : containing).map { kernel, unbound in
            let bindings = unbound.map { "\($0.0.name.name) = \($0.1.name)" }.joined(separator: ", ")
            let flags = unbound.map { "--dtype \($0.0.name.name)=..." }.joined(separator: " ")
            return DiagnosticNote("with \(bindings) in kernel '\(kernel.name.name)' (check tries every dtype of the bound; \(flags) checks one)",
                                  at: unbound[0].0.span)
        }
    }

    /// `--dtype` names that no kernel of the file declares.
    public static func unmatchedFlags(_ file: SourceFileSyntax, flags: [String: DType]) -> [Diagnostic] {
        let known = Set(file.kernels.flatMap { $0.dtypeParams.map(\.name.name) })
        return flags.keys.sorted().filter { !known.contains($0) }.map {
            DiagnosticCatalogue.dtypeFlagMatchesNoKernel($0, known: known.sorted())
        }
    }

    /// Checks what a `<...>` list's dtype parameters are called as a list: a name given to two dtype parameters
    /// (K2002, with the first as a note), or used as a dim in a parameter's shape (`x: T[N, T]`, K2157, once per
    /// name, at its first use; a name the list also declares as a dim is K2156's). Returns the name spans of the dtype parameters that are not repeats.
    static func checkDeclList(_ dtypeParams: [DTypeParamDecl], item: String, dims: [DimDecl],
                              params: [Param], _ diagnostics: inout DiagnosticBag) -> Set<SourceSpan> {
        var first: [String: SourceSpan] = [:]
        var unique: Set<SourceSpan> = []
        for param in dtypeParams {
            let name = param.name.name
            if let previous = first[name] {
                diagnostics.report(DiagnosticCatalogue.duplicateName(name, "as a dtype parameter of \(item)",
                                                                     at: param.name.span, previous: previous))
                continue
            }
            first[name] = param.name.span
            unique.insert(param.name.span)
        }
        var reported: Set<String> = []
        for param in params {
            for use in dimNames(in: param.type) where first[use.name] != nil && !reported.contains(use.name)
                && !dims.contains(where: { $0.name.name == use.name }) {
                reported.insert(use.name)
                diagnostics.report(DiagnosticCatalogue.dtypeParamUsedAsDim(use.name, item: item, at: use.span,
                                                                           declared: first[use.name]!))
            }
        }
        return unique
    }

    /// The names written in a type's shape (`N` and `D` in `T[N, D + 1]`), in source order.
    static func dimNames(in type: TypeSyntax) -> [Identifier] {
        var names: [Identifier] = []
        func walk(_ expr: Expr) {
            switch expr.kind {
            case .name(let name): names.append(Identifier(name, span: expr.span))
            case .unary(_, let operand): walk(operand)
            case .binary(_, let lhs, let rhs): walk(lhs); walk(rhs)
            case .tuple(let elements): elements.forEach(walk)
            default: break
            }
        }
        type.shape?.forEach(walk)
        return names
    }

    /// Checks a dtype parameter's bound and default (and that its name is not a dtype's or a dim's); returns
    /// the bound, or nil after reporting.
    static func checkDecl(_ param: DTypeParamDecl, item: String, dims: [String], _ diagnostics: inout DiagnosticBag) -> DTypeBound? {
        if DType(name: param.name.name) != nil || dims.contains(param.name.name) {
            diagnostics.report(DiagnosticCatalogue.dtypeParamName(param.name.name, at: param.name.span))
            return nil
        }
        guard let bound = DTypeBound(rawValue: param.bound.name) else {
            diagnostics.report(DiagnosticCatalogue.unknownDTypeBound(param.bound.name, at: param.bound.span))
            return nil
        }
        if let written = param.defaultDType {
            guard let dtype = DType(name: written.name) else {
                diagnostics.report(DiagnosticCatalogue.unknownDType(written.name, at: written.span))
                return nil
            }
            if !bound.members.contains(dtype) {
                diagnostics.report(DiagnosticCatalogue.dtypeViolatesBound(
                    param.name.name, dtype: dtype.name, bound: bound, source: "its default", at: written.span))
                return nil
            }
        }
        return bound
    }

    private static func bind(_ param: DTypeParamDecl, bound: DTypeBound, kernel: KernelDecl, flag: DType?,
                             inputDTypes: [String: DType], unbound: UnboundDTypePolicy,
                             _ diagnostics: inout DiagnosticBag) -> DType? {
        let name = param.name.name
        var chosen: (dtype: DType, from: String)?
        if let flag {
            guard bound.members.contains(flag) else {
                diagnostics.report(DiagnosticCatalogue.dtypeViolatesBound(
                    name, dtype: flag.name, bound: bound, source: "--dtype \(name)=\(flag.name)", at: param.span))
                return nil
            }
            chosen = (flag, "--dtype \(name)=\(flag.name)")
        }
        var ok = true
        for kernelParam in kernel.params where kernelParam.type.dtype.name == name {
            guard let dtype = inputDTypes[kernelParam.name.name] else { continue }
            let source = "input '\(kernelParam.name.name)' (\(dtype.name))"
            if let existing = chosen {
                if existing.dtype != dtype {
                    diagnostics.report(DiagnosticCatalogue.dtypeConflict(
                        name, first: existing.from, second: source, at: kernelParam.span))
                    ok = false
                }
            } else if !bound.members.contains(dtype) {
                diagnostics.report(DiagnosticCatalogue.dtypeViolatesBound(
                    name, dtype: dtype.name, bound: bound, source: "input '\(kernelParam.name.name)'", at: kernelParam.span))
                ok = false
            } else {
                chosen = (dtype, source)
            }
        }
        guard ok else { return nil }
        if let chosen { return chosen.dtype }
        if let written = param.defaultDType, let dtype = DType(name: written.name) { return dtype }
        switch unbound {
        case .member(let index):
            return bound.members[index % bound.members.count]
        case .error:
            diagnostics.report(DiagnosticCatalogue.unboundDType(name, kernel: kernel.name.name, at: param.span))
            return nil
        }
    }
}

extension DiagnosticCatalogue {
    public static func unknownDTypeBound(_ name: String, at span: SourceSpan) -> Diagnostic {
        make("K2150", "unknown-dtype-bound", .error,
             "unknown dtype bound '\(name)'; expected one of \(DTypeBound.allCases.map(\.rawValue).joined(separator: ", "))",
             at: span)
    }
    /// `source`: "--dtype T=i32", "input 'x'", "its default", "argument 'x'".
    public static func dtypeViolatesBound(_ name: String, dtype: String, bound: DTypeBound, source: String,
                                          at span: SourceSpan) -> Diagnostic {
        make("K2151", "dtype-violates-bound", .error,
             "\(source) gives \(name) = \(dtype), but \(name) is bounded by '\(bound.rawValue)' (\(bound.members.map(\.name).joined(separator: ", ")))",
             at: span)
    }
    public static func dtypeConflict(_ name: String, first: String, second: String, at span: SourceSpan) -> Diagnostic {
        make("K2152", "dtype-conflict", .error,
             "conflicting dtypes for \(name): \(first) and \(second)", at: span)
    }
    public static func unboundDType(_ name: String, kernel: String, at span: SourceSpan) -> Diagnostic {
        make("K2153", "unbound-dtype", .error,
             "dtype parameter '\(name)' of kernel '\(kernel)' is not bound; pass --dtype \(name)=DTYPE, give an input declared with \(name), or a default in the <...> list",
             at: span)
    }
    public static func dtypeNotInferable(_ function: String, name: String, at span: SourceSpan) -> Diagnostic {
        make("K2154", "dtype-not-inferable", .error,
             "cannot infer dtype parameter '\(name)' of '\(function)': no argument is declared with it and it has no default",
             at: span)
    }
    public static func dtypeFlagMatchesNoKernel(_ name: String, known: [String]) -> Diagnostic {
        make("K2155", "dtype-flag-matches-no-kernel", .error,
             "--dtype \(name)=...: no kernel of this file has a dtype parameter '\(name)' (\(known.isEmpty ? "none has dtype parameters" : "they declare " + known.joined(separator: ", ")))",
             at: .unknown)
    }
    public static func dtypeParamUsedAsDim(_ name: String, item: String, at span: SourceSpan,
                                           declared: SourceSpan) -> Diagnostic {
        make("K2157", "dtype-param-used-as-dim", .error,
             "'\(name)' is a dtype parameter of \(item) and cannot also be a dim in a shape; give the dim another name",
             at: span, notes: [DiagnosticNote("dtype parameter '\(name)' declared here", at: declared)])
    }
    public static func dtypeParamName(_ name: String, at span: SourceSpan) -> Diagnostic {
        make("K2156", "dtype-param-name", .error,
             "dtype parameter '\(name)' must not be named like a dtype or a dim of the same item", at: span)
    }
}
