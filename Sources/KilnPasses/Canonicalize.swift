// Canonicalize.swift: the `canonicalize` pass: constant folding, algebraic identities, canonical operand order.

import KilnMachine
import KilnPluginAPI
import KilnTileIR

/// `canonicalize`: simplifies tensor-level ops to a canonical form.
///
/// Algorithm, per function: walk the blocks in order (loop bodies included) with a replacement map
/// (value -> the value that now stands for it) and a table of known constants (the value of each
/// `constant` op, scalar or splat). Each op's operands are first rewritten through the map; then the
/// first rule that applies rewrites the op, either replacing its result by an existing value (the op is
/// dropped) or by a new op in its place:
/// - constant folding: a math function or operator whose operands are all constants becomes a
///   `constant` of the result type (computed in f32 for float results, a narrower float's then rounded to
///   its format; exactly for i32 and bool); `cast`, `broadcast` and
///   `reduce` of a constant, and `select` with a constant condition, fold too;
/// - identities: `x + 0`, `0 + x`, `x - 0`, `x * 1`, `1 * x`, `x / 1` are `x`; `neg (neg x)` and
///   `not (not x)` are `x`; `cast x` to x's own type, `broadcast x` to x's own shape and
///   `transpose (transpose x)` are `x`; `broadcast (broadcast x)` is one `broadcast x`;
/// - canonical order: a commutative operator with a constant on the left gets it on the right.
/// Rules apply only where the replacement has exactly the op's result type (an hbm tensor stands for a
/// value tensor of the same shape). A final sweep removes the pure ops whose results nobody reads any
/// more, repeated until none is left. Tile-level ops are left alone.
public struct Canonicalize: Pass {
    public let name = "canonicalize"
    public let summary = "fold constants, apply algebraic identities (x*1, x+0, -(-x), no-op casts/broadcasts/transposes)"

    public init() {}

    public func run(on module: inout Module, context: inout PassContext) throws {
        for index in module.functions.indices {
            var rewriter = Rewriter(types: module.functions[index].valueTable().mapValues(\.type))
            var function = module.functions[index]
            function.body = rewriter.rewrite(function.body, in: &function)
            function.body = Self.removeUnused(function.body, uses: function.useCounts())
            module.functions[index] = function
        }
    }

    /// Removes pure ops nobody reads, repeating until nothing changes.
    static func removeUnused(_ block: Block, uses initial: [ValueID: Int]) -> Block {
        var uses = initial
        var current = block
        while true {
            var removed = false
            current = sweep(current, uses: &uses, removed: &removed)
            if !removed { return current }
        }
    }

    private static func sweep(_ block: Block, uses: inout [ValueID: Int], removed: inout Bool) -> Block {
        var kept: [Operation] = []
        for var op in block.ops.reversed() {
            if op.kind.isPure, let result = op.result, uses[result.id, default: 0] == 0 {
                for read in op.kind.uses { uses[read, default: 0] -= 1 }  // as `useCounts` counts: once per op
                removed = true
                continue
            }
            if case .forLoop(var loop) = op.kind {
                loop.body = sweep(loop.body, uses: &uses, removed: &removed)
                op.kind = .forLoop(loop)
            }
            kept.append(op)
        }
        return Block(kept.reversed())
    }
}

/// The rewriting state of one function.
struct Rewriter {
    var types: [ValueID: IRType]
    var replacements: [ValueID: ValueID] = [:]
    var constants: [ValueID: Double] = [:]
    /// Which op defined each value, for patterns that look through an operand (`neg (neg x)`).
    var definitions: [ValueID: OpKind] = [:]

    init(types: [ValueID: IRType]) {
        self.types = types
    }

    mutating func rewrite(_ block: Block, in function: inout Function) -> Block {
        var ops: [Operation] = []
        for var op in block.ops {
            let current = replacements
            op.kind = op.kind.mappingValues { current[$0] ?? $0 }
            if case .forLoop(var loop) = op.kind {
                loop.body = rewrite(loop.body, in: &function)
                op.kind = .forLoop(loop)
                ops.append(op)
                continue
            }
            guard op.kind.isPure, let result = op.result else {
                ops.append(op)
                continue
            }
            switch simplify(op.kind, result.type) {
            case .keep:
                break
            case .replace(let value):
                replacements[result.id] = value
                continue
            case .fold(let value):
                op.kind = .constant(value)
            case .rewrite(let kind):
                op.kind = kind
            }
            if case .constant(let value) = op.kind { constants[result.id] = value }
            definitions[result.id] = op.kind
            ops.append(op)
        }
        return Block(ops)
    }

    enum Outcome {
        case keep
        case replace(ValueID)
        case fold(Double)
        case rewrite(OpKind)
    }

    /// True if `value` can stand for a result of type `type`.
    func fits(_ value: ValueID, _ type: IRType) -> Bool {
        guard let own = types[value] else { return false }
        if own == type { return true }
        if case .hbm(let tensor) = own, case .tensor(let wanted) = type { return tensor == wanted }
        return false
    }

    func simplify(_ kind: OpKind, _ type: IRType) -> Outcome {
        switch kind {
        case .unary(let function, let a):
            if let value = constants[a], let folded = ConstantFolding.unary(function, value, type) { return .fold(folded) }
            if function == .neg || function == .not, case .unary(function, let inner)? = definitions[a], fits(inner, type) {
                return .replace(inner)
            }
        case .binary(let op, let a, let b):
            if let x = constants[a], let y = constants[b], let folded = ConstantFolding.binary(op, x, y, operand: types[a], type) {
                return .fold(folded)
            }
            if let identity = identityOperand(op, a, b), fits(identity, type) { return .replace(identity) }
            if op.isCommutative, constants[a] != nil, constants[b] == nil { return .rewrite(.binary(op, b, a)) }
        case .cast(let a):
            if fits(a, type) { return .replace(a) }
            if let value = constants[a], let folded = ConstantFolding.cast(value, to: type) { return .fold(folded) }
        case .broadcast(let a):
            if fits(a, type) { return .replace(a) }
            if let value = constants[a] { return .fold(value) }
            if case .broadcast(let inner)? = definitions[a] { return .rewrite(.broadcast(inner)) }
        case .transpose(let a):
            if case .transpose(let inner)? = definitions[a], fits(inner, type) { return .replace(inner) }
            if let value = constants[a] { return .fold(value) }
        case .reduce(let reduction, let a, let axis):
            if let value = constants[a], case .tensor(let source)? = types[a].map({ $0.valueTypeForFolding }), axis < source.rank,
               let folded = ConstantFolding.reduce(reduction, value, count: source.shape[axis], type) {
                return .fold(folded)
            }
        case .select(let c, let a, let b):
            if let condition = constants[c] {
                let chosen = condition != 0 ? a : b
                if fits(chosen, type) { return .replace(chosen) }
                if let value = constants[chosen] { return .fold(value) }
            }
        default:
            break
        }
        return .keep
    }

    /// The operand that `op` leaves unchanged because the other one is its identity element, if any.
    func identityOperand(_ op: BinaryOperator, _ a: ValueID, _ b: ValueID) -> ValueID? {
        switch op {
        case .add: if constants[b] == 0 { return a } else if constants[a] == 0 { return b }
        case .sub: if constants[b] == 0 { return a }
        case .mul: if constants[b] == 1 { return a } else if constants[a] == 1 { return b }
        case .div: if constants[b] == 1 { return a }
        default: break
        }
        return nil
    }
}

extension IRType {
    /// HBM tensors fold like value tensors.
    var valueTypeForFolding: IRType {
        if case .hbm(let tensor) = self { return .tensor(tensor) }
        return self
    }
}
