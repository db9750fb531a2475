// ProgressBar.swift: `kiln tune`'s progress bar on standard error: candidates scored, the best time so far.

import Foundation
import Synchronization

/// A one-line bar redrawn in place (`\r`); silent when disabled (standard error is not a terminal and
/// `--progress` was not given).
final class ProgressBar: Sendable {
    private let enabled: Bool
    private let drawn = Mutex(false)

    init(enabled: Bool) {
        self.enabled = enabled
    }

    func show(_ done: Int, _ total: Int, _ best: Double?) {
        guard enabled else { return }
        let width = 30
        let filled = total > 0 ? min(width, done * width / max(total, 1)) : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let bestText = best.map { String(format: "  best %.4f ms", $0 * 1000) } ?? ""
        let totalText = total == Int.max ? "" : "/\(total)"
        drawn.withLock { drawn in
            FileHandle.standardError.write(Data("\r[\(bar)] \(done)\(totalText)\(bestText)".utf8))
            drawn = true
        }
    }

    func finish() {
        drawn.withLock { drawn in
            if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
        }
    }
}
