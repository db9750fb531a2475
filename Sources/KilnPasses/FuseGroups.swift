// FuseGroups.swift: the `fuse` pass: puts tensor-level ops that can share one tile loop nest into fusion groups.

import KilnPluginAPI
import KilnTileIR

/// `fuse`: groups tensor-level ops so that `tile` emits one loop nest per group, with data going
/// HBM -> SBUF -> HBM once per group.
///
/// Algorithm, per kernel with tensor-level ops (helpers, whose outputs are not HBM, and tile-level
/// functions are left alone, as `tile` leaves them). Each op is
/// classified by what it does to a 2-D row space `[R, C]` (rows on the partition axis):
/// - *row ops*: elementwise math and operators, `select`, `cast`, `broadcast`, tensor constants, and
///   reductions along the last (free) axis of a 2-D tensor; their row count is the result's first dim;
///   a float sum or mean across rows (axis 0) is a row op over its operand's rows (`tile` accumulates it
///   in PSUM over the row loop), in a group with no op reading its result and no reduction along rows;
/// - *matmul*: `a @ b` with rows M;
/// - *flat ops*: the same elementwise ops on rank-1 tensors; their space is the element count;
///   scalar math on parameters is the flat space of one element;
/// - *other*: everything else (transposes, max/min across rows, calls), alone.
/// A tensor of rank 3 or 4 is a batch of 2-D row spaces: its leading dims are batch dims (`tile` runs
/// a loop over them around the group's nest), and the rules above apply to its last two dims; ops join
/// only when their batch dims are equal too (`RowSpace`).
/// Scalar constants belong to no group (they become immediate operands). The pass then walks the ops
/// in order with a union-find over groups: a row op joins the group of every operand producer that is a
/// row op with the same row count (a flat op: a flat op of the same length), and the group of the first
/// earlier op of that space that reads the same kernel input (sibling fusion: the input is loaded once).
/// A matmul group accepts a consumer only as an *epilogue*: an elementwise op (no reduction) whose result
/// has the matmul's shape, so it can run on the PSUM accumulator as it is evacuated (bias add, gelu,
/// cast), never an op computing one of the matmul's operands (those are loaded from HBM); two matmuls never
/// share a group. No join may make the groups cyclic: two sets merge only when
/// no op outside both is reachable from them and reaches them (a softmax of a matmul's result leaves the
/// matmul group, since its row max needs the whole result first). The root of each set gets a number in
/// order of first appearance, written on each op as `group N`. Ops in one group exchange values through
/// SBUF tiles; `tile` passes a value that crosses groups through HBM (its output, or a scratch tensor).
public struct FuseGroups: Pass {
    public let name = "fuse"
    public let summary = "group elementwise ops, row reductions and matmul epilogues into fusion groups"

    public init() {}

    public func run(on module: inout Module, context: inout PassContext) throws {
        for index in module.functions.indices {
            let function = module.functions[index]
            guard function.body.ops.contains(where: { $0.kind.isTensorLevel }),
                  function.outputs.allSatisfy({ $0.type.hbmType != nil }) else { continue }
            var planner = FusionPlanner(function)
            module.functions[index].body = Block(planner.groupedOps())
        }
    }
}

/// The space a row op runs over: `rows` rows (the first of the last two dims) in each index of the `batch`
/// dims (empty below rank 3), or `-n` rows for a rank-1 space of n elements (so the two never mix).
struct RowSpace: Hashable {
    var batch: [Int]
    var rows: Int

    /// The space of a tensor of rank 2 or more (the dims before the last two are batch dims).
    init(matrix shape: [Int]) {
        batch = TensorShapes.batch(shape)
        rows = shape[shape.count - 2]
    }

    init(flat elements: Int) {
        batch = []
        rows = -elements
    }
}

/// What an op is to the fusion rules.
enum FusionClass: Equatable {
    /// An elementwise op or a free-axis reduction over a row space.
    case row(rows: RowSpace, reduces: Bool)
    case matmul(shape: [Int])
    case scalar
    case alone
}

/// The union-find walk of `fuse` over one function's top-level ops.
struct FusionPlanner {
    let ops: [Operation]
    let producer: [ValueID: Int]
    /// The kernel's HBM inputs.
    let hbmInputs: Set<ValueID>
    var parent: [Int]
    /// Per op: the ops reading its result.
    let consumers: [[Int]]
    /// The type of every value of the function.
    let valueTypes: [ValueID: IRType]
    /// Per set root: the matmul shape if the set holds a matmul.
    var matmulShape: [Int: [Int]] = [:]

    init(_ function: Function) {
        ops = function.body.ops
        var producer: [ValueID: Int] = [:]
        for (index, op) in ops.enumerated() { if let result = op.result { producer[result.id] = index } }
        self.producer = producer
        hbmInputs = Set(function.parameters.map(\.value).filter { $0.type.hbmType != nil }.map(\.id))
        parent = Array(ops.indices)
        var consumers = Array(repeating: [Int](), count: ops.count)
        for (index, op) in ops.enumerated() {
            for read in Set(op.kind.reads) { if let source = producer[read] { consumers[source].append(index) } }
        }
        self.consumers = consumers
        valueTypes = function.valueTable().mapValues(\.type)
    }

    func classify(_ op: Operation) -> FusionClass {
        guard let type = op.result?.type else { return .alone }
        guard case .tensor(let tensor) = type else {
            if FusionPlanner.isScalarConstant(op) { return .scalar }
            // Scalar math on parameters: a flat space of one element.
            switch (type, op.kind) {
            case (.scalar, .unary), (.scalar, .binary), (.scalar, .cast), (.scalar, .select):
                return .row(rows: RowSpace(flat: 1), reduces: false)
            default: return .alone
            }
        }
        switch op.kind {
        case .matmul: return tensor.rank >= 2 ? .matmul(shape: tensor.shape) : .alone
        case .unary, .binary, .select, .cast, .broadcast, .constant, .iota:
            if tensor.rank == 1 { return .row(rows: RowSpace(flat: tensor.shape[0]), reduces: false) }
            return tensor.rank >= 2 ? .row(rows: RowSpace(matrix: tensor.shape), reduces: false) : .alone
        case .scan:
            // Runs along whole rows, as a reduction does: kept out of matmul epilogues (column chunks).
            return tensor.rank >= 2 ? .row(rows: RowSpace(matrix: tensor.shape), reduces: true) : .alone
        case .reduce(_, _, let axis):
            if tensor.rank >= 2 && axis == tensor.rank - 1 { return .row(rows: RowSpace(matrix: tensor.shape), reduces: true) }
            return isColumnSum(op).map { .row(rows: $0, reduces: true) } ?? .alone
        default: return .alone
        }
    }

    /// For a sum or mean across the rows (axis -2) of a float tensor of rank 2 or more, the row space it runs
    /// over: `tile` accumulates it in PSUM inside the row loop of the group that computes its operand.
    func isColumnSum(_ op: Operation) -> RowSpace? {
        guard case .reduce(let kind, let source, let axis) = op.kind, kind == .sum || kind == .mean,
              let shape = valueTypes[source].flatMap({ $0.tensorType ?? $0.hbmType }), shape.rank >= 2,
              axis == shape.rank - 2, shape.element.isFloat else { return nil }
        return RowSpace(matrix: shape.shape)
    }

    static func isScalarConstant(_ op: Operation) -> Bool {
        if case .constant = op.kind, case .scalar = op.result?.type { return true }
        return false
    }

    /// Sibling fusion: the first earlier row op with `rows` rows that reads the same kernel input, so that
    /// the input is loaded once for both.
    func sharedInputReader(_ input: ValueID, rows: RowSpace, index: Int) -> Int? {
        guard hbmInputs.contains(input) else { return nil }
        return ops[..<index].indices.first { other in
            guard ops[other].kind.reads.contains(input),
                  case .row(let otherRows, _) = classify(ops[other]) else { return false }
            return otherRows == rows
        }
    }

    mutating func find(_ index: Int) -> Int {
        var root = index
        while parent[root] != root { root = parent[root] }
        var node = index
        while parent[node] != root {
            let next = parent[node]
            parent[node] = root
            node = next
        }
        return root
    }

    /// The ops with `fusionGroup` set: groups numbered in order of first appearance.
    mutating func groupedOps() -> [Operation] {
        let classes = ops.map(classify)
        for (index, kind) in classes.enumerated() {
            if case .matmul(let shape) = kind { matmulShape[index] = shape }
            guard case .row(let rows, _) = kind else { continue }
            for operand in ops[index].kind.reads {
                guard let source = producer[operand] ?? sharedInputReader(operand, rows: rows, index: index) else { continue }
                let sourceRoot = find(source), root = find(index)
                guard sourceRoot != root else { continue }
                switch classes[source] {
                case .row(let sourceRows, _) where sourceRows == rows: join(root, sourceRoot)
                case .matmul: join(root, sourceRoot)
                default:
                    break
                }
            }
        }
        var numbers: [Int: Int] = [:]
        var result = ops
        for index in ops.indices {
            guard classes[index] != .scalar, ops[index].kind.isTensorLevel else { continue }
            let root = find(index)
            let number = numbers[root] ?? numbers.count
            numbers[root] = number
            result[index].fusionGroup = number
        }
        return result
    }

    /// Merges the producer's set `other` into the consumer's set `root`, unless that would put two matmuls in
    /// one group or give a matmul a consumer that is not an epilogue (a reduction, another shape).
    private mutating func join(_ root: Int, _ other: Int) {
        guard !createsCycle(root, other), !mixesColumnSums(root, other), !mixesWidths(root, other) else { return }
        let rootShape = matmulShape[root], otherShape = matmulShape[other]
        if rootShape != nil && otherShape != nil { return }
        if let shape = rootShape ?? otherShape {
            let rowRoot = rootShape == nil ? root : other, matmulRoot = rootShape == nil ? other : root
            // The matmul's operands come from HBM (`MatmulTiler` loads them): a row op computing one stays out.
            let matmulReads = Set(ops.indices.filter { find($0) == matmulRoot && classify(ops[$0]) == .matmul(shape: shape) }
                .flatMap { ops[$0].kind.reads })
            for index in ops.indices where find(index) == rowRoot {
                if let result = ops[index].result?.id, matmulReads.contains(result) { return }
                if case .row(_, true) = classify(ops[index]) { return }
                if ops[index].result?.type.tensorType?.shape != shape { return }
            }
        }
        parent[other] = root
        matmulShape[root] = rootShape ?? otherShape
        matmulShape[other] = nil
    }

    /// The row widths (last dims above 1) an op's values have: a row op's operands and result, a matmul's
    /// result (its operands are not tiled in its group's row space). A sum across rows runs over its operand's
    /// width even when that is 1 (`sum(c, axis: 0)` of a `[R, 1]` column): in a wider group the column would
    /// be broadcast across the row and summed once per column.
    func widths(_ op: Operation) -> Set<Int> {
        var values = op.kind.reads
        if case .matmul = op.kind { values = [] }
        func width(_ value: ValueID) -> Int? { valueTypes[value].flatMap { $0.tensorType ?? $0.hbmType }?.shape.last }
        var found = Set((values + [op.result?.id].compactMap { $0 }).compactMap(width).filter { $0 > 1 })
        if isColumnSum(op) != nil, case .reduce(_, let source, _) = op.kind, let operand = width(source) { found.insert(operand) }
        return found
    }

    /// True if merging the sets rooted at `a` and `b` would put values of two row widths in one group (a row
    /// statistic of a [R, C] tensor applied to a [R, C'] one): `tile` runs a group over one [rows, columns]
    /// space, so the statistic's group ends at the [R, 1] value and the consumer reads it as a column.
    private mutating func mixesWidths(_ a: Int, _ b: Int) -> Bool {
        var all = Set<Int>()
        for index in ops.indices {
            let root = find(index)
            guard root == a || root == b else { continue }
            all.formUnion(widths(ops[index]))
            if all.count > 1 { return true }
        }
        return false
    }

    /// True if merging the sets rooted at `a` and `b` would put a sum across rows (axis 0) in one group
    /// with an op reading its result (complete only after the group's row loop) or with a reduction along
    /// rows (whose chunked form has no PSUM accumulator), or with a scan (which needs whole rows, while such a group
    /// runs in column chunks of one PSUM bank).
    private mutating func mixesColumnSums(_ a: Int, _ b: Int) -> Bool {
        let members = ops.indices.filter { let root = find($0); return root == a || root == b }
        let sums = members.filter { isColumnSum(ops[$0]) != nil }
        guard !sums.isEmpty else { return false }
        let sumResults = Set(sums.compactMap { ops[$0].result?.id })
        return members.contains { index in
            if ops[index].kind.reads.contains(where: sumResults.contains) { return true }
            if case .reduce = ops[index].kind, isColumnSum(ops[index]) == nil { return true }
            // A scan needs whole rows; a group with sums across rows runs in column chunks of one PSUM bank.
            if case .scan = ops[index].kind { return true }
            return false
        }
    }

    /// True if merging the sets rooted at `a` and `b` would make the group graph cyclic: some other set is
    /// reachable from the merged set and reaches it. The walk is over sets, not ops: reaching one op of a
    /// set reaches all of them (the set runs as one loop nest), so a set that feeds the merged set through
    /// one op and reads from it through another is a cycle too.
    private mutating func createsCycle(_ a: Int, _ b: Int) -> Bool {
        let roots = ops.indices.map { find($0) }
        var members: [Int: [Int]] = [:]
        for index in ops.indices { members[roots[index], default: []].append(index) }
        let isMerged = { (index: Int) in roots[index] == a || roots[index] == b }
        var stack = ops.indices.filter(isMerged).flatMap { consumers[$0] }.filter { !isMerged($0) }.map { roots[$0] }
        var seen = Set(stack)
        while let root = stack.popLast() {
            for member in members[root] ?? [] {
                for consumer in consumers[member] {
                    if isMerged(consumer) { return true }
                    if seen.insert(roots[consumer]).inserted { stack.append(roots[consumer]) }
                }
            }
        }
        return false
    }
}
