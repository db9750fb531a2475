// MatmulKernel.swift: the tensor engine's multiply-accumulate (the simulator's hot loop): numerics, CPU dispatch, threads.

#if arch(x86_64)
import CKilnCPU
import KilnSimAVX2
import KilnSimAVX512
#endif
import Dispatch
import Foundation

/// `result[r, c] += sum over i of stationary[i, r] * moving[i, c]`, all in `Float`, where stationary is
/// [k | m] and moving [k | n] (partition-major, the contraction dim on partitions) and result [m | n].
///
/// Numerics are exactly those of the plain triple loop: for each output element the dot product is summed
/// in `Float` in order i = 0, 1, ..., k - 1 starting from +0 (each product rounded, then each addition; Swift
/// does not fuse them into an FMA, which would round once and give other results), and only then added to the
/// accumulator. Every loop below keeps that order per element; the speed comes from the order of the work
/// (register blocking: a block of dot products stays in vector registers across the whole k loop), from wider
/// vectors, and from a second thread, never from reassociation. NaN payloads are not part of the contract.
///
/// The loop is chosen once per process (`InstructionSet.host`): on x86-64 CPUs with AVX-512 (x86-64-v4) the
/// 8 x 32 zmm kernel of `KilnSimAVX512`, with AVX2 (x86-64-v3) the 4 x 16 ymm kernel of `KilnSimAVX2`, each
/// module compiled for its level while the rest of the package stays at the baseline ISA; elsewhere the
/// portable `SIMD8<Float>` loop (`MatmulKernel+Portable.swift`), which also takes the rows and columns a wide
/// kernel's blocks leave over. A call with at least 2^20 multiply-adds splits its columns into one range per
/// processor (each at least 2^19 multiply-adds, boundaries on whole blocks) run on as many threads; each output
/// element is still computed by one thread in the same order.
enum MatmulKernel {
    /// The loops the simulator can run, slowest first.
    enum InstructionSet: CaseIterable, Sendable {
        /// `accumulatePortable`: the ISA the package is compiled for (SSE2 on x86-64).
        case portable
        #if arch(x86_64)
        /// `MatmulKernelAVX2`, compiled for x86-64-v3.
        case avx2
        /// `MatmulKernelAVX512`, compiled for x86-64-v4.
        case avx512
        #endif

        /// The fastest loop the running CPU supports.
        static let host = allCases.last(where: \.isSupported) ?? .portable

        /// Whether the running CPU (and OS) can execute this loop's instructions.
        var isSupported: Bool {
            switch self {
            case .portable: return true
            #if arch(x86_64)
            case .avx2: return kiln_cpu_supports_x86_64_v3() != 0
            case .avx512: return kiln_cpu_supports_x86_64_v4() != 0
            #endif
            }
        }

        /// The wide kernel and the block of the result it computes at once (it takes whole blocks only); nil for
        /// the portable loop, which takes any block.
        var wideKernel: (accumulate: WideKernel, rowBlock: Int, columnBlock: Int)? {
            switch self {
            case .portable: return nil
            #if arch(x86_64)
            case .avx2: return (MatmulKernelAVX2.accumulate, MatmulKernelAVX2.rowBlock, MatmulKernelAVX2.columnBlock)
            case .avx512: return (MatmulKernelAVX512.accumulate, MatmulKernelAVX512.rowBlock, MatmulKernelAVX512.columnBlock)
            #endif
            }
        }

        /// Where a split of the columns between threads may fall: a multiple of this.
        var columnBlock: Int { wideKernel?.columnBlock ?? 8 }
    }

    /// A wide kernel: (stationary, moving, k, m, n, rows, columns, result), rows and columns whole blocks.
    typealias WideKernel = (UnsafePointer<Float>, UnsafePointer<Float>, Int, Int, Int, Range<Int>, Range<Int>,
                            UnsafeMutablePointer<Float>) -> Void

    /// The fewest multiply-adds (k * m * n) worth a thread of their own: below 2 x this a call runs on its caller's
    /// thread alone (2^19 multiply-adds take ~5 us on one AVX-512 core, ~28 us portable; an empty two-way
    /// `concurrentPerform` measured 0.2-0.3 us).
    static let workPerThread = 1 << 19
    static let processors = ProcessInfo.processInfo.activeProcessorCount

    static func accumulate(stationary: UnsafeBufferPointer<Float>, moving: UnsafeBufferPointer<Float>,
                           k: Int, m: Int, n: Int, into result: UnsafeMutableBufferPointer<Float>) {
        let threads = max(1, min(processors, k * m * n / workPerThread))
        accumulate(stationary: stationary, moving: moving, k: k, m: m, n: n, into: result,
                   using: .host, threads: threads)
    }

    /// `accumulate` with the loop and the number of threads (at most; one per whole column block) given.
    static func accumulate(stationary: UnsafeBufferPointer<Float>, moving: UnsafeBufferPointer<Float>,
                           k: Int, m: Int, n: Int, into result: UnsafeMutableBufferPointer<Float>,
                           using instructionSet: InstructionSet, threads: Int) {
        guard k > 0, m > 0, n > 0, let s = stationary.baseAddress, let v = moving.baseAddress,
              let out = result.baseAddress else { return }
        let call = Call(stationary: s, moving: v, k: k, m: m, n: n, result: out, instructionSet: instructionSet)
        let blocks = n / instructionSet.columnBlock
        let parts = min(threads, blocks)
        guard parts > 1 else { return call.run(columns: 0..<n) }
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let start = blocks * part / parts * instructionSet.columnBlock
            let end = part == parts - 1 ? n : blocks * (part + 1) / parts * instructionSet.columnBlock
            call.run(columns: start..<end)
        }
    }

    /// One call's operands, shared by the threads that compute it. `@unchecked Sendable` because the pointers are
    /// not Sendable, yet sharing them is safe: every thread only reads `stationary` and `moving`, writes only the
    /// result columns of its own range (the ranges are disjoint), and `concurrentPerform` returns only after all
    /// threads are done, so the buffers outlive every use.
    private struct Call: @unchecked Sendable {
        let stationary: UnsafePointer<Float>, moving: UnsafePointer<Float>
        let k: Int, m: Int, n: Int
        let result: UnsafeMutablePointer<Float>
        let instructionSet: InstructionSet

        /// All rows of `columns`: the wide kernel on its whole blocks, the portable loop on the columns right of
        /// them and on the rows below them.
        func run(columns: Range<Int>) {
            guard let wide = instructionSet.wideKernel else { return portable(rows: 0..<m, columns: columns) }
            let rows = 0..<(m - m % wide.rowBlock)
            let blockedColumns = columns.lowerBound..<(columns.upperBound - columns.count % wide.columnBlock)
            if !rows.isEmpty, !blockedColumns.isEmpty {
                wide.accumulate(stationary, moving, k, m, n, rows, blockedColumns, result)
            }
            portable(rows: rows, columns: blockedColumns.upperBound..<columns.upperBound)
            portable(rows: rows.upperBound..<m, columns: columns)
        }

        private func portable(rows: Range<Int>, columns: Range<Int>) {
            MatmulKernel.accumulatePortable(stationary: stationary, moving: moving, k: k, m: m, n: n,
                                            rows: rows, columns: columns, into: result)
        }
    }
}
