// TilingGroups.swift: the `tile` pass's view of a kernel's fusion groups: their ops, their order, the values between them.

import KilnMachine
import KilnPluginAPI
import KilnSource
import KilnTileIR

/// The fusion groups of one tensor-level kernel, as `tile` consumes them.
///
/// Ops with the same `group N` form one group; an op without a group (hand-written IR, or `fuse` not run)
/// is a group of its own. Scalar `constant`s belong to no group: they become immediate operands. Groups
/// are run in an order where each comes after every group it reads a value from (`dependencyOrder`: a
/// topological sort of the group graph, ties broken by first appearance).
struct TilingGroups {
    /// The ops of each group, in program order; groups in order of first appearance.
    var groups: [[Operation]] = []
    /// The group that defines each value (group-less scalar constants are absent).
    var definingGroup: [ValueID: Int] = [:]
    /// Immediate operands: scalar constants.
    var scalars: [ValueID: TileOperand] = [:]
    /// The values the kernel returns, one per output.
    var returned: [ValueID] = []
    var diagnostics: [Diagnostic] = []

    init(_ function: Function) {
        var indexOfKey: [Int: Int] = [:]
        for op in function.body.ops {
            if case .ret(let values) = op.kind { returned = values; continue }
            if case .constant(let value) = op.kind, case .scalar = op.result?.type, let result = op.result {
                scalars[result.id] = .scalar(.constant(value))
                continue
            }
            guard op.kind.isTensorLevel else {
                diagnostics.append(.at(op) { DiagnosticCatalogue.tilingUnsupported(
                    op.opcode, "tile-level ops cannot be mixed with tensor-level ops in one kernel", at: $0) })
                continue
            }
            let group: Int
            if let key = op.fusionGroup, let existing = indexOfKey[key] {
                group = existing
                groups[group].append(op)
            } else {
                group = groups.count
                groups.append([op])
                if let key = op.fusionGroup { indexOfKey[key] = group }
            }
            if let result = op.result { definingGroup[result.id] = group }
        }
    }

    /// The groups each group reads values from (itself excluded).
    func predecessors(of group: Int) -> Set<Int> {
        Set(groups[group].flatMap(\.kind.reads).compactMap { definingGroup[$0] }.filter { $0 != group })
    }

    /// Values defined in one group and read by another.
    func crossingValues() -> [ValueID] {
        var seen = Set<ValueID>()
        var crossing: [ValueID] = []
        for (group, ops) in groups.enumerated() {
            for read in ops.flatMap(\.kind.reads) {
                guard let producer = definingGroup[read], producer != group, seen.insert(read).inserted else { continue }
                crossing.append(read)
            }
        }
        return crossing
    }

    /// The groups in an order where producers come first (Kahn's algorithm, the earliest ready group
    /// first); nil after reporting K3606 at the first op of each group left in a cycle.
    mutating func dependencyOrder() -> [Int]? {
        let incoming = groups.indices.map(predecessors)
        var done = Set<Int>()
        var order: [Int] = []
        while let next = groups.indices.first(where: { !done.contains($0) && incoming[$0].isSubset(of: done) }) {
            done.insert(next)
            order.append(next)
        }
        guard order.count < groups.count else { return order }
        for group in groups.indices where !done.contains(group) {
            guard let first = groups[group].first else { continue }
            diagnostics.append(.at(first) { DiagnosticCatalogue.tilingInconsistentGroup(
                "its fusion group and another group each need a value of the other (a cycle); rerun 'fuse'", at: $0) })
        }
        return nil
    }
}
