// TopKOrder.swift: the order `topk` ranks a row in, and the max8 / find_index8 steps built on it, for every executor.

/// `topk` ranks a row's elements larger first, NaN above every number (as `torch.topk` does), and equal elements
/// (-0 and +0 equal, NaN equal to NaN) by position, first first: a stable descending sort. The vector engine's
/// `max8` gives the 8 first-ranked values, and `find_index8` the position of each: the first position holding an
/// equal value, duplicates of one value taking its positions in ascending order. The reference interpreter, the
/// simulator and the llvm backend (which emits the same comparisons) follow these definitions.
public enum TopKOrder {
    /// True when `a`, at position `i`, ranks before `b`, at position `j`.
    public static func ranksBefore(_ a: Double, _ i: Int, _ b: Double, _ j: Int) -> Bool {
        if a.isNaN != b.isNaN { return a.isNaN }
        if a.isNaN || a == b { return i < j }
        return a > b
    }

    /// The positions of the `k` first-ranked elements of `row` (k at most its count), in rank order.
    public static func top(_ row: [Double], k: Int) -> [Int] {
        var chosen: [Int] = []
        for _ in 0..<min(k, row.count) {
            var best: Int?
            for position in row.indices {
                if let last = chosen.last, !ranksBefore(row[last], last, row[position], position) { continue }
                if best.map({ ranksBefore(row[position], position, row[$0], $0) }) ?? true { best = position }
            }
            guard let best else { break }
            chosen.append(best)
        }
        return chosen
    }

    /// `max8`: the 8 first-ranked values of `row`, in rank order (-inf after the row's last element when it has
    /// fewer than 8).
    public static func max8(_ row: [Double]) -> [Double] {
        let values = top(row, k: 8).map { row[$0] }
        return values + Array(repeating: -.infinity, count: 8 - values.count)
    }

    /// `find_index8`: for each of `values`, the first position of `row` holding an equal value (NaN equal to NaN)
    /// that no earlier equal value took; -1 when there is none.
    public static func findIndex8(_ row: [Double], _ values: [Double]) -> [Int] {
        var taken = Set<Int>()
        return values.map { value in
            guard let position = row.indices.first(where: { !taken.contains($0) && equal(row[$0], value) }) else { return -1 }
            taken.insert(position)
            return position
        }
    }

    static func equal(_ a: Double, _ b: Double) -> Bool { a.isNaN ? b.isNaN : a == b }
}
