// Liveness.swift: when each tile of a function is live: from its first access to its last, loops considered.

/// The live range of every tile (`alloc` result) of one function, over program points.
///
/// Program points number the function's operations in a pre-order walk (a loop gets a point, then its body's
/// ops follow); a loop spans the points from its own to its body's last. A tile is live from its first
/// access (write or read by any op) to its last. Loops are considered: when a tile allocated outside a loop
/// is accessed inside it, the access stands for the whole loop (the outermost such loop, since later
/// iterations run after earlier ones), so the tile stays live across every iteration. A tile allocated inside
/// a loop body is a fresh buffer each iteration and lives within one iteration. A tile nothing accesses keeps
/// the scope rule: it lives from its `alloc` to the end of its block. An access of a `view` is an access of the
/// tile it is a view of (`TileViews`), so a tile lives as long as any view of it is used. Two tiles may share memory exactly when their ranges are disjoint; the verifier's
/// overlap rule (K3306) and the `allocate` pass both use this analysis.
public struct TileLiveness: Sendable {
    /// The live range of each tile, in program points.
    public private(set) var ranges: [ValueID: ClosedRange<Int>] = [:]
    /// The program point of each tile's `alloc`.
    public private(set) var allocPoints: [ValueID: Int] = [:]
    /// The tiles in the order of their `alloc`s.
    public private(set) var tiles: [ValueID] = []
    /// The program points each loop spans, keyed by its induction variable.
    public private(set) var loopSpans: [ValueID: ClosedRange<Int>] = [:]

    private var counter = 0
    private var allocLoops: [ValueID: [ValueID]] = [:]
    private var blockEnds: [ValueID: Int] = [:]
    private var accesses: [(tile: ValueID, point: Int, loops: [ValueID])] = []

    public init(_ function: Function) {
        let views = TileViews(function)
        walk(function.body, loops: [], views: views)
        let tileSet = Set(tiles)
        for tile in tiles {
            let point = allocPoints[tile] ?? 0
            ranges[tile] = point...max(point, blockEnds[tile] ?? point)
        }
        var touched = Set<ValueID>()
        for access in accesses where tileSet.contains(access.tile) {
            let outer = allocLoops[access.tile] ?? []
            var common = 0
            while common < outer.count, common < access.loops.count, outer[common] == access.loops[common] { common += 1 }
            var range = access.point...access.point
            if common < access.loops.count, let loop = loopSpans[access.loops[common]] { range = loop }
            if touched.insert(access.tile).inserted {
                ranges[access.tile] = range
            } else if let old = ranges[access.tile] {
                ranges[access.tile] = min(old.lowerBound, range.lowerBound)...max(old.upperBound, range.upperBound)
            }
        }
    }

    private mutating func walk(_ block: Block, loops: [ValueID], views: TileViews) {
        var allocated: [ValueID] = []
        defer { for tile in allocated { blockEnds[tile] = counter - 1 } }
        for op in block.ops {
            let point = counter
            counter += 1
            switch op.kind {
            case .alloc:
                if let tile = op.result?.id {
                    tiles.append(tile)
                    allocated.append(tile)
                    allocPoints[tile] = point
                    allocLoops[tile] = loops
                }
            case .forLoop(let loop):
                walk(loop.body, loops: loops + [loop.inductionVariable.id], views: views)
                loopSpans[loop.inductionVariable.id] = point...max(point, counter - 1)
            default:
                for value in op.kind.uses { accesses.append((views.root(value), point, loops)) }
            }
        }
    }

    /// The loops around a tile's `alloc`, outermost first, by induction variable.
    public func enclosingLoops(of tile: ValueID) -> [ValueID] { allocLoops[tile] ?? [] }

    /// True if both tiles are live at some common point (so they may not share memory).
    public func interfere(_ a: ValueID, _ b: ValueID) -> Bool {
        guard let first = ranges[a], let second = ranges[b] else { return true }
        return first.overlaps(second)
    }

    /// The tiles live at a program point, in `alloc` order.
    public func live(at point: Int) -> [ValueID] {
        tiles.filter { ranges[$0]?.contains(point) == true }
    }
}

extension Function {
    /// The names values print with (`%acc`, `%0`), for messages that point at values.
    public func printedNames(of values: [ValueID]) -> [String] {
        let names = ValueNames(self)
        return values.map { names[$0] }
    }
}
