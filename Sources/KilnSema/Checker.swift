// Checker.swift: the semantic checker's entry point, its state, and the order in which it checks items.

import KilnSource
import KilnSyntax

/// The semantic checker's public entry point.
public enum Sema {
    /// Checks a parsed file: resolves names and dtypes, infers the type of every expression and
    /// checks every rule of Docs/language.md. All errors are collected; an expression whose
    /// operand already failed gets no type and reports nothing more, so one mistake gives one error.
    public static func check(_ file: SourceFileSyntax, source: SourceFile) -> (CheckedProgram, DiagnosticBag) {
        let checker = Checker(file: file, source: source)
        return checker.run()
    }
}

/// Same as `Sema.check`.
public func check(_ file: SourceFileSyntax, source: SourceFile) -> (CheckedProgram, DiagnosticBag) {
    Sema.check(file, source: source)
}

/// The signature of a helper function, known before any body is checked (calls may precede definitions).
struct FunctionSignature {
    var decl: FunctionDecl
    var dims: [DimInfo]
    /// nil types are parameters whose type had an error.
    var params: [(name: String, type: ValueType?, span: SourceSpan)]
    var result: ValueType?
}

/// Facts about the kernel or function whose body is being checked.
struct BodyContext {
    enum Kind { case kernel, function }
    var kind: Kind
    var name: String
    var results: [ResultInfo] = []
    /// The results' types; nil where the declared type had an error (returns to it stay silent).
    var resultTypes: [ValueType?] = []
    var storedResults: Set<Int> = []
    /// True once `load` or `store` is used (a tile-form kernel).
    var usesTiles = false
    /// True for a kernel that calls `load` or `store` anywhere: its `iota` makes SBUF tiles.
    var tileForm = false
    var usesStore = false
    /// A `store` whose destination had an error: "missing return" would only repeat it.
    var storeFailed = false
    var loopDepth = 0
    var limits: [StaticLimit] = []
    /// For functions: the helpers this body calls, with the span of the first call.
    var callees: [(name: String, span: SourceSpan)] = []

    var kindNoun: String { kind == .kernel ? "kernel" : "function" }
}

/// One run of the checker over one file. A class so its many checking methods can share state.
final class Checker {
    let file: SourceFileSyntax
    let source: SourceFile
    var diagnostics = DiagnosticBag()
    var types: [ValueType?]
    var resolutions: [Int: NameResolution] = [:]
    var calls: [Int: CallTarget] = [:]
    var reductionAxes: [Int: [Int]] = [:]
    var activations: [Int: ActivationCall] = [:]
    /// The expressions written as `load`'s argument: the only place a slice `x[...]` is read (store's
    /// destination is checked on its own).
    var loadSources: Set<Int> = []
    /// How many slice or loop bounds enclose the expression being checked: only there may a loop variable be
    /// read (it is an index, not a value the engines compute with).
    var boundDepth = 0
    var slices: [Int: [SliceInfo]] = [:]
    var indirectLoads: Set<Int> = []
    var affineSelects: [Int: AffineSelectCall] = [:]
    var declarations: [SourceSpan: ValueType] = [:]
    /// The loop depth (`context.loopDepth`) at each `var`'s declaration, keyed by its name's span.
    var varLoopDepths: [SourceSpan: Int] = [:]
    /// Loops whose variable decides control flow or is a value, by the span of the variable's name.
    var unrolledLoops: Set<SourceSpan> = []
    /// For each loop variable (by span), the loop variables its loop's lower bound moves with.
    var loopStarts: [SourceSpan: [SourceSpan]] = [:]

    /// Top-level items by name (the first of duplicates wins).
    var items: [String: Item] = [:]
    var signatures: [String: FunctionSignature] = [:]
    /// Helpers with dtype parameters, by name; their specialisations (`scale<bf16>`) are in `signatures`.
    var genericHelpers: [String: FunctionDecl] = [:]
    /// Specialisations created by calls, checked after the items (`checkInstances`).
    var pendingInstances: [(key: String, decl: FunctionDecl)] = []

    // Per-body state.
    var scopes = ScopeStack()
    var context = BodyContext(kind: .kernel, name: "")
    /// The dims of the item being checked, by name.
    var dims: [DimInfo] = []
    var depth = 0
    var reportedDepth = false
    static let maxExpressionDepth = 1000

    init(file: SourceFileSyntax, source: SourceFile) {
        self.file = file
        self.source = source
        self.types = Array(repeating: nil, count: max(0, file.expressionCount))
    }

    func report(_ diagnostic: Diagnostic) { diagnostics.report(diagnostic) }

    /// The source text of a span, shortened for messages.
    func text(_ span: SourceSpan) -> String {
        let raw = source.text(of: span)
        return raw.count > 40 ? String(raw.prefix(37)) + "..." : raw
    }

    func run() -> (CheckedProgram, DiagnosticBag) {
        collectItems()
        collectGenericHelpers()
        for function in file.functions where function.dtypeParams.isEmpty && signatures[function.name.name] == nil
            && items[function.name.name].map(isSame(function)) == true {
            signatures[function.name.name] = functionSignature(function)
        }
        var checkedFunctions: [CheckedFunction] = []
        var callGraph: [String: [(name: String, span: SourceSpan)]] = [:]
        var checkedKernels: [CheckedKernel] = []
        for item in file.items {
            switch item {
            case .function(let function) where !function.dtypeParams.isEmpty:
                if genericHelpers[function.name.name]?.span != function.span {
                    // A duplicate or a helper whose dtype parameters had errors: check one copy for its errors.
                    let dtypes = function.dtypeParams.map { _ in "f32" }
                    var nextID = types.count
                    let copy = function.specialized(Dictionary(zip(function.dtypeParams.map(\.name.name), dtypes),
                                                               uniquingKeysWith: { a, _ in a }), nextID: &nextID)
                    types.append(contentsOf: repeatElement(nil, count: nextID - types.count))
                    _ = checkFunction(copy, signature: functionSignature(copy))
                }
            case .function(let function):
                guard items[function.name.name].map(isSame(function)) == true,
                      let signature = signatures[function.name.name] else {
                    // A duplicate: still check its body so its own errors are reported.
                    _ = checkFunction(function, signature: functionSignature(function))
                    continue
                }
                checkedFunctions.append(CheckedFunction(
                    name: function.name.name, syntax: function, dims: signature.dims,
                    params: signature.params.map { ParamInfo(name: $0.name, type: $0.type ?? .scalar(.f32),
                                                             defaultValue: nil, span: $0.span) },
                    result: signature.result ?? .scalar(.f32)))
                callGraph[function.name.name] = checkFunction(function, signature: signature)
            case .kernel(let kernel):
                checkedKernels.append(checkKernel(kernel))
            }
        }
        checkInstances(into: &checkedFunctions, callGraph: &callGraph)
        reportRecursion(callGraph)
        // Generic helpers are replaced by their specialisations, which lowering and the interpreter see as helpers.
        var items = file.items.filter { if case .function(let f) = $0 { f.dtypeParams.isEmpty } else { true } }
        items += pendingInstances.map { Item.function($0.decl) }
        let syntax = SourceFileSyntax(items: items, expressionCount: types.count)
        diagnostics.removeDuplicates()
        let program = CheckedProgram(syntax: syntax, kernels: checkedKernels, functions: checkedFunctions,
                                     types: types, resolutions: resolutions, calls: calls,
                                     reductionAxes: reductionAxes, slices: slices, declarations: declarations,
                                     activations: activations, unrolledLoops: unrolledLoopClosure(),
                                     indirectLoads: indirectLoads, affineSelects: affineSelects)
        return (program, diagnostics)
    }

    private func isSame(_ function: FunctionDecl) -> (Item) -> Bool {
        { item in if case .function(let f) = item { f.span == function.span } else { false } }
    }

    /// Registers every top-level name; reports duplicates and helpers named like builtins (a kernel may
    /// share a builtin's name, as in `kernel matmul`, since kernels are never called).
    private func collectItems() {
        for item in file.items {
            let name = item.name.name
            let kind: String
            switch item {
            case .kernel: kind = "kernel"
            case .function: kind = "function"
            }
            if case .function = item, BuiltinTable.lookup(name) != nil {
                report(DiagnosticCatalogue.builtinNameClash(kind, name, at: item.name.span))
            }
            if let previous = items[name] {
                report(DiagnosticCatalogue.duplicateName(name, "at top level", at: item.name.span,
                                                         previous: previous.name.span))
                continue
            }
            items[name] = item
        }
    }

    // MARK: bodies

    /// Checks a kernel's attributes, signature and body; returns what lowering needs.
    func checkKernel(_ kernel: KernelDecl) -> CheckedKernel {
        beginBody(kind: .kernel, name: kernel.name.name)
        let schedule = checkAttributes(kernel.attributes, onKernel: true)
        declareDims(kernel.dims)
        var params: [ParamInfo] = []
        for (index, param) in kernel.params.enumerated() {
            let info = kernelParam(param)
            params.append(info.param)
            declareInSignature(param.name, .parameter(index: index), type: info.type)
        }
        var results: [ResultInfo] = []
        for (index, result) in kernel.results.enumerated() {
            let type = kernelResultType(result, kernel: kernel)
            let info = ResultInfo(name: result.effectiveName, type: type ?? ValueType(.f32, [.constant(1)], space: .hbm),
                                  span: result.name?.span ?? result.span)
            results.append(info)
            context.resultTypes.append(type)
            let name = result.name ?? Identifier("out", span: result.span)
            declareInSignature(name, .result(index: index), type: type)
        }
        context.results = results
        context.tileForm = kernel.body.containsExpr { expr in
            if case .call(let callee, _) = expr.kind { ["load", "store"].contains(callee.name) } else { false }
        }
        checkBody(kernel.body)
        finishKernel(kernel)
        warnUnused(scopes.outermost)
        return CheckedKernel(name: kernel.name.name, syntax: kernel, dims: dims, params: params, results: results,
                             isTileForm: context.usesTiles, schedule: schedule, limits: context.limits,
                             mxScaleParameters: mxScaleParameters(kernel.body))
    }

    /// Checks a helper function's body against its signature; returns the helpers it calls.
    func checkFunction(_ function: FunctionDecl, signature: FunctionSignature) -> [(name: String, span: SourceSpan)] {
        beginBody(kind: .function, name: function.name.name)
        _ = checkAttributes(function.attributes, onKernel: false)
        dims = signature.dims
        for info in dims { scopes.declare(info.name, .dim, type: .scalar(.i32), span: info.span) }
        for (index, param) in function.params.enumerated() where index < signature.params.count {
            declareInSignature(param.name, .parameter(index: index), type: signature.params[index].type)
        }
        checkBody(function.body)
        finishFunction(function, result: signature.result)
        warnUnused(scopes.outermost)
        return context.callees
    }

    private func beginBody(kind: BodyContext.Kind, name: String) {
        scopes = ScopeStack()
        context = BodyContext(kind: kind, name: name)
        dims = []
        depth = 0
    }

    /// Declares a parameter or result in the signature scope, reporting a clash with an earlier name.
    func declareInSignature(_ name: Identifier, _ kind: Symbol.Kind, type: ValueType?) {
        if let previous = scopes.declaredInInnermost(name.name) {
            report(DiagnosticCatalogue.duplicateName(name.name, "in \(context.kindNoun) '\(context.name)'",
                                                     at: name.span, previous: previous.span))
            return
        }
        scopes.declare(name.name, kind, type: type, span: name.span)
    }

    /// Checks the statements of a kernel's or function's top-level block in a new scope.
    private func checkBody(_ body: Block) {
        scopes.push()
        let statements = body.statements
        for (index, statement) in statements.enumerated() {
            if case .returnValues = statement.kind, index == statements.count - 1 { continue }
            checkStatement(statement)
        }
        if let last = statements.last, case .returnValues(let values) = last.kind {
            checkFinalReturn(values, span: last.span)
        }
        warnUnused(scopes.pop())
    }

    /// Warns about `let`s never read (names starting with `_` are exempt, and so are lets whose value
    /// already had an error).
    func warnUnused(_ symbols: [Symbol]) {
        for symbol in symbols where symbol.kind == .letBinding && !symbol.used && !symbol.name.hasPrefix("_")
            && symbol.type != nil {
            report(DiagnosticCatalogue.unusedLet(symbol.name, at: symbol.span))
        }
    }

    /// Runs `body` one expression level deeper; past the limit reports once and returns nil.
    func nested<T>(at span: SourceSpan, _ body: () -> T?) -> T? {
        guard depth < Checker.maxExpressionDepth else {
            if !reportedDepth {
                reportedDepth = true
                report(DiagnosticCatalogue.nestingTooDeep(limit: Checker.maxExpressionDepth, at: span))
            }
            return nil
        }
        depth += 1
        defer { depth -= 1 }
        return body()
    }
}
