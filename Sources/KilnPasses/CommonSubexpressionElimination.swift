// CommonSubexpressionElimination.swift: the `cse` pass: merges pure ops that compute the same value.

import KilnPluginAPI
import KilnTileIR

/// `cse`: common subexpression elimination over pure (tensor-level) ops.
///
/// Algorithm, per function: walk the blocks in order (a pre-order walk of the loop tree, which is the
/// dominance order of structured IR) with a stack of hash tables, one per enclosing block. For each op,
/// first rewrite its operands through the replacement map built so far. If the op is pure and defines
/// a value, its key is (kind with operands, result type); commutative operators (`add`, `mul`, `max`,
/// `min`, `eq`, `ne`, `and`, `or`) sort their two operands first so `add %a, %b` meets `add %b, %a`.
/// If a table on the stack already holds the key, the earlier op dominates this one: map this op's
/// result to the earlier result and drop the op. Otherwise record the key in the innermost table. A loop
/// body pushes a table on entry and pops it on exit, so values computed inside a loop are never reused
/// after it. Tile-level ops write memory and `alloc` makes a distinct buffer each time, so neither is merged.
public struct CommonSubexpressionElimination: Pass {
    public let name = "cse"
    public let summary = "merge pure ops that compute the same value from the same operands"

    public init() {}

    public func run(on module: inout Module, context: inout PassContext) throws {
        for index in module.functions.indices {
            var state = State()
            module.functions[index].body = state.eliminate(in: module.functions[index].body)
        }
    }

    struct Key: Hashable {
        var kind: OpKind
        var type: IRType
    }

    struct State {
        var scopes: [[Key: ValueID]] = [[:]]
        var replacements: [ValueID: ValueID] = [:]

        mutating func eliminate(in block: Block) -> Block {
            var kept: [Operation] = []
            for var op in block.ops {
                let replacements = self.replacements
                op.kind = op.kind.mappingValues { replacements[$0] ?? $0 }
                if case .forLoop(var loop) = op.kind {
                    scopes.append([:])
                    loop.body = eliminate(in: loop.body)
                    scopes.removeLast()
                    op.kind = .forLoop(loop)
                } else if op.kind.isPure, let result = op.result {
                    let key = Key(kind: canonical(op.kind), type: result.type)
                    if let existing = lookup(key) {
                        self.replacements[result.id] = existing
                        continue
                    }
                    scopes[scopes.count - 1][key] = result.id
                }
                kept.append(op)
            }
            return Block(kept)
        }

        func lookup(_ key: Key) -> ValueID? {
            for scope in scopes.reversed() {
                if let value = scope[key] { return value }
            }
            return nil
        }

        /// Commutative binary ops with their operands in id order.
        func canonical(_ kind: OpKind) -> OpKind {
            if case .binary(let op, let a, let b) = kind, op.isCommutative, b < a { return .binary(op, b, a) }
            return kind
        }
    }
}
