// ParallelMap.swift: a map over indices on several threads, each taking the next index as it finishes one.

import Foundation
import Synchronization

/// Runs `body` for every index in `0..<count` on up to `jobs` threads (the calling thread is one of them) and
/// returns the results in index order. `progress` is called on the calling thread with the number finished.
enum ParallelMap {
    static func run<Result: Sendable>(_ count: Int, jobs: Int, progress: @escaping @Sendable (Int) -> Void = { _ in },
                                      _ body: @escaping @Sendable (Int) -> Result) -> [Result] {
        let state = Mutex((next: 0, done: 0, results: [Result?](repeating: nil, count: count)))
        let work: @Sendable (Bool) -> Void = { reports in
            while true {
                let index = state.withLock { state -> Int? in
                    guard state.next < count else { return nil }
                    state.next += 1
                    return state.next - 1
                }
                guard let index else { return }
                let result = body(index)
                let done = state.withLock { state -> Int in
                    state.results[index] = result
                    state.done += 1
                    return state.done
                }
                if reports { progress(done) }
            }
        }
        let helpers = max(0, min(jobs, count) - 1)
        let finished = DispatchSemaphore(value: 0)
        for _ in 0..<helpers {
            Thread {
                work(false)
                finished.signal()
            }.start()
        }
        work(true)
        for _ in 0..<helpers { finished.wait() }
        progress(count)
        // Every index was taken by exactly one worker, which stored its result before the semaphore signalled.
        return state.withLock { $0.results }.map { $0! }
    }
}
