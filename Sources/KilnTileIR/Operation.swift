// Operation.swift: the tile IR data structure: modules, functions, blocks, operations and their kinds.

import KilnMachine
import KilnSource

// Design. The IR is made of value types: a `Module` holds `Function`s; a function holds a `Block`; a block
// holds `Operation`s in order; a `for` operation holds its body `Block`. An operation defines at most one
// SSA value (`result`) and refers to other values by `ValueID`, a number unique within its function.
// The operation's `kind` is a closed enum whose cases carry the op's operands and attributes as typed
// fields, so a pass pattern-matches on exactly the data an op has, and `switch` over kinds is checked for
// exhaustiveness. Passes rewrite by building new arrays of operations (`Block.ops`) and by remapping value
// ids (`OpKind.mappingValues`); nothing is shared, so there are no use lists to keep in sync: uses are
// recomputed when needed (`Function.useCounts()`), which is cheap at kernel sizes.
// Tensor-level ops are pure and define a value; tile-level engine ops write into destination tiles
// (buffers made by `alloc`), the way the hardware's instructions do, and define nothing.

/// An SSA value's identity, unique within one function.
public struct ValueID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var raw: Int
    public init(_ raw: Int) { self.raw = raw }
    public static func < (lhs: ValueID, rhs: ValueID) -> Bool { lhs.raw < rhs.raw }
    public var description: String { "v\(raw)" }
}

/// The definition of an SSA value: its id, its type and the name it was written with, if any.
public struct ValueDef: Hashable, Sendable {
    public var id: ValueID
    public var type: IRType
    /// A readable name (`x`, `i`) the printer uses when it is free; nil prints a number.
    public var nameHint: String?

    public init(id: ValueID, type: IRType, nameHint: String? = nil) {
        self.id = id
        self.type = type
        self.nameHint = nameHint
    }
}

/// One operation: what it does (`kind`, with operands and attributes), the value it defines, and where it
/// came from: `span` in the kernel source, `textSpan` in the IR text it was parsed from (unknown if built).
public struct Operation: Hashable, Sendable {
    public var kind: OpKind
    public var result: ValueDef?
    public var span: SourceSpan
    public var textSpan: SourceSpan
    /// The fusion group `fuse` put this tensor-level op in (printed `group N`): `tile` emits one tile loop
    /// nest per group. Nil when not grouped.
    public var fusionGroup: Int?

    public init(_ kind: OpKind, result: ValueDef? = nil, span: SourceSpan = .unknown, textSpan: SourceSpan = .unknown,
                fusionGroup: Int? = nil) {
        self.kind = kind
        self.result = result
        self.span = span
        self.textSpan = textSpan
        self.fusionGroup = fusionGroup
    }

    /// The values this op defines: its result and, for a loop, its induction variable.
    public var definitions: [ValueDef] {
        var defs: [ValueDef] = []
        if case .forLoop(let loop) = kind { defs.append(loop.inductionVariable) }
        if let result { defs.append(result) }
        return defs
    }

    /// Generic views of the op, for tools that do not care which op it is.
    public var opcode: String { kind.opcode }
    public var operands: [ValueID] { kind.uses }
    public var resultTypes: [IRType] { result.map { [$0.type] } ?? [] }
    public var regions: [Block] {
        if case .forLoop(let loop) = kind { return [loop.body] }
        return []
    }
}

/// A sequence of operations; the body of a function or a loop.
public struct Block: Hashable, Sendable {
    public var ops: [Operation]
    public init(_ ops: [Operation] = []) { self.ops = ops }

    /// Visits every operation, nested loop bodies included, in textual order.
    public func walk(_ visit: (Operation) -> Void) {
        for op in ops {
            visit(op)
            if case .forLoop(let loop) = op.kind { loop.body.walk(visit) }
        }
    }
}

/// A scalar kernel parameter's default value, or nil.
public struct Parameter: Hashable, Sendable {
    public var value: ValueDef
    public var defaultValue: Double?
    public init(_ value: ValueDef, defaultValue: Double? = nil) {
        self.value = value
        self.defaultValue = defaultValue
    }
}

/// A kernel or helper function. Parameters are its inputs; outputs are named too (HBM buffers a tile-level
/// body stores into, or the values a tensor-level `return` gives).
public struct Function: Hashable, Sendable {
    public var name: String
    public var parameters: [Parameter]
    public var outputs: [ValueDef]
    public var body: Block
    /// Schedule hints from the kernel's `@schedule(...)` attribute (`tile_m`, `tile_n`, `tile_k`, `bufs`),
    /// printed after the signature as `schedule(tile_k = 128, tile_n = 512)`; empty when none were given.
    public var schedule: [String: Int]
    public var span: SourceSpan
    public var textSpan: SourceSpan
    /// The next unused value id.
    public var nextValueID: Int

    public init(name: String, span: SourceSpan = .unknown, textSpan: SourceSpan = .unknown) {
        self.name = name
        self.parameters = []
        self.outputs = []
        self.body = Block()
        self.schedule = [:]
        self.span = span
        self.textSpan = textSpan
        self.nextValueID = 0
    }

    /// A fresh value of the given type.
    public mutating func makeValue(_ type: IRType, name: String? = nil) -> ValueDef {
        defer { nextValueID += 1 }
        return ValueDef(id: ValueID(nextValueID), type: type, nameHint: name)
    }

    public mutating func addParameter(_ type: IRType, name: String, defaultValue: Double? = nil) -> ValueDef {
        let value = makeValue(type, name: name)
        parameters.append(Parameter(value, defaultValue: defaultValue))
        return value
    }

    public mutating func addOutput(_ type: IRType, name: String) -> ValueDef {
        let value = makeValue(type, name: name)
        outputs.append(value)
        return value
    }

    /// Every value defined in the function (parameters, outputs, results, induction variables) by id.
    public func valueTable() -> [ValueID: ValueDef] {
        var table: [ValueID: ValueDef] = [:]
        for parameter in parameters { table[parameter.value.id] = parameter.value }
        for output in outputs { table[output.id] = output }
        body.walk { op in for def in op.definitions { table[def.id] = def } }
        return table
    }

    /// How many times each value is used by an operation.
    public func useCounts() -> [ValueID: Int] {
        var counts: [ValueID: Int] = [:]
        body.walk { op in for use in op.kind.uses { counts[use, default: 0] += 1 } }
        return counts
    }
}

/// A whole tile IR module: the target it is for, the kernel source its spans point into, its functions.
public struct Module: Hashable, Sendable {
    /// The target name (`trn1`, `trn2`), resolved with `MachineTarget.named`.
    public var target: String
    /// The kernel source file that `loc(...)` spans are byte offsets into, if known.
    public var sourcePath: String?
    public var functions: [Function]
    /// The line and column that the text this module was parsed from gave for a span's start
    /// (`loc(120:135 at 12:5)`), so that printing without the kernel source keeps them.
    public var sourcePositions: [Int: SourcePosition]

    public init(target: String, sourcePath: String? = nil, functions: [Function] = [],
                sourcePositions: [Int: SourcePosition] = [:]) {
        self.target = target
        self.sourcePath = sourcePath
        self.functions = functions
        self.sourcePositions = sourcePositions
    }

    public func function(named name: String) -> Function? {
        functions.first { $0.name == name }
    }
}

/// A line and column (1-based) in the kernel source, as a `loc(... at LINE:COL)` gave it.
public struct SourcePosition: Hashable, Sendable {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}
