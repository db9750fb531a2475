// TileTransferTests.swift: DMA as strided runs and fused row copies equals the per-element index path it replaced.

import KilnBytecode
import KilnMachine
import KilnNumerics
@testable import KilnSim
import Testing

@Suite struct TileTransferTests {
    /// The reference: the flat HBM index of every tile element, partition-major (the former `slice` loop).
    private func indices(tile: BufferEntry, strides: [Int], base: Int, transpose: Bool, broadcast: Bool) -> [Int] {
        let rank = strides.count
        if DMAGeometry.isFlat(rank: rank, transpose: transpose, broadcast: broadcast) {
            return Array(base..<(base + tile.partitions * tile.freeElements))
        }
        let lead = rank - tile.freeDims.count
        var result: [Int] = []
        for partition in 0..<tile.partitions {
            for element in 0..<tile.freeElements {
                if transpose {
                    result.append(base + element * strides[0] + partition * strides[1])
                    continue
                }
                var index = base + (broadcast ? 0 : partition * strides[0])
                var rest = element
                for dim in stride(from: tile.freeDims.count - 1, through: 0, by: -1) {
                    index += (rest % tile.freeDims[dim]) * strides[broadcast ? lead + dim : dim + 1]
                    rest /= tile.freeDims[dim]
                }
                result.append(index)
            }
        }
        return result
    }

    private func expand(_ runs: [HBMRun]) -> [Int] {
        var result: [Int] = []
        for run in runs {
            #expect(run.tileStart == result.count)
            result += (0..<run.count).map { run.start + $0 * run.stride }
        }
        return result
    }

    private func tile(_ dtype: ElementType, partitions: Int, freeDims: [Int], offset: Int = 0) -> BufferEntry {
        BufferEntry(name: "t", space: .sbuf, dtype: dtype, partitionStart: 1, partitions: partitions, offset: offset,
                    freeDims: freeDims)
    }

    /// (tensor strides, tile partitions, tile free dims, transpose, broadcast, base)
    static let geometries: [([Int], Int, [Int], Bool, Bool, Int)] = [
        ([1], 4, [6], false, false, 3),              // flat
        ([40, 1], 5, [7], false, false, 42),          // plain rows
        ([40, 1], 7, [5], true, false, 41),           // transposing
        ([60, 12, 1], 3, [4, 5], false, false, 13),   // two free dims
        ([60, 12, 1], 4, [3, 6], false, true, 2),     // broadcasting
        ([12, 1], 3, [1], false, false, 0),           // one-element rows
    ]

    @Test(arguments: geometries)
    func runsVisitTheSameElements(_ geometry: ([Int], Int, [Int], Bool, Bool, Int)) {
        let (strides, partitions, freeDims, transpose, broadcast, base) = geometry
        let entry = tile(.f32, partitions: partitions, freeDims: freeDims)
        let runs = HBMRun.runs(tile: entry, strides: strides, base: base, transpose: transpose, broadcast: broadcast)
        #expect(expand(runs) == indices(tile: entry, strides: strides, base: base, transpose: transpose, broadcast: broadcast))
    }

    /// Values with NaN, infinities, ties and bf16 round-to-even cases, already f32.
    private func values(_ count: Int) -> [Double] {
        let special: [Double] = [.nan, -.infinity, .infinity, 0, -0.0, 1 + 1.0 / 256, 1 + 3.0 / 256, 3.4e38, -1e-40]
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { $0 < special.count ? special[$0] : Double(Float.random(in: -100...100, using: &generator)) }
    }

    @Test(arguments: [ElementType.f32, .bf16])
    func fusedLoadAndStoreEqualTheArrayPath(_ dtype: ElementType) {
        for (strides, partitions, freeDims, transpose, broadcast, base) in Self.geometries {
            let entry = tile(dtype, partitions: partitions, freeDims: freeDims, offset: 6)
            let runs = HBMRun.runs(tile: entry, strides: strides, base: base, transpose: transpose, broadcast: broadcast)
            for source in [ElementType.f32, .bf16, .f16, .i32] {
                let stored = PackedTensor(Tensor(dtype: source, shape: [400], values: values(400))!)
                let hbm = HBMTensor(entry: TensorEntry(name: "h", dtype: source, shape: [400], role: .input), bytes: stored.bytes)
                var fromHBM = OnChipStore(partitions: partitions + 1, bytesPerPartition: 6 + entry.bytesPerPartition)
                var viaValues = fromHBM
                fromHBM.fill(entry, runs, from: hbm)
                viaValues.write(entry, HBMRun.gather(runs, hbm))
                #expect(fromHBM.bytes == viaValues.bytes, "\(source) HBM into a \(dtype) tile")
                #expect(fromHBM.written == viaValues.written)
            }
            let hbm = HBMTensor(entry: TensorEntry(name: "h", dtype: dtype, shape: [400], role: .input),
                                bytes: PackedTensor(Tensor(dtype: dtype, shape: [400], values: values(400))!).bytes)
            var fused = OnChipStore(partitions: partitions + 1, bytesPerPartition: 6 + entry.bytesPerPartition)
            var plain = fused
            fused.fill(entry, runs, from: hbm)
            plain.write(entry, HBMRun.gather(runs, hbm))
            #expect(fused.bytes == plain.bytes)
            #expect(fused.written == plain.written)
            let floats = fused.readFloats(entry)
            let doubles = plain.read(entry)
            #expect(floats.values.map(\.bitPattern) == doubles.values.map { Float($0).bitPattern })
            #expect(floats.firstUnwritten == nil && doubles.firstUnwritten == nil)
            if broadcast { continue }  // a store is never broadcasting
            for target in [ElementType.f32, .bf16, .f16, .i32] {
                let tensorEntry = TensorEntry(name: "x", dtype: target, shape: [400], role: .output)
                var viaArrays = HBMTensor(entry: tensorEntry, bytes: nil)
                var viaRows = viaArrays
                viaArrays.scatter(runs, plain.read(entry).values)
                #expect(fused.drain(entry, runs, into: &viaRows) == nil)
                #expect(viaRows.bytes == viaArrays.bytes, "a \(dtype) tile into \(target) HBM")
                #expect(viaRows.written == viaArrays.written)
            }
            // A store into an input (a tensor that starts written, without flags) writes the same bytes.
            let inputEntry = TensorEntry(name: "i", dtype: dtype, shape: [400], role: .input)
            let zeros = [UInt8](repeating: 0, count: 400 * dtype.byteSize)
            var inputViaArrays = HBMTensor(entry: inputEntry, bytes: zeros)
            var inputViaRows = inputViaArrays
            inputViaArrays.scatter(runs, plain.read(entry).values)
            #expect(fused.drain(entry, runs, into: &inputViaRows) == nil)
            #expect(inputViaRows.bytes == inputViaArrays.bytes && inputViaRows.bytes != zeros)
            #expect(inputViaRows.written.isEmpty && inputViaRows.unwrittenCount == 0 && inputViaRows.firstUnwritten(in: runs) == nil)
        }
    }

    @Test(arguments: geometries)
    func firstUnwrittenHBMElementIsTheFirstInTileOrder(_ geometry: ([Int], Int, [Int], Bool, Bool, Int)) {
        let (strides, partitions, freeDims, transpose, broadcast, base) = geometry
        let entry = tile(.f32, partitions: partitions, freeDims: freeDims)
        let runs = HBMRun.runs(tile: entry, strides: strides, base: base, transpose: transpose, broadcast: broadcast)
        let order = indices(tile: entry, strides: strides, base: base, transpose: transpose, broadcast: broadcast)
        var written = Array(repeating: true, count: 400)
        #expect(HBMRun.firstUnwritten(runs, written) == nil)
        for hole in [order.last ?? 0, order[order.count / 2], order[0]] {
            written[hole] = false
            #expect(HBMRun.firstUnwritten(runs, written) == order.first { !written[$0] })
        }
    }

    @Test func unwrittenBytesAreFoundLikeTheGenericRead() {
        let entry = tile(.bf16, partitions: 3, freeDims: [5], offset: 2)
        var store = OnChipStore(partitions: 4, bytesPerPartition: 12)
        store.write(entry, values(15))
        store.written[(1 + 1) * 12 + 2 + 2 * 3 + 1] = false  // partition 1, element 3, high byte
        let expected = store.read(entry).firstUnwritten
        #expect(expected?.0 == 1 && expected?.1 == 3)
        #expect(store.readFloats(entry).firstUnwritten.map { [$0.0, $0.1] } == [1, 3])
        var tensor = HBMTensor(entry: TensorEntry(name: "y", dtype: .f32, shape: [15], role: .output), bytes: nil)
        let runs = HBMRun.runs(tile: entry, strides: [1], base: 0, transpose: false, broadcast: false)
        #expect(store.drain(entry, runs, into: &tensor).map { [$0.0, $0.1] } == [1, 3])
    }
}
