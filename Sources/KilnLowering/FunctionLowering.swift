// FunctionLowering.swift: the state of lowering one kernel or helper: the function built, its blocks, its names.

import KilnMachine
import KilnSema
import KilnSource
import KilnSyntax
import KilnTileIR

/// A lowered expression: a compile-time scalar (a literal, a dim used as a value), materialised only once
/// the type it must take is known (weak scalars), or an IR value with its type.
enum Lowered {
    case constant(Double, ElementType)
    case value(ValueID, IRType)

    var isScalar: Bool {
        switch self {
        case .constant: true
        case .value(_, let type): if case .scalar = type { true } else { false }
        }
    }

    var element: ElementType? {
        switch self {
        case .constant(_, let element): element
        case .value(_, let type): type.element
        }
    }

    var tile: (ValueID, TileType)? {
        if case .value(let id, .tile(let tile)) = self { return (id, tile) }
        return nil
    }
}

/// Thrown after a K35xx diagnostic has been reported, to abandon the statement being lowered.
struct LoweringFailed: Error {}

/// Lowers one kernel or one helper specialisation into `function`.
final class FunctionLowering {
    var context: ModuleLowering
    /// Sizes of the dims in scope (the kernel's, or the helper's for this specialisation).
    let dimSizes: [String: Int]
    var function: IRFunction
    /// Operations of the blocks being built, innermost last.
    var blocks: [[Operation]] = [[]]
    /// Locals by the span of their declaration (`let`, `var`, loop variables).
    var locals: [SourceSpan: Lowered] = [:]
    /// Parameters and results by index.
    var parameters: [Lowered] = []
    var results: [ValueID] = []
    /// Enclosing loops, innermost last: an IR induction variable, or a constant in a peeled iteration.
    var loopFrames: [LoopFrame] = []
    /// Copies of the innermost body that the enclosing unrolled loops make (the product of their trip counts).
    var unrolledCopies = 1
    /// `var` buffers by name, one scope per enclosing block, innermost last.
    var varScopes: [[String: SourceSpan]] = [[:]]
    /// Accumulation state of `var` tiles (by declaration span): see `FunctionLowering+Statements.swift`.
    var buffers: [SourceSpan: BufferState] = [:]
    /// The tile each `view` made here names the memory of (its root).
    var viewRoots: [ValueID: ValueID] = [:]
    /// The expression a `let` binds while it is lowered: a slice of a `var` there is a copy (`tileSlice`).
    var boundExpression: Int?
    /// The type of every value defined so far.
    var valueTypes: [ValueID: IRType] = [:]

    var program: CheckedProgram { context.program }

    init(context: ModuleLowering, dimSizes: [String: Int], name: String, span: SourceSpan) {
        self.context = context
        self.dimSizes = dimSizes
        self.function = IRFunction(name: name, span: span)
    }

    // MARK: Emitting

    /// Appends an op to the innermost block; returns its result (nil for ops without one).
    @discardableResult
    func emit(_ kind: OpKind, _ type: IRType? = nil, at span: SourceSpan, name: String? = nil) -> ValueID? {
        let result = type.map { function.makeValue($0, name: name) }
        blocks[blocks.count - 1].append(Operation(kind, result: result, span: span))
        if let result { valueTypes[result.id] = result.type }
        return result?.id
    }

    /// Emits an op that defines a value of `type`.
    func value(_ kind: OpKind, _ type: IRType, at span: SourceSpan, name: String? = nil) -> ValueID {
        let result = function.makeValue(type, name: name)
        blocks[blocks.count - 1].append(Operation(kind, result: result, span: span))
        valueTypes[result.id] = type
        return result.id
    }

    func report(_ diagnostic: Diagnostic) {
        context.diagnostics.report(diagnostic)
    }

    /// Reports and abandons the current statement.
    func fail(_ diagnostic: Diagnostic) -> LoweringFailed {
        report(diagnostic)
        return LoweringFailed()
    }

    // MARK: Types

    /// A dim's size in this function.
    func size(_ dim: Dim, at span: SourceSpan) throws(LoweringFailed) -> Int {
        guard let size = dim.evaluate(dimSizes) else { throw fail(DiagnosticCatalogue.loweringOverflow("dim '\(dim)'", at: span)) }
        return size
    }

    /// The checker's type of an expression.
    func checkedType(_ expr: Expr) throws(LoweringFailed) -> ValueType {
        guard let type = program.type(of: expr) else { throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span)) }
        return type
    }

    /// The IR type of a checked type with dims bound: scalars, value tensors, hbm tensors and tiles.
    func irType(_ type: ValueType, at span: SourceSpan) throws(LoweringFailed) -> IRType {
        let element = type.dtype
        if type.isScalar { return .scalar(element) }
        var shape: [Int] = []
        for dim in type.shape { shape.append(try size(dim, at: span)) }
        switch type.space {
        case .value: return .tensor(TensorType(element, shape))
        case .hbm: return .hbm(TensorType(element, shape))
        case .sbuf, .psum:
            guard shape.count >= 2 else {
                throw fail(DiagnosticCatalogue.loweringUnsupported("the rank-1 tile \(type)",
                    reason: "a tile needs a partition dim and a free dim; slice it as [P, 1] or [1, F]", at: span))
            }
            let space: KilnMachine.MemorySpace = type.space == .psum ? .psum : .sbuf
            return .tile(TileType(space, element, partitions: shape[0], free: Array(shape.dropFirst())))
        }
    }

    /// The type of an IR value defined so far.
    func type(of id: ValueID) -> IRType? {
        valueTypes[id]
    }

    // MARK: Signatures

    /// Parameters and outputs of a kernel: hbm tensors and scalars (with defaults), hbm results.
    func lowerSignature(params: [ParamInfo], results kernelResults: [ResultInfo]) throws(LoweringFailed) {
        for param in params {
            let type = try irType(param.type, at: param.span)
            let defaultValue: Double? = param.defaultValue.map {
                switch $0 {
                case .int(let value): Double(value)
                case .float(let value): value
                case .bool(let value): value ? 1 : 0
                }
            }
            let def = function.addParameter(type, name: param.name, defaultValue: type.tensorType == nil ? defaultValue : nil)
            valueTypes[def.id] = def.type
            parameters.append(.value(def.id, def.type))
        }
        for result in kernelResults {
            let type = try irType(result.type.with(space: .hbm), at: result.span)
            let def = function.addOutput(type, name: result.name)
            valueTypes[def.id] = def.type
            results.append(def.id)
        }
    }

    /// A kernel: signature, schedule hints, body; a whole-tensor body ends in `return` of values, a tile-form
    /// body in a bare `return` (its results were stored).
    func lowerKernel(_ kernel: CheckedKernel) {
        if let schedule = kernel.schedule {
            let hints = [("tile_m", schedule.tileM), ("tile_n", schedule.tileN), ("tile_k", schedule.tileK), ("bufs", schedule.bufs)]
            for case let (key, value?) in hints { function.schedule[key] = value }
        }
        do {
            try lowerSignature(params: kernel.params, results: kernel.results)
        } catch {
            return
        }
        lowerStatements(kernel.syntax.body.statements)
        if case .returnValues = kernel.syntax.body.statements.last?.kind {} else {
            emit(.ret([]), at: kernel.syntax.body.span)
        }
        function.body = IRBlock(blocks[0])
    }

    /// A helper specialisation: tensor (not hbm) parameters, one output, a body ending in `return`.
    func lowerHelper(_ helper: CheckedFunction) {
        do {
            for param in helper.params {
                let type = try irType(param.type.with(space: .value), at: param.span)
                let def = function.addParameter(type, name: param.name)
                valueTypes[def.id] = def.type
                parameters.append(.value(def.id, def.type))
            }
            let output = try irType(helper.result.with(space: .value), at: helper.syntax.result.span)
            let def = function.addOutput(output, name: "result")
            valueTypes[def.id] = def.type
            results.append(def.id)
        } catch {
            return
        }
        lowerStatements(helper.syntax.body.statements)
        function.body = IRBlock(blocks[0])
    }

    /// Lowers statements in order; a statement that cannot be lowered is reported and skipped.
    func lowerStatements(_ statements: [Statement]) {
        // Each `if` is decided here (its loop variables are constants, its dims bound) and replaced by the
        // statements of the branch taken, so what follows it in the block is seen as following them.
        guard let statements = try? decidingIfs(statements) else { return }
        for (index, statement) in statements.enumerated() {
            do {
                try lowerStatement(statement, following: Array(statements[(index + 1)...]))
            } catch {
                continue
            }
        }
    }
}
