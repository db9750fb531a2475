// TilingChains.swift: finds matmul -> row group -> matmul chains of fusion groups (attention) that `tile` keeps on chip.

import KilnTileIR

/// The parts of one on-chip chain, by the values their ops define (view ops keep their result ids, so the parts
/// survive `tileBatched`'s rewrite to matrix views).
struct MatmulRowChain {
    /// The second matmul's result: names the chain.
    var key: ValueID
    /// The groups merged, in the order their ops are concatenated.
    var groups: [Int] = []
    /// A `transpose` of a kernel input giving the first matmul's right operand (`k.T`), when its group is merged.
    var transposed: Set<ValueID> = []
    /// The first matmul, its epilogue and the mask groups it reads: computed per [rows | tile_n] window.
    var scores: Set<ValueID> = []
    /// The row group between the matmuls: computed on whole [rows | N] rows held in SBUF.
    var rows: Set<ValueID> = []
    /// The second matmul and its epilogue (stored as the group's outputs).
    var product: Set<ValueID> = []
}

extension TilingGroups {
    /// Every chain `S = A @ B (+ elementwise)`, `P = row ops of S` (elementwise, reductions along the last axis),
    /// `O = P @ V (+ elementwise)` whose intermediates nobody else reads or returns.
    ///
    /// Algorithm: for each group with one matmul whose left operand is made by another group (the row group), that
    /// row group must hold only elementwise ops and last-axis reductions and read exactly one other group with a matmul
    /// (the scores group) whose other ops are elementwise; every value of the scores and row groups must be read only
    /// by the three groups (the product group reading only its matmul's left operand from them) and never returned.
    /// A group holding only `transpose` of a kernel input that only the first matmul reads as its right operand is
    /// merged too (the keys are transposed on chip), and so are groups of positions (iota, constants and the
    /// elementwise ops on them, reading nothing else) that only the scores group reads and that do not make the first
    /// matmul's operands (a causal mask is made per tile instead of read from an S x S scratch tensor).
    func matmulRowChains() -> [MatmulRowChain] {
        var readers: [ValueID: Set<Int>] = [:]
        for (group, ops) in groups.enumerated() {
            for value in ops.flatMap(\.kind.reads) { readers[value, default: []].insert(group) }
        }
        let returnedValues = Set(returned)
        var chains: [MatmulRowChain] = []
        var used = Set<Int>()
        for (product, productOps) in groups.enumerated() {
            guard let (m2, a2, _) = Self.onlyMatmul(productOps), let rowsGroup = definingGroup[a2], rowsGroup != product,
                  Self.isRowGroup(groups[rowsGroup]) else { continue }
            let scoreGroups = predecessors(of: rowsGroup).filter { Self.onlyMatmul(groups[$0]) != nil }
            guard scoreGroups.count == 1, let scores = scoreGroups.first, scores != product,
                  let (_, a1, b1) = Self.onlyMatmul(groups[scores]),
                  groups[scores].allSatisfy({ Self.isMatmulOrElementwise($0.kind) }) else { continue }
            // Nothing made in the scores or row groups leaves the chain, and the product group reads only `a2` of them.
            let inner = Set(groups[scores].compactMap { $0.result?.id } + groups[rowsGroup].compactMap { $0.result?.id })
            let contained = inner.allSatisfy { value in
                !returnedValues.contains(value) && (readers[value] ?? []).isSubset(of: [scores, rowsGroup, product])
                    && (value == a2 || !(readers[value] ?? []).contains(product))
            }
            guard contained else { continue }
            var chain = MatmulRowChain(key: m2)
            chain.scores = Set(groups[scores].compactMap { $0.result?.id })
            chain.rows = Set(groups[rowsGroup].compactMap { $0.result?.id })
            chain.product = Set(productOps.compactMap { $0.result?.id })
            var merged: [Int] = []
            if let keys = definingGroup[b1], keys != scores, groups[keys].count == 1, case .transpose(let source) = groups[keys][0].kind,
               definingGroup[source] == nil, readers[b1] == [scores], !returnedValues.contains(b1) {
                merged.append(keys)
                chain.transposed = [b1]
            }
            for group in predecessors(of: scores).sorted() where !merged.contains(group) && group != rowsGroup {
                let made = groups[group].compactMap { $0.result?.id }
                // A matmul operand made of positions stays a group of its own: the chain reads its operands whole
                // from memory, and only elementwise epilogue inputs (masks) are made per window.
                guard !made.contains(a1), !made.contains(b1),
                      predecessors(of: group).isEmpty, groups[group].allSatisfy({ Self.isPositionOp($0.kind) }),
                      groups[group].flatMap(\.kind.reads).allSatisfy({ definingGroup[$0] == group || scalars[$0] != nil }),
                      made.allSatisfy({ !returnedValues.contains($0) && (readers[$0] ?? []).isSubset(of: [group, scores]) })
                else { continue }
                merged.append(group)
                chain.scores.formUnion(made)
            }
            merged += [scores, rowsGroup, product]
            guard used.isDisjoint(with: merged) else { continue }
            used.formUnion(merged)
            chain.groups = merged
            chains.append(chain)
        }
        return chains
    }

    /// Replaces a chain's groups by one group holding their ops in the chain's order.
    mutating func merge(_ chain: MatmulRowChain) {
        let ops = chain.groups.flatMap { groups[$0] }
        let removed = Set(chain.groups)
        var kept: [[Operation]] = []
        for (index, group) in groups.enumerated() {
            if index == chain.groups.last { kept.append(ops) } else if !removed.contains(index) { kept.append(group) }
        }
        groups = kept
        definingGroup = [:]
        for (index, group) in groups.enumerated() {
            for op in group { if let result = op.result { definingGroup[result.id] = index } }
        }
    }

    /// The group's one matmul (result, left and right operands), nil when it has none or several.
    static func onlyMatmul(_ ops: [Operation]) -> (ValueID, ValueID, ValueID)? {
        let matmuls = ops.compactMap { op -> (ValueID, ValueID, ValueID)? in
            if case .matmul(let a, let b) = op.kind, let result = op.result { return (result.id, a, b) }
            return nil
        }
        return matmuls.count == 1 ? matmuls[0] : nil
    }

    static func isMatmulOrElementwise(_ kind: OpKind) -> Bool {
        if case .matmul = kind { return true }
        return isPositionOp(kind)
    }

    /// Elementwise ops, constants and positions: computed on any window of their space.
    static func isPositionOp(_ kind: OpKind) -> Bool {
        switch kind {
        case .constant, .iota, .unary, .binary, .broadcast, .select, .cast: true
        default: false
        }
    }

    /// Elementwise ops and reductions along the last axis (of a rank-2 or higher value): a row group.
    static func isRowGroup(_ ops: [Operation]) -> Bool {
        ops.allSatisfy { op in
            if case .reduce(_, _, let axis) = op.kind, let rank = op.result?.type.tensorType?.rank {
                return rank >= 2 && axis == rank - 1
            }
            return isPositionOp(op.kind)
        } && ops.contains { if case .reduce = $0.kind { true } else { false } }
    }
}
