// AST.swift: the syntax tree of a Kiln file; every node carries a byte-offset span, every expression an id.

import KilnSource

/// A name as written, with its span.
public struct Identifier: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var span: SourceSpan
    public init(_ name: String, span: SourceSpan) {
        self.name = name
        self.span = span
    }
    public var description: String { name }
}

/// The parsed file: top-level items in source order.
public struct SourceFileSyntax: Sendable {
    public var items: [Item]
    /// One more than the largest `Expr.id` in the tree (ids are dense, from 0).
    public var expressionCount: Int
    public init(items: [Item], expressionCount: Int) {
        self.items = items
        self.expressionCount = expressionCount
    }
    public var kernels: [KernelDecl] { items.compactMap { if case .kernel(let k) = $0 { k } else { nil } } }
    public var functions: [FunctionDecl] { items.compactMap { if case .function(let f) = $0 { f } else { nil } } }
}

public enum Item: Sendable {
    case kernel(KernelDecl)
    case function(FunctionDecl)

    public var name: Identifier {
        switch self {
        case .kernel(let k): k.name
        case .function(let f): f.name
        }
    }
    public var span: SourceSpan {
        switch self {
        case .kernel(let k): k.span
        case .function(let f): f.span
        }
    }
}

/// `@name(label: value, ...)` before an item, e.g. `@schedule(tile_n: 512)`.
public struct Attribute: Sendable {
    public var name: Identifier
    public var arguments: [Argument]
    public var span: SourceSpan
    public init(name: Identifier, arguments: [Argument], span: SourceSpan) {
        self.name = name
        self.arguments = arguments
        self.span = span
    }
}

/// `N` or `N = 1024` in a kernel's or function's `<...>` list.
public struct DimDecl: Sendable {
    public var name: Identifier
    public var defaultSize: Int?
    public var span: SourceSpan
    public init(name: Identifier, defaultSize: Int?, span: SourceSpan) {
        self.name = name
        self.defaultSize = defaultSize
        self.span = span
    }
}

/// `T: float` or `T: float = bf16` in a kernel's or function's `<...>` list: a dtype parameter with a bound
/// (a named set of dtypes) and an optional default dtype.
public struct DTypeParamDecl: Sendable {
    public var name: Identifier
    public var bound: Identifier
    public var defaultDType: Identifier?
    public var span: SourceSpan
    public init(name: Identifier, bound: Identifier, defaultDType: Identifier?, span: SourceSpan) {
        self.name = name
        self.bound = bound
        self.defaultDType = defaultDType
        self.span = span
    }
}

public struct Param: Sendable {
    public var name: Identifier
    public var type: TypeSyntax
    public var defaultValue: Expr?
    public var span: SourceSpan
    public init(name: Identifier, type: TypeSyntax, defaultValue: Expr?, span: SourceSpan) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.span = span
    }
}

/// One kernel result. `name` is nil for the single unnamed result (`-> f32[N]`), which is called `out`.
public struct ResultDecl: Sendable {
    public var name: Identifier?
    public var type: TypeSyntax
    public var span: SourceSpan
    public init(name: Identifier?, type: TypeSyntax, span: SourceSpan) {
        self.name = name
        self.type = type
        self.span = span
    }
    /// The name the result goes by: in `store(...)`, in output files.
    public var effectiveName: String { name?.name ?? "out" }
}

public struct KernelDecl: Sendable {
    public var attributes: [Attribute]
    public var name: Identifier
    public var dims: [DimDecl]
    /// The dtype parameters of the `<...>` list (`T: float`); empty once specialised to concrete dtypes.
    public var dtypeParams: [DTypeParamDecl]
    /// What a specialised kernel's dtype parameters were bound to, in `<...>` order (`[("T", "bf16")]`);
    /// empty for a kernel written without dtype parameters.
    public var dtypeBindings: [(name: String, dtype: String)] = []
    public var params: [Param]
    public var results: [ResultDecl]
    public var body: Block
    public var span: SourceSpan
    public init(attributes: [Attribute], name: Identifier, dims: [DimDecl], params: [Param],
                results: [ResultDecl], body: Block, span: SourceSpan, dtypeParams: [DTypeParamDecl] = []) {
        self.dtypeParams = dtypeParams
        self.attributes = attributes
        self.name = name
        self.dims = dims
        self.params = params
        self.results = results
        self.body = body
        self.span = span
    }
}

/// A helper function, `fn name<dims>(params) -> type { ... }`, inlined at each call.
public struct FunctionDecl: Sendable {
    public var attributes: [Attribute]
    public var name: Identifier
    public var dims: [DimDecl]
    /// The dtype parameters of the `<...>` list (`T: float`); empty once specialised to concrete dtypes.
    public var dtypeParams: [DTypeParamDecl]
    public var params: [Param]
    public var result: TypeSyntax
    public var body: Block
    public var span: SourceSpan
    public init(attributes: [Attribute], name: Identifier, dims: [DimDecl], params: [Param],
                result: TypeSyntax, body: Block, span: SourceSpan, dtypeParams: [DTypeParamDecl] = []) {
        self.dtypeParams = dtypeParams
        self.attributes = attributes
        self.name = name
        self.dims = dims
        self.params = params
        self.result = result
        self.body = body
        self.span = span
    }
}

public enum MemorySpaceSyntax: String, Sendable {
    case hbm, sbuf, psum
}

/// `[space] dtype [shape]` as written; the checker resolves the dtype name and the dims.
public struct TypeSyntax: Sendable {
    public var space: MemorySpaceSyntax?
    public var dtype: Identifier
    /// nil for a scalar (`f32`); `[]` is also a scalar written with brackets.
    public var shape: [Expr]?
    public var span: SourceSpan
    public init(space: MemorySpaceSyntax?, dtype: Identifier, shape: [Expr]?, span: SourceSpan) {
        self.space = space
        self.dtype = dtype
        self.shape = shape
        self.span = span
    }
}

public struct Block: Sendable {
    public var statements: [Statement]
    public var span: SourceSpan
    public init(statements: [Statement], span: SourceSpan) {
        self.statements = statements
        self.span = span
    }
}

public enum AssignOp: String, Sendable {
    case assign = "="
    case accumulate = "+="
}

public struct Statement: Sendable {
    public var kind: StatementKind
    public var span: SourceSpan
    public init(_ kind: StatementKind, span: SourceSpan) {
        self.kind = kind
        self.span = span
    }
}

public indirect enum StatementKind: Sendable {
    /// `let name [: type] = value`
    case letBinding(name: Identifier, type: TypeSyntax?, value: Expr)
    /// `var name: type [= fill]`: a tile buffer.
    case varDecl(name: Identifier, type: TypeSyntax, initial: Expr?)
    /// `name = value` or `name += value`
    case assign(target: Identifier, op: AssignOp, value: Expr)
    /// `name[items] = value` or `name[items] += value`: into a window of a tile buffer; `target` is the
    /// `.index` expression `name[items]`.
    case assignWindow(target: Expr, op: AssignOp, value: Expr)
    /// `for name in lower ..< upper [step step] { body }`
    case forLoop(variable: Identifier, lower: Expr, upper: Expr, step: Expr?, body: Block)
    /// `if cond { then } [else { otherwise }]`; `else if` is an `otherwise` block holding one `if`.
    case ifStatement(condition: Expr, then: Block, otherwise: Block?)
    /// `return a, b`
    case returnValues([Expr])
    /// A call evaluated for its effect, e.g. `store(out[i:i+128, :], t)`.
    case expression(Expr)
}

/// An argument of a call or attribute; `label` for `axis: 1`.
public struct Argument: Sendable {
    public var label: Identifier?
    public var value: Expr
    public init(label: Identifier?, value: Expr) {
        self.label = label
        self.value = value
    }
    public var span: SourceSpan { label.map { $0.span.merged(with: value.span) } ?? value.span }
}

public enum UnaryOp: String, Sendable {
    case negate = "-"
    case not = "!"
}

public enum BinaryOp: String, Sendable, CaseIterable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%", matmul = "@"
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case and = "&&", or = "||"

    public var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: true
        default: false
        }
    }
    public var isLogical: Bool { self == .and || self == .or }
}

/// One entry of `x[...]`: a single index, or a half-open slice with optional ends and an optional step.
public enum IndexItem: Sendable {
    case index(Expr)
    case slice(lower: Expr?, upper: Expr?, step: Expr? = nil, span: SourceSpan)

    public var span: SourceSpan {
        switch self {
        case .index(let e): e.span
        case .slice(_, _, _, let span): span
        }
    }
}

public struct Expr: Sendable {
    /// Dense id, unique in the file; the checker keys its type table by it.
    public var id: Int
    public var kind: ExprKind
    public var span: SourceSpan
    public init(id: Int, kind: ExprKind, span: SourceSpan) {
        self.id = id
        self.kind = kind
        self.span = span
    }
}

public indirect enum ExprKind: Sendable {
    case integer(Int)
    case float(Double)
    case bool(Bool)
    case name(String)
    case unary(UnaryOp, Expr)
    case binary(BinaryOp, Expr, Expr)
    /// `callee(args)`; callees are names (builtins or helper functions).
    case call(callee: Identifier, arguments: [Argument])
    case index(base: Expr, items: [IndexItem])
    /// `x.T` and other member forms.
    case member(base: Expr, member: Identifier)
    /// `x as bf16`
    case cast(Expr, dtype: Identifier)
    /// `(a, b, ...)`: a parenthesised list with a comma (`(2,)` is a tuple of one); the axes of a reduction.
    case tuple([Expr])
    /// Stands in where the parser recovered from an error; the checker stays silent about it.
    case error
}
