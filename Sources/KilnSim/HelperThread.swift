// HelperThread.swift: one long-lived second thread that runs a job while its caller runs another (the matmul's two halves).

import Foundation
import Synchronization

/// A thread, started with the first use of `shared`, that runs one job at a time for a caller who meanwhile runs
/// its own part and then waits for the job. `DispatchQueue.concurrentPerform` was tried first: on Linux it ran
/// both halves of a ~75 us split on the calling thread in most calls (its pool's worker arrived after the caller
/// had taken both iterations), so it gave no speedup; a thread of our own that sleeps on a semaphore starts the
/// job within a few microseconds. It serves one caller at a time: when another caller holds it (the simulator
/// can run on several threads at once, as in the tests), `run` runs both parts on the caller's thread.
final class HelperThread: Sendable {
    static let shared = HelperThread()

    private let busy = Mutex(false)
    private let job = Mutex<(@Sendable () -> Void)?>(nil)
    private let start = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    private init() {
        let thread = Thread { [self] in
            while true {
                start.wait()
                job.withLock { $0.take() }?()
                done.signal()
            }
        }
        thread.name = "kiln-helper"
        thread.start()
    }

    /// Runs `helperPart` on the helper thread and `ownPart` on the caller's at the same time (both on the
    /// caller's, one after the other, when the helper is busy) and returns when both are done.
    func run(_ helperPart: @escaping @Sendable () -> Void, whileCallerRuns ownPart: () -> Void) {
        let acquired = busy.withLock { taken in
            defer { taken = true }
            return !taken
        }
        guard acquired else {
            ownPart()
            return helperPart()
        }
        job.withLock { $0 = helperPart }
        start.signal()
        ownPart()
        done.wait()
        busy.withLock { $0 = false }
    }
}
