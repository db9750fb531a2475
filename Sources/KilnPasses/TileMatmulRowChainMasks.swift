// TileMatmulRowChainMasks.swift: which score windows of an on-chip chain a position mask empties (causal attention).

import KilnMachine
import KilnTileIR

/// A mask of a chain's scores whose masked elements contribute nothing: a `select` on an affine predicate of the
/// scores' positions (`iota(..., axis: 1) <= iota(..., axis: 0)`, a causal mask) with a constant in one branch, where
/// that constant, carried through the rest of the chain's ops, is the identity of every row reduction (-inf for max,
/// +inf for min, 0 for sum and mean) and 0 in P. A window of scores the predicate puts entirely on the constant's side
/// then changes no reduction and adds only zero products to O, so the chain tiler neither computes nor reads it.
///
/// The analysis evaluates each chain op on the constants a dead window holds (`ConstantFolding`, as the executors
/// compute), with per-row values (row reductions, broadcast) standing for any value a row's live part can give them.
/// It tries the per-row values in `rowSamples`: finite nonzero ones and +inf. Left out are NaN, -inf and 0, which a
/// row's max or sum takes only when its live part is already NaN or empty of finite values (every row of a causal
/// mask sees its own key), so the skipped windows would have added NaN to a NaN row. The one other difference from
/// the reference is that a masked key's value is never read: a non-finite `v` under the mask does not reach the output
/// (flash attention's behaviour; Docs/numerics.md, "Fused chains").
struct ChainMask: Equatable {
    /// The predicate `constant + rowStep * r + columnStep * c >= 0` at absolute row r and column c of the scores.
    var constant: Int, rowStep: Int, columnStep: Int
    /// Which value of the predicate selects the constant.
    var constantWhen: Bool

    /// True when every element of the block (rows x columns, both non-empty) takes the constant.
    func covers(rows: Range<Int>, columns: Range<Int>) -> Bool {
        let rowTerms = [rowStep * rows.lowerBound, rowStep * (rows.upperBound - 1)]
        let columnTerms = [columnStep * columns.lowerBound, columnStep * (columns.upperBound - 1)]
        if constantWhen { return constant + rowTerms.min()! + columnTerms.min()! >= 0 }
        return constant + rowTerms.max()! + columnTerms.max()! < 0
    }

    /// Per-row values a dead element is combined with: finite, nonzero, both signs, and +inf.
    static let rowSamples: [Double] = [1, -1, 0.5, -3.25, 1.0e30, -1.0e30, 3.0e38, .infinity]

    /// A dead window's value of a chain value: one constant, a per-row value, or anything.
    private enum Dead { case constant(Double), perRow, unknown }

    /// The masks of the chain whose constant reaches P as 0 through identities of every row reduction. `ops` are the
    /// chain's score and row ops in program order (rank-2 views, the scores [m, n]); `p` is the second matmul's A.
    static func find(in ops: [Operation], p: ValueID, types: [ValueID: ValueDef], m: Int, n: Int) -> [ChainMask] {
        var positions: [ValueID: WindowPosition] = [:], predicates: [ValueID: WindowPosition] = [:]
        var constants: [ValueID: Double] = [:]
        var found: [ChainMask] = []
        for op in ops {
            guard let result = op.result?.id else { continue }
            switch op.kind {
            case .constant(let value): constants[result] = value
            case .iota(let axis):
                positions[result] = op.result?.type.tensorType.flatMap {
                    WindowPosition.ofIota(shape: $0.shape, axis: axis, rows: m, columns: n, rowOffset: .constant(0),
                                          columnOffset: .constant(0))
                }
            case .broadcast(let source):
                constants[result] = constants[source]
            case .select(let condition, let a, let b):
                guard let predicate = predicates[condition], predicate.base.terms.isEmpty else { break }
                for (fill, when) in [(constants[b], false), (constants[a], true)] {
                    guard let fill, !fill.isNaN else { continue }
                    let mask = ChainMask(constant: predicate.base.constant, rowStep: predicate.partitionStep,
                                         columnStep: predicate.freeStep, constantWhen: when)
                    if emptiesP(ops, select: result, fill: fill, p: p, types: types) { found.append(mask) }
                }
            default: break
            }
            let derived = WindowPosition.derived(op.kind, positions: positions, predicates: predicates) { constants[$0] }
            if let position = derived.position { positions[result] = position }
            if let predicate = derived.predicate { predicates[result] = predicate }
        }
        return found
    }

    /// True when `select`'s result being `fill` everywhere makes P 0 and leaves every row reduction unchanged.
    private static func emptiesP(_ ops: [Operation], select: ValueID, fill: Double, p: ValueID,
                                 types: [ValueID: ValueDef]) -> Bool {
        var dead: [ValueID: Dead] = [:]
        func value(_ id: ValueID) -> Dead { dead[id] ?? .unknown }
        for op in ops {
            guard let result = op.result else { continue }
            if result.id == select {
                dead[result.id] = .constant(fill)
                continue
            }
            switch op.kind {
            case .constant(let constant):
                dead[result.id] = .constant(constant)
            case .iota, .matmul, .transpose:
                dead[result.id] = .unknown
            case .broadcast(let source):
                dead[result.id] = value(source)
            case .cast(let source):
                dead[result.id] = map(value(source)) { ConstantFolding.cast($0, to: result.type) }
            case .unary(let function, let source):
                dead[result.id] = map(value(source)) { ConstantFolding.unary(function, $0, result.type) }
            case .binary(let binary, let a, let b):
                let operand = types[a]?.type
                let fold = { (x: Double, y: Double) in ConstantFolding.binary(binary, x, y, operand: operand, result.type) }
                switch (value(a), value(b)) {
                case (.constant(let x), .constant(let y)): dead[result.id] = fold(x, y).map(Dead.constant) ?? .unknown
                case (.constant(let x), .perRow): dead[result.id] = common(rowSamples.map { fold(x, $0) })
                case (.perRow, .constant(let y)): dead[result.id] = common(rowSamples.map { fold($0, y) })
                case (.perRow, .perRow): dead[result.id] = .perRow
                default: dead[result.id] = .unknown
                }
            case .select(_, let a, let b):
                if case .constant(let x) = value(a), case .constant(let y) = value(b), x == y {
                    dead[result.id] = .constant(x)
                } else {
                    dead[result.id] = .unknown
                }
            case .reduce(let kind, let source, let axis):
                guard axis == (types[source]?.type.tensorType?.rank ?? 0) - 1 else { return false }
                switch value(source) {
                case .perRow: break
                case .constant(let x):
                    let identity: Double = kind == .max ? -.infinity : kind == .min ? .infinity : 0
                    guard x == identity else { return false }
                case .unknown: return false
                }
                dead[result.id] = .perRow
            default:
                return false
            }
        }
        if case .constant(let x) = value(p), x == 0 { return true }
        return false
    }

    private static func map(_ value: Dead, _ fold: (Double) -> Double?) -> Dead {
        switch value {
        case .constant(let x): fold(x).map(Dead.constant) ?? .unknown
        case .perRow: .perRow
        case .unknown: .unknown
        }
    }

    /// One constant when every sample gives the same (non-NaN) value.
    private static func common(_ values: [Double?]) -> Dead {
        guard let first = values.first ?? nil, !first.isNaN,
              values.allSatisfy({ $0.map { $0 == first } ?? false }) else { return .unknown }
        return .constant(first)
    }
}

extension MatmulRowChainTiler {
    /// The columns of the scores a block of rows must compute: the windows no mask covers, from the first to the last
    /// (a linear predicate covers a prefix or a suffix of a row's windows, so the rest is one run), and the first
    /// window when every one is covered (the rows are then wholly masked, and their NaN comes from that window).
    static func liveColumns(rows: Range<Int>, windows: [(offset: Int, size: Int)], masks: [ChainMask]) -> Range<Int> {
        let live = windows.filter { window in
            !masks.contains { $0.covers(rows: rows, columns: window.offset ..< window.offset + window.size) }
        }
        guard let first = live.first, let last = live.last else {
            return windows[0].offset ..< windows[0].offset + windows[0].size
        }
        return first.offset ..< last.offset + last.size
    }
}
