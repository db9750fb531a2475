// FunctionLowering+Permute.swift: `transpose(x, perm:)` as at most three IR ops: permutes that keep the last axis and one transpose.

import KilnSema
import KilnSource
import KilnSyntax
import KilnTileIR

extension FunctionLowering {
    /// `transpose(x, perm: p)`: result axis i is x's axis p[i]. The IR's `permute` keeps the last axis (so the
    /// tiler moves whole rows: pure addressing), and `transpose` swaps the last two dims. With c = p[last]:
    /// - c is x's last axis: one `permute p` (or x itself when p is the identity);
    /// - otherwise `permute q1` brings c just before the last axis (the other axes in the order p lists them), a
    ///   `transpose` makes c last, and `permute q3` puts the leading axes where p wants them (q3 keeps the last
    ///   axis; it is the identity, and left out, when p[last - 1] is x's last axis, as in `perm: (0, 1, 3, 2)`).
    func permute(_ source: ValueID, perm: [Int], _ expr: Expr) throws(LoweringFailed) -> Lowered {
        let result = try irType(checkedType(expr), at: expr.span)
        guard let tensor = valueTypes[source].flatMap({ $0.tensorType ?? $0.hbmType }), perm.count == tensor.rank,
              let element = result.tensorType?.element else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: expr.span))
        }
        let last = perm.count - 1
        var labels = Array(0...last)  // x's axis at each position of the current value
        var current = source
        func step(_ order: [Int]) {  // order lists x's axes; the current value is permuted to that order
            let positions = order.map { labels.firstIndex(of: $0)! }
            guard positions != Array(0...last) else { return }
            let shape = order.map { tensor.shape[$0] }
            current = value(.permute(current, perm: positions), .tensor(TensorType(element, shape)), at: expr.span)
            labels = order
        }
        let c = perm[last]
        if c != last {
            step(perm.filter { $0 != c && $0 != last } + [c, last])
            labels.swapAt(last - 1, last)
            current = value(.transpose(current), .tensor(TensorType(element, labels.map { tensor.shape[$0] })), at: expr.span)
        }
        step(perm)
        if current == source { return .value(source, result) }
        return .value(current, result)
    }
}
