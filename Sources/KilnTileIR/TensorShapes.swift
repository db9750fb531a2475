// TensorShapes.swift: the shape rules of tensor-level ops on rank-N tensors (NumPy broadcasting, batched matmul).

/// Shape rules shared by the verifier, the tiler and the executors of tensor-level ops.
public enum TensorShapes {
    /// NumPy broadcasting of two shapes aligned on the right (a missing or size-1 dim stretches); nil when
    /// they do not broadcast.
    public static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var result: [Int] = []
        for offset in stride(from: rank, to: 0, by: -1) {
            let x = a.count >= offset ? a[a.count - offset] : 1
            let y = b.count >= offset ? b[b.count - offset] : 1
            guard x == y || x == 1 || y == 1 else { return nil }
            result.append(x == 1 ? y : x)
        }
        return result
    }

    /// The dims before the last two: a matmul's batch dims, a transpose's untouched dims.
    public static func batch(_ shape: [Int]) -> [Int] { Array(shape.dropLast(2)) }

    /// `[..., M, K] @ [..., K, N] -> [..., M, N]` with the batch dims broadcast; nil when a rank is below 2,
    /// the inner dims differ or the batch dims do not broadcast.
    public static func matmul(_ left: [Int], _ right: [Int]) -> [Int]? {
        guard left.count >= 2, right.count >= 2, left[left.count - 1] == right[right.count - 2],
              let batch = broadcast(batch(left), batch(right)) else { return nil }
        return batch + [left[left.count - 2], right[right.count - 1]]
    }

    /// The shape with its last two dims swapped (`x.T`); nil below rank 2.
    public static func transposed(_ shape: [Int]) -> [Int]? {
        guard shape.count >= 2 else { return nil }
        var result = shape
        result.swapAt(shape.count - 1, shape.count - 2)
        return result
    }
}
