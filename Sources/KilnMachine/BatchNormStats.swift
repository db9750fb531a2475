// BatchNormStats.swift: the vector engine's bn_stats / bn_aggr statistics in f32, the one algorithm every executor follows.

/// NKI's `nki.isa.bn_stats` and `nki.isa.bn_aggr` (NKI ISA reference): per partition, bn_stats summarises up to
/// 512 elements (`nl.tile_size.bn_stats_fmax`) as two (count, mean, variance * count) tuples, one for the elements
/// at even positions and one for those at odd positions; bn_aggr combines any number of such tuples into the mean
/// and the (population) variance. The engine computes in f32; NKI does not publish its order of operations, so
/// Kiln defines one (Docs/numerics.md, "bn_stats and bn_aggr"), and the interpreter, the simulator and the LLVM
/// backend all run exactly this sequence of f32 operations (no fused multiply-add), bit for bit:
///
/// - a group of n elements x_1..x_n (in position order): s = 0, s = s + x_i in order; mean = s / n (0 when n = 0);
///   m2 = 0, m2 = m2 + (x_i - mean) * (x_i - mean) in order, each difference and product rounded to f32;
/// - the tuples (c_k, m_k, v_k) in order: total = sum of c_k; mean = (sum of c_k * m_k) / total;
///   var = (sum of v_k + c_k * ((m_k - mean) * (m_k - mean))) / total; both 0 unless total > 0 (NaN counts included).
public enum BatchNormStats {
    /// The most elements per partition one bn_stats reads (NKI `nl.tile_size.bn_stats_fmax`).
    public static let maxFree = 512
    /// Elements per partition bn_stats writes: two (count, mean, variance * count) tuples.
    public static let statsWidth = 6
    /// Elements of one tuple bn_aggr reads.
    public static let tupleWidth = 3

    /// bn_stats of one partition's row: [count, mean, m2] of the even positions, then of the odd ones.
    public static func stats(_ row: [Float]) -> [Float] {
        group(stride(from: 0, to: row.count, by: 2).map { row[$0] })
            + group(stride(from: 1, to: row.count, by: 2).map { row[$0] })
    }

    /// bn_aggr of one partition's row of (count, mean, m2) tuples (a trailing partial tuple is ignored): [mean, var].
    public static func aggregate(_ row: [Float]) -> [Float] {
        let tuples = row.count / tupleWidth
        var total: Float = 0, weighted: Float = 0
        for k in 0..<tuples {
            total = total + row[k * 3]
            weighted = weighted + row[k * 3] * row[k * 3 + 1]
        }
        guard total > 0 else { return [0, 0] }
        let mean = weighted / total
        var spread: Float = 0
        for k in 0..<tuples {
            let d = row[k * 3 + 1] - mean
            let square = d * d
            let scaled = row[k * 3] * square
            spread = spread + (row[k * 3 + 2] + scaled)
        }
        return [mean, spread / total]
    }

    /// [count, mean, m2] of one group, in the order the type's comment defines.
    static func group(_ values: [Float]) -> [Float] {
        let count = Float(values.count)
        guard !values.isEmpty else { return [0, 0, 0] }
        var sum: Float = 0
        for x in values { sum = sum + x }
        let mean = sum / count
        var m2: Float = 0
        for x in values {
            let d = x - mean
            m2 = m2 + d * d
        }
        return [count, mean, m2]
    }
}
