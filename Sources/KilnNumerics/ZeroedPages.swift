// ZeroedPages.swift: a fixed-size, zero-initialised buffer from fresh pages (no fill pass), with value semantics.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `count` elements of all-zero bits (0, 0.0, false) in memory the program has not touched yet: a large one is
/// mapped straight from the operating system (`mmap`, whose pages read as zero until written) and, on Linux,
/// advised onto transparent huge pages; a small one is `calloc`ed. Nothing is filled up front, so the cost is
/// only the page faults of the parts actually used: a simulated SBUF of 128 x 30 KiB with its flags went from a
/// 7.6 MB fill (6 ms on a 2-core VM, mostly 4 KiB page faults) to a few 2 MiB faults.
///
/// A value type like `Array` (copy on write: a copy shares the pages until one side writes), with the
/// subset of `Array`'s interface the simulator's memories use.
public struct ZeroedPages<Element: BitwiseCopyable>: Equatable {
    private final class Storage {
        let base: UnsafeMutableRawPointer
        let byteCount: Int
        let mapped: Bool

        init(byteCount: Int) {
            self.byteCount = byteCount
            if byteCount >= ZeroedPages.mappingThreshold, let pages = Storage.map(byteCount) {
                (base, mapped) = (pages, true)
            } else {
                guard let memory = calloc(max(1, byteCount), 1) else { fatalError("out of memory for \(byteCount) bytes") }
                (base, mapped) = (memory, false)
            }
        }

        /// Anonymous zero pages of at least `byteCount` bytes; nil when the system refuses.
        private static func map(_ byteCount: Int) -> UnsafeMutableRawPointer? {
            #if os(Linux) || os(macOS)
            let pointer = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            guard let pointer, pointer != MAP_FAILED else { return nil }
            HugePageArray.adviseHugePages(UnsafeMutableRawBufferPointer(start: pointer, count: byteCount))
            return pointer
            #else
            return nil
            #endif
        }

        func copy() -> Storage {
            let copy = Storage(byteCount: byteCount)
            copy.base.copyMemory(from: base, byteCount: byteCount)
            return copy
        }

        deinit {
            #if os(Linux) || os(macOS)
            if mapped { munmap(base, byteCount); return }
            #endif
            free(base)
        }
    }

    /// From this many bytes on, the memory is mapped rather than allocated.
    static var mappingThreshold: Int { 1 << 20 }

    private var storage: Storage
    public let count: Int

    public init(count: Int) {
        precondition(count >= 0, "a negative element count")
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
        precondition(!overflow, "\(count) elements do not fit in memory")
        self.count = count
        storage = Storage(byteCount: bytes)
    }

    private var elements: UnsafeMutablePointer<Element> { storage.base.assumingMemoryBound(to: Element.self) }

    public subscript(index: Int) -> Element {
        get {
            precondition(index >= 0 && index < count, "index \(index) out of 0..<\(count)")
            return elements[index]
        }
        set {
            precondition(index >= 0 && index < count, "index \(index) out of 0..<\(count)")
            makeUnique()
            elements[index] = newValue
        }
    }

    public func withUnsafeBufferPointer<Result, Failure: Error>(
        _ body: (UnsafeBufferPointer<Element>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeBufferPointer(start: elements, count: count))
    }

    public mutating func withUnsafeMutableBufferPointer<Result, Failure: Error>(
        _ body: (UnsafeMutableBufferPointer<Element>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: elements, count: count))
    }

    /// Sets every element back to all-zero bits, in place (a memory that is reused instead of mapped again).
    public mutating func zero() {
        makeUnique()
        storage.base.initializeMemory(as: UInt8.self, repeating: 0, count: count * MemoryLayout<Element>.stride)
    }

    /// The elements as an array (a copy).
    public var array: [Element] { withUnsafeBufferPointer { Array($0) } }

    public static func == (lhs: ZeroedPages, rhs: ZeroedPages) -> Bool {
        lhs.count == rhs.count && (lhs.storage === rhs.storage
            || memcmp(lhs.storage.base, rhs.storage.base, lhs.count * MemoryLayout<Element>.stride) == 0)
    }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }
}
