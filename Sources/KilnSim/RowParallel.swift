// RowParallel.swift: an engine op's independent partition rows split between the caller and the helper thread.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `body` on disjoint, contiguous row ranges covering `0..<rows`: on a host with two or more processors
/// and an op large enough to pay for the hand-off (`work`, in elements, of at least `minimumWork`: about 65 us
/// of the cheapest ops, against a hand-off of ~40-50 us measured on this project's 2-core VM), the second half
/// on `HelperThread` while the caller runs the first. Each result element is computed by exactly one call, in
/// the order a serial loop would, so results do not depend on the split.
enum RowParallel {
    static let processors = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    static let minimumWork = 1 << 16

    /// The number of ranges `forEach` uses for this op (1: serial; 2: the caller's half and the helper's).
    static func chunks(rows: Int, work: Int) -> Int {
        processors >= 2 && rows >= 2 && work >= minimumWork ? 2 : 1
    }

    /// `body(chunk, rows)` for each chunk; `chunk` (0 or 1) indexes per-chunk scratch space.
    static func forEach(rows: Int, work: Int, _ body: (Int, Range<Int>) -> Void) {
        guard chunks(rows: rows, work: work) == 2 else { return body(0, 0..<rows) }
        let split = rows / 2
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedBox(body)
            HelperThread.shared.run({ shared.value(1, split..<rows) }, whileCallerRuns: { body(0, 0..<split) })
        }
    }
}

/// Hands a closure that writes disjoint row ranges of buffers it captures to the helper thread. Safe because
/// `forEach` returns only after both halves are done and the halves touch different elements.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
