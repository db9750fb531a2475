// RowParallel.swift: an engine op's independent partition rows spread over the host's cores.

import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `body` on disjoint, contiguous row ranges covering `0..<rows`, one range per host core (at most
/// `maxChunks`), in parallel when the op is large enough to pay for the hand-off (`work`, in element
/// operations, of at least `minimumWork`). Each result element is computed by exactly one call, in the same
/// order as a serial loop would, so results do not depend on the number of cores.
enum RowParallel {
    static let cores = max(1, min(8, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
    static let minimumWork = 1 << 16

    /// The number of ranges `forEach` uses for this op (1: serial).
    static func chunks(rows: Int, work: Int) -> Int {
        work >= minimumWork ? max(1, min(cores, rows)) : 1
    }

    /// `body(chunk, rows)` for each chunk; `chunk` indexes per-chunk scratch space.
    static func forEach(rows: Int, work: Int, _ body: (Int, Range<Int>) -> Void) {
        let count = chunks(rows: rows, work: work)
        guard count > 1 else { return body(0, 0..<rows) }
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: count) { chunk in
                shared.value(chunk, (rows * chunk / count)..<(rows * (chunk + 1) / count))
            }
        }
    }
}

/// Hands a closure that writes disjoint row ranges of buffers it captures to the worker threads. Safe because
/// `forEach` waits for every chunk before it returns and no two chunks touch the same element.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
