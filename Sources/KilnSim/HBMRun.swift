// HBMRun.swift: a DMA slice as strided runs of HBM elements (one per tile row piece), and the copies over them.

import KilnBytecode
import KilnISA
import KilnMachine

/// `count` HBM elements `start, start + stride, ...` that are tile elements `tileStart, tileStart + 1, ...`
/// (partition-major). A DMA slice is a list of runs in tile order, so a transfer is a few strided row copies
/// instead of one index per element.
struct HBMRun {
    var start: Int
    var stride: Int
    var tileStart: Int
    var count: Int

    /// The runs of a DMA slice starting at flat HBM index `base` of a row-major tensor with `strides`:
    /// - flat (rank-1, plain): one run of all `P * F` contiguous elements;
    /// - transposing: tile element (p, f) is HBM `base + f * strides[L] + p * strides[L + 1]`, so each partition
    ///   is one run with stride `strides[L]`;
    /// - otherwise each partition (at `p * strides[L]`, or 0 when broadcasting) splits into runs of the last free
    ///   dim, contiguous in HBM; the other free dims step by the strides of the tensor dims they map to.
    /// A strided load (`steps`) multiplies the partition's stride by `steps.row` and the last free dim's (a flat
    /// load's every element's) by `steps.column`: its runs have that stride.
    /// L is the number of leading (indexed) tensor dims the tile does not cover (`DMASlice.lead`): the tile's
    /// dims map to the trailing tensor dims.
    static func runs(tile: BufferEntry, strides: [Int], base: Int, transpose: Bool, broadcast: Bool,
                     steps: DMASteps = .unit) -> [HBMRun] {
        let (partitions, free) = (tile.partitions, tile.freeElements)
        let rank = strides.count
        if DMAGeometry.isFlat(rank: rank, transpose: transpose, broadcast: broadcast) {
            return [HBMRun(start: base, stride: steps.column, tileStart: 0, count: partitions * free)]
        }
        let lead = DMAGeometry.lead(tile: tile, rank: rank, transpose: transpose, broadcast: broadcast)
        if transpose {
            return (0..<partitions).map {
                HBMRun(start: base + $0 * strides[lead + 1], stride: strides[lead], tileStart: $0 * free, count: free)
            }
        }
        let freeDims = tile.freeDims
        let runLength = freeDims.last ?? 1
        guard runLength > 0, free > 0 else { return [] }
        var runs: [HBMRun] = []
        runs.reserveCapacity(partitions * (free / runLength))
        for partition in 0..<partitions {
            let rowBase = base + (broadcast ? 0 : partition * strides[lead] * steps.row)
            for element in Swift.stride(from: 0, to: free, by: runLength) {
                var index = rowBase
                var rest = element
                for dim in Swift.stride(from: freeDims.count - 1, through: 0, by: -1) {
                    let hbmDim = broadcast ? lead + dim : lead + dim + 1
                    index += (rest % freeDims[dim]) * strides[hbmDim] * (dim == freeDims.count - 1 ? steps.column : 1)
                    rest /= freeDims[dim]
                }
                runs.append(HBMRun(start: index, stride: steps.column, tileStart: partition * free + element, count: runLength))
            }
        }
        return runs
    }

    /// The first HBM index of the runs (in tile order) whose `written` flag is false (contiguous runs: `memchr`).
    static func firstUnwritten(_ runs: [HBMRun], _ written: [Bool]) -> Int? {
        written.withUnsafeBufferPointer { flags in
            for run in runs {
                if run.stride == 1 {
                    if let first = OnChipStore.firstFalse(flags, from: run.start, count: run.count) { return first }
                    continue
                }
                var index = run.start
                for _ in 0..<run.count {
                    if !flags[index] { return index }
                    index += run.stride
                }
            }
            return nil
        }
    }

    /// The runs' values (decoded from the tensor's type) in tile order.
    static func gather(_ runs: [HBMRun], _ tensor: HBMTensor) -> [Double] {
        let total = runs.reduce(0) { max($0, $1.tileStart + $1.count) }
        var out = [Double](repeating: 0, count: total)
        for run in runs {
            var index = run.start
            for element in run.tileStart..<(run.tileStart + run.count) {
                out[element] = tensor.value(at: index)
                index += run.stride
            }
        }
        return out
    }
}

extension HBMTensor {
    /// Stores tile values (in tile order) at the runs' elements, converted to the tensor's type, and marks them
    /// written.
    mutating func scatter(_ runs: [HBMRun], _ tileValues: [Double]) {
        for run in runs {
            var index = run.start
            for element in run.tileStart..<min(tileValues.count, run.tileStart + run.count) {
                store(tileValues[element], at: index)
                index += run.stride
            }
        }
    }
}
