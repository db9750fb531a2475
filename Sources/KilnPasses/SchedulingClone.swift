// SchedulingClone.swift: copies a block with fresh value ids, shifting a loop variable, for unrolling passes.

import KilnTileIR

/// Copies blocks of one function. Every value a copied op defines (tile results, loop induction variables)
/// gets a fresh id from the function, with the original name hint plus `suffix`; uses of those values, and
/// of any value in `renamed`, are rewritten. With `shift`, every use of `variable` in an affine offset or a
/// matmul flag stands for `variable + shift` (the copy runs `shift` further along the loop).
struct SchedulingCloner {
    var renamed: [ValueID: ValueID]
    let variable: ValueID?
    let shift: Int
    let suffix: String

    init(renamed: [ValueID: ValueID] = [:], shifting variable: ValueID? = nil, by shift: Int = 0, suffix: String) {
        self.renamed = renamed
        self.variable = variable
        self.shift = shift
        self.suffix = suffix
    }

    mutating func clone(_ block: Block, in function: inout Function) -> Block {
        var ops: [Operation] = []
        for op in block.ops {
            var copy = op
            if case .forLoop(var loop) = op.kind {
                loop.inductionVariable = fresh(loop.inductionVariable, in: &function)
                loop.body = clone(loop.body, in: &function)
                copy.kind = .forLoop(loop)
            } else {
                let map = renamed
                copy.kind = op.kind.mappingValues { map[$0] ?? $0 }
                if let variable, shift != 0 { copy.kind = copy.kind.shifting(variable, by: shift) }
            }
            if let result = op.result { copy.result = fresh(result, in: &function) }
            ops.append(copy)
        }
        return Block(ops)
    }

    private mutating func fresh(_ def: ValueDef, in function: inout Function) -> ValueDef {
        let made = function.makeValue(def.type, name: def.nameHint.map { $0 + suffix })
        renamed[def.id] = made.id
        return made
    }
}

extension OpKind {
    /// The op with `variable` replaced by `variable + amount` in its HBM slice offsets, affine operands and conditions (any
    /// engine op's, by operand kind).
    func shifting(_ variable: ValueID, by amount: Int) -> OpKind {
        guard var instruction = instruction else { return self }
        instruction.operands = instruction.operands.map { operand in
            switch operand {
            case .slice(let tensor, let offsets):
                return .slice(tensor, offsets.map { $0.shifting(variable, by: amount) })
            case .affine(let expr):
                return .affine(expr.shifting(variable, by: amount))
            case .condition(.when(let flagVariable, let value)) where flagVariable == variable:
                return .condition(.when(variable, equals: value - amount))
            default:
                return operand
            }
        }
        return .engine(instruction)
    }

    /// The op with conditions on `variable` that none of its values `lower, lower + step, ... < upper` satisfies
    /// turned into `never`.
    func simplifyingFlags(on variable: ValueID, lower: Int, upper: Int, step: Int) -> OpKind {
        guard var instruction = instruction else { return self }
        instruction.operands = instruction.operands.map { operand in
            guard case .condition(.when(let flagVariable, let value)) = operand, flagVariable == variable else { return operand }
            let reachable = value >= lower && value < upper && (value - lower) % step == 0
            return reachable ? operand : .condition(.never)
        }
        return .engine(instruction)
    }
}

extension AffineExpr {
    /// The expression with `variable` replaced by `variable + amount`.
    func shifting(_ variable: ValueID, by amount: Int) -> AffineExpr {
        var out = self
        for term in terms where term.variable == variable { out.constant += term.coefficient * amount }
        return out
    }
}
