// ZeroedPagesTests.swift: ZeroedPages starts all zero at every size and behaves as a value (copy on write).

import KilnNumerics
import Testing

@Suite struct ZeroedPagesTests {
    /// Sizes below and above the mapping threshold (1 MiB), and above one huge page (2 MiB).
    static let counts = [0, 1, 4095, 1 << 20 + 17, 5 << 20]

    @Test(arguments: counts)
    func everyElementStartsZero(_ count: Int) {
        let bytes = ZeroedPages<UInt8>(count: count)
        #expect(bytes.count == count)
        #expect(bytes.withUnsafeBufferPointer { $0.allSatisfy { $0 == 0 } })
        let flags = ZeroedPages<Bool>(count: count)
        #expect(flags.withUnsafeBufferPointer { !$0.contains(true) })
        let floats = ZeroedPages<Float>(count: count / 4)
        #expect(floats.withUnsafeBufferPointer { $0.allSatisfy { $0.bitPattern == 0 } })
    }

    @Test(arguments: counts.filter { $0 > 2 })  // indices 0, count / 2 and count - 1 distinct
    func aCopyIsIndependentOfTheOriginal(_ count: Int) {
        var original = ZeroedPages<UInt8>(count: count)
        original[count - 1] = 7
        var copy = original
        #expect(copy == original)
        copy[0] = 9
        copy.withUnsafeMutableBufferPointer { $0[count / 2] = 3 }
        #expect(original[0] == 0 && original[count - 1] == 7)
        #expect(copy[0] == 9 && copy[count - 1] == 7)
        #expect(copy != original)
        original[0] = 9
        original.withUnsafeMutableBufferPointer { $0[count / 2] = 3 }
        #expect(copy == original)
        #expect(copy.array == original.array && copy.array.count == count)
    }

    @Test func sizesDifferMeansUnequal() {
        #expect(ZeroedPages<UInt8>(count: 3) != ZeroedPages<UInt8>(count: 4))
        #expect(ZeroedPages<UInt8>(count: 3) == ZeroedPages<UInt8>(count: 3))
    }
}

@Suite struct HugePageArrayTests {
    @Test(arguments: [0, 100, 3 << 20])
    func zeroedArraysAreZeroAndMadeArraysHoldWhatWasWritten(_ count: Int) {
        #expect(HugePageArray.zeroed(UInt8.self, count: count) == [UInt8](repeating: 0, count: count))
        #expect(HugePageArray.zeroed(Bool.self, count: count) == [Bool](repeating: false, count: count))
        let made: [Int32] = HugePageArray.make(count: count) { buffer in
            for index in buffer.indices { buffer[index] = Int32(truncatingIfNeeded: index &* 31) }
        }
        #expect(made == (0..<count).map { Int32(truncatingIfNeeded: $0 &* 31) })
    }
}
