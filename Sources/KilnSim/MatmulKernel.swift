// MatmulKernel.swift: the tensor engine's multiply-accumulate (the simulator's hot loop): numerics, CPU dispatch, threads.

#if arch(x86_64)
import CKilnCPU
import KilnSimAVX2
import KilnSimAVX512
#endif
import Foundation
import KilnNumerics

/// `result[r, c] += sum over i of stationary[i, r] * moving[i, c]`, all in `Float`, where stationary is
/// [k | m] and moving [k | n] (partition-major, the contraction dim on partitions) and result [m | n].
///
/// Numerics are exactly those of the plain triple loop: each product is rounded to `Float` and added to the
/// output element's running sum, which starts at the accumulator's value (+0 for a `start`), in order
/// i = 0, 1, ..., k - 1, each addition rounded (Swift does not fuse them into an FMA, which would round once and
/// give other results). Summing from the accumulator, not from +0 per instruction, makes a K split into any
/// ascending chunks give the same bits as one pass, as the reference interpreter and the LLVM backend compute
/// it (Docs/numerics.md, "Matmul accumulation order"). Every loop below keeps that order per element; the speed comes from the order of the work
/// (register blocking: a block of dot products stays in vector registers across the whole k loop), from wider
/// vectors, and from a second thread, never from reassociation. NaN payloads are not part of the contract.
///
/// The loop is chosen once per process (`InstructionSet.host`): on x86-64 CPUs with AVX-512 (x86-64-v4) the
/// 8 x 32 zmm kernel of `KilnSimAVX512`, with AVX2 (x86-64-v3) the 4 x 16 ymm kernel of `KilnSimAVX2`, each
/// module compiled for its level while the rest of the package stays at the baseline ISA; elsewhere the
/// portable `SIMD8<Float>` loop (`MatmulKernel+Portable.swift`), which also takes the rows and columns a wide
/// kernel's blocks leave over. On a machine with two or more processors, a call with enough multiply-adds to be
/// worth it (`InstructionSet.parallelWork`) splits its columns in two halves at a whole block, the second
/// computed by `HelperThread` while the caller computes the first; each output element is still computed by one
/// thread in the same order.
enum MatmulKernel {
    /// The loops the simulator can run, slowest first.
    enum InstructionSet: CaseIterable, Sendable {
        /// `accumulatePortable`: the ISA the package is compiled for (SSE2 on x86-64).
        case portable
        #if arch(x86_64)
        /// `matmulAVX2` (KilnSimAVX2), compiled for x86-64-v3.
        case avx2
        /// `matmulAVX512` (KilnSimAVX512), compiled for x86-64-v4.
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
            case .avx2: return (matmulAVX2, MatmulMicroKernel.rowBlock, MatmulMicroKernel.columnBlock(SIMD8<Float>.self))
            case .avx512: return (matmulAVX512, MatmulMicroKernel.rowBlock, MatmulMicroKernel.columnBlock(SIMD16<Float>.self))
            #endif
            }
        }

        /// Where a split of the columns between threads may fall: a multiple of this.
        var columnBlock: Int { wideKernel?.columnBlock ?? 8 }

        /// The fewest multiply-adds (k * m * n) worth two threads: about 150 us of this loop on one core. Handing
        /// half of a call to `HelperThread` and getting it back costs ~40-50 us on this project's 2-vCPU VM (a
        /// semaphore wake-up takes 10-30 us each way), so the split pays only on calls of ~100 us and more:
        /// measured 128 x 128 x 512 (2^23): portable 0.45 -> 0.29 ms, AVX2 0.163 -> 0.136 ms, AVX-512 0.086 ->
        /// 0.095 ms (a loss); 128 x 128 x 2048: AVX-512 0.37 -> 0.23 ms.
        var parallelWork: Int {
            switch self {
            case .portable: return 1 << 22
            #if arch(x86_64)
            case .avx2: return 1 << 23
            case .avx512: return 1 << 24
            #endif
            }
        }
    }

    /// A wide kernel: (stationary, moving, k, m, n, rows, columns, result, result row stride), rows and columns
    /// whole blocks.
    typealias WideKernel = (MatmulMicroKernel.Operands) -> Void

    static let usesHelperThread = ProcessInfo.processInfo.activeProcessorCount > 1

    /// `resultStride`: elements between the starts of two result rows (n when nil: a dense [m | n] result; the
    /// row pitch of a PSUM accumulator updated in place).
    static func accumulate(stationary: UnsafeBufferPointer<Float>, moving: UnsafeBufferPointer<Float>,
                           k: Int, m: Int, n: Int, into result: UnsafeMutableBufferPointer<Float>, resultStride: Int? = nil) {
        accumulate(stationary: stationary, moving: moving, k: k, m: m, n: n, into: result, resultStride: resultStride,
                   using: .host, inHalves: usesHelperThread && k * m * n >= InstructionSet.host.parallelWork)
    }

    /// `accumulate` with the loop given, and whether to split the columns in two halves (when there are at least
    /// two whole column blocks) and compute one on `HelperThread`.
    static func accumulate(stationary: UnsafeBufferPointer<Float>, moving: UnsafeBufferPointer<Float>,
                           k: Int, m: Int, n: Int, into result: UnsafeMutableBufferPointer<Float>, resultStride: Int? = nil,
                           using instructionSet: InstructionSet, inHalves: Bool) {
        let stride = resultStride ?? n
        guard k > 0, m > 0, n > 0, stride >= n, result.count >= (m - 1) * stride + n,
              let s = stationary.baseAddress, let v = moving.baseAddress, let out = result.baseAddress else { return }
        let call = Call(stationary: s, moving: v, k: k, m: m, n: n, result: out, resultStride: stride,
                        instructionSet: instructionSet)
        let blocks = n / instructionSet.columnBlock
        guard inHalves, blocks >= 2 else { return call.run(columns: 0..<n) }
        let middle = blocks / 2 * instructionSet.columnBlock
        HelperThread.shared.run({ call.run(columns: middle..<n) }, whileCallerRuns: { call.run(columns: 0..<middle) })
    }

    /// One call's operands, shared by the two threads that compute it. `@unchecked Sendable` because the pointers
    /// are not Sendable, yet sharing them is safe: both threads only read `stationary` and `moving`, each writes
    /// only the result columns of its own half (the halves are disjoint), and `HelperThread.run` returns only
    /// after the helper's half is done, so the buffers outlive every use.
    private struct Call: @unchecked Sendable {
        let stationary: UnsafePointer<Float>, moving: UnsafePointer<Float>
        let k: Int, m: Int, n: Int
        let result: UnsafeMutablePointer<Float>
        let resultStride: Int
        let instructionSet: InstructionSet

        /// All rows of `columns`: the wide kernel on its whole blocks, the portable loop on the columns right of
        /// them and on the rows below them.
        func run(columns: Range<Int>) {
            guard let wide = instructionSet.wideKernel else { return portable(rows: 0..<m, columns: columns) }
            let rows = 0..<(m - m % wide.rowBlock)
            let blockedColumns = columns.lowerBound..<(columns.upperBound - columns.count % wide.columnBlock)
            if !rows.isEmpty, !blockedColumns.isEmpty {
                wide.accumulate(MatmulMicroKernel.Operands(stationary: stationary, moving: moving, k: k, m: m, n: n, rows: rows,
                                                           columns: blockedColumns, result: result, resultStride: resultStride))
            }
            portable(rows: rows, columns: blockedColumns.upperBound..<columns.upperBound)
            portable(rows: rows.upperBound..<m, columns: columns)
        }

        private func portable(rows: Range<Int>, columns: Range<Int>) {
            MatmulKernel.accumulatePortable(stationary: stationary, moving: moving, k: k, m: m, n: n,
                                            rows: rows, columns: columns, into: result, resultStride: resultStride)
        }
    }
}
