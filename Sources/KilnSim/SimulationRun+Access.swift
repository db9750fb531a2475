// SimulationRun+Access.swift: every memory access with its checks: races, never-written reads, HBM bounds.

import KilnBytecode
import KilnISA
import KilnSource

extension SimulationRun {
    /// Reads a buffer, checking for a race with other streams and for bytes never written.
    mutating func load(_ buffer: Int, stream: Int, pc: Int) -> [Double] {
        checkRace(buffer: buffer, write: false, stream: stream, pc: pc)
        guard let memory else { return [] }
        let (values, firstUnwritten) = memory.read(prepared.program.buffers[buffer])
        if let (partition, element) = firstUnwritten, hazards != nil {
            reportUnwritten(prepared.program.buffers[buffer], partition, element, stream, pc)
        }
        return values
    }

    /// `load(...).map(Float.init)` for f32 and bf16 buffers without the `Double` round trip.
    mutating func loadFloats(_ buffer: Int, stream: Int, pc: Int) -> [Float] {
        let entry = prepared.program.buffers[buffer]
        guard OnChipStore.holdsFloats(entry) else { return load(buffer, stream: stream, pc: pc).map(Float.init) }
        checkRace(buffer: buffer, write: false, stream: stream, pc: pc)
        guard let memory else { return [] }
        let (values, firstUnwritten) = memory.readFloats(entry)
        if let (partition, element) = firstUnwritten, hazards != nil { reportUnwritten(entry, partition, element, stream, pc) }
        return values
    }

    /// `store(buffer, values.map(Double.init), ...)`, storing f32 and bf16 buffers straight from `Float`.
    mutating func storeFloats(_ buffer: Int, _ values: [Float], stream: Int, pc: Int) {
        let entry = prepared.program.buffers[buffer]
        guard OnChipStore.holdsFloats(entry) else { return store(buffer, values.map(Double.init), stream: stream, pc: pc) }
        checkRace(buffer: buffer, write: true, stream: stream, pc: pc)
        memory?.writeFloats(entry, values)
    }

    mutating func reportUnwritten(_ entry: BufferEntry, _ partition: Int, _ element: Int, _ stream: Int, _ pc: Int) {
        report(DiagnosticCatalogue.simUninitializedRead(
            "\(site(stream, pc)) reads \(entry.space) tile %\(entry.name) at partition \(partition), element \(element), "
                + "which nothing has written"), sites: [site(stream, pc)])
    }

    mutating func store(_ buffer: Int, _ values: [Double], stream: Int, pc: Int) {
        checkRace(buffer: buffer, write: true, stream: stream, pc: pc)
        memory?.write(prepared.program.buffers[buffer], values)
    }

    mutating func checkRace(buffer: Int, write: Bool, stream: Int, pc: Int) {
        guard var tracker = hazards else { return }
        let races = tracker.access(buffer: buffer, write: write, stream: stream, pc: pc, clock: streams[stream].clock,
                                   overlapping: prepared.overlapping[buffer])
        hazards = tracker
        let entry = prepared.program.buffers[buffer]
        for race in races {
            reportRace(race, stream: stream, pc: pc, write: write, what: "\(entry.space) tile %\(entry.name)")
        }
    }

    private mutating func reportRace(_ race: Race, stream: Int, pc: Int, write: Bool, what: String) {
        let current = site(stream, pc)
        let other = site(race.otherStream, race.otherPC)
        report(DiagnosticCatalogue.simRace(
            "race on \(what): \(current) \(write ? "writes" : "reads") it while \(other) "
                + "\(race.otherWrote ? "writes" : "reads") it, and no semaphore orders the two"), sites: [current, other])
    }

    /// The HBM elements of a DMA slice as strided runs, in the tile's partition-major order; nil (with a
    /// finding) when the slice leaves the tensor. Also checks the slice for races.
    mutating func slice(_ tensor: Int, _ offsets: [AffineOffset], _ buffer: Int, transpose: Bool, broadcast: Bool,
                        steps: DMASteps = .unit, write: Bool, stream: Int, pc: Int) -> [HBMRun]? {
        let entry = prepared.program.tensors[tensor]
        let tile = prepared.program.buffers[buffer]
        let starts = offsets.map { evaluate($0, stream) }
        let extents = DMAGeometry.sliceExtents(tile: tile, rank: entry.shape.count, transpose: transpose, broadcast: broadcast,
                                               steps: steps)
        guard access(tensor, starts: starts, extents: extents, write: write, stream: stream, pc: pc) else { return nil }
        guard let memory else { return [] }
        return HBMRun.runs(tile: tile, strides: memory.hbm[tensor].strides,
                           base: zip(starts, memory.hbm[tensor].strides).reduce(0) { $0 + $1.0 * $1.1 },
                           transpose: transpose, broadcast: broadcast, steps: steps)
    }

    mutating func readHBM(_ tensor: Int, _ runs: [HBMRun], stream: Int, pc: Int) -> [Double] {
        checkHBMWritten(tensor, runs, stream: stream, pc: pc)
        guard let memory else { return [] }
        return HBMRun.gather(runs, memory.hbm[tensor])
    }

    /// An HBM box of `tensor` a DMA reads or writes: false (with a finding) when it leaves the tensor; checked
    /// for races with other streams.
    mutating func access(_ tensor: Int, starts: [Int], extents: [Int], write: Bool, stream: Int, pc: Int) -> Bool {
        let entry = prepared.program.tensors[tensor]
        for dim in entry.shape.indices where starts[dim] < 0 || starts[dim] + extents[dim] > entry.shape[dim] {
            report(DiagnosticCatalogue.simOutOfBounds(
                "\(site(stream, pc)) accesses %\(entry.name)[\(starts.map(String.init).joined(separator: ", "))] with extents "
                    + "\(extents), outside its shape \(entry.shape) in dim \(dim)"), sites: [site(stream, pc)])
            return false
        }
        if var tracker = hazards {
            let box = entry.shape.indices.map { starts[$0]..<(starts[$0] + extents[$0]) }
            let races = tracker.access(tensor: tensor, box: box, write: write, stream: stream, pc: pc,
                                       clock: streams[stream].clock)
            hazards = tracker
            for race in races { reportRace(race, stream: stream, pc: pc, write: write, what: "HBM tensor %\(entry.name)") }
        }
        return true
    }

    /// `dma.gather`'s values in tile order (`DMAGather`): the index run and the table's columns checked against
    /// their tensors and for races, then each index against the table's rows; nil (with a finding) when something
    /// is out of range, `[]` in a timing-only run.
    mutating func gather(_ table: Int, _ tableOffsets: [AffineOffset], _ indices: Int, _ indexOffsets: [AffineOffset],
                         into buffer: Int, stream: Int, pc: Int) -> [Double]? {
        guard let (runs, outside) = indirectRuns(table, tableOffsets, indices, indexOffsets, buffer, scatter: false,
                                                 stream: stream, pc: pc) else { return nil }
        guard let memory else { return [] }
        let (partitions, free) = (prepared.program.buffers[buffer].partitions, prepared.program.buffers[buffer].freeElements)
        checkHBMWritten(table, runs, stream: stream, pc: pc)
        // A row that was not read holds NaN: the run goes on (and fails), with the one error above.
        var values = HBMRun.gather(runs, memory.hbm[table])
        values += Array(repeating: .nan, count: max(0, partitions * free - values.count))
        for partition in outside { for f in 0..<free { values[partition * free + f] = .nan } }
        return values
    }

    /// `dma.scatter_add`: each in-range partition's row of the tile added into the table row its index names, in
    /// partition order (duplicates accumulate in that order), each sum in f32 and stored rounded to the table's type.
    mutating func scatterAdd(_ buffer: Int, _ table: Int, _ tableOffsets: [AffineOffset], _ indices: Int,
                             _ indexOffsets: [AffineOffset], stream: Int, pc: Int) {
        guard let (runs, _) = indirectRuns(table, tableOffsets, indices, indexOffsets, buffer, scatter: true,
                                           stream: stream, pc: pc), memory != nil else { return }
        checkHBMWritten(table, runs, stream: stream, pc: pc)
        let values = load(buffer, stream: stream, pc: pc)
        for run in runs {
            for f in 0..<run.count {
                let at = run.start + f * run.stride
                guard let current = memory?.hbm[table].value(at: at) else { return }
                memory?.hbm[table].store(Double(Float(current) + Float(values[run.tileStart + f])), at: at)
            }
        }
    }

    /// The table runs of an indirect transfer (`DMAGather`), one per partition whose index is inside the table's rows,
    /// and the partitions whose index is not (reported once, as a gather's or a scatter's error): the index run and
    /// the table's columns checked against their tensors and for races first; nil when one leaves its tensor.
    private mutating func indirectRuns(_ table: Int, _ tableOffsets: [AffineOffset], _ indices: Int,
                                       _ indexOffsets: [AffineOffset], _ buffer: Int, scatter: Bool,
                                       stream: Int, pc: Int) -> (runs: [HBMRun], outside: [Int])? {
        let (tableEntry, indexEntry) = (prepared.program.tensors[table], prepared.program.tensors[indices])
        let tile = prepared.program.buffers[buffer]
        let (partitions, free) = (tile.partitions, tile.freeElements)
        guard tableEntry.shape.count == 2, !indexEntry.shape.isEmpty else { return nil }
        let accesses = [
            (table, tableOffsets.map { evaluate($0, stream) }, DMAGather.tableExtents(rows: tableEntry.shape[0], free: free)),
            (indices, indexOffsets.map { evaluate($0, stream) },
             DMAGather.indexExtents(rank: indexEntry.shape.count, partitions: partitions)),
        ]
        for (index, (tensor, starts, extents)) in accesses.enumerated()
        where !access(tensor, starts: starts, extents: extents, write: scatter && index == 0, stream: stream, pc: pc) {
            return nil
        }
        guard let memory else { return ([], []) }
        let (rows, width, column) = (tableEntry.shape[0], tableEntry.shape[1], accesses[0].1[1])
        let indexHBM = memory.hbm[indices]
        let indexBase = zip(accesses[1].1, indexHBM.strides).reduce(0) { $0 + $1.0 * $1.1 }
        checkHBMWritten(indices, [HBMRun(start: indexBase, stride: 1, tileStart: 0, count: partitions)], stream: stream, pc: pc)
        var runs: [HBMRun] = []
        var outside: [Int] = []
        for partition in 0..<partitions {
            let row = Int(indexHBM.value(at: indexBase + partition))
            guard row >= 0 && row < rows else {
                if outside.isEmpty {
                    let detail = "\(site(stream, pc)) \(scatter ? "adds into" : "gathers") row \(row) (index element "
                        + "\(indexBase + partition) of %\(indexEntry.name)) \(scatter ? "of" : "from") %\(tableEntry.name), "
                        + "which has rows 0 ..< \(rows)"
                    report(scatter ? DiagnosticCatalogue.simScatterIndexOutOfRange(detail)
                                   : DiagnosticCatalogue.simGatherIndexOutOfRange(detail), sites: [site(stream, pc)])
                }
                outside.append(partition)
                continue
            }
            runs.append(HBMRun(start: row * width + column, stride: 1, tileStart: partition * free, count: free))
        }
        return (runs, outside)
    }

    /// Reports the first element of the runs (in tile order) that nothing has written (checks on).
    mutating func checkHBMWritten(_ tensor: Int, _ runs: [HBMRun], stream: Int, pc: Int) {
        guard hazards != nil, let hbm = memory?.hbm[tensor], let first = hbm.firstUnwritten(in: runs) else { return }
        report(DiagnosticCatalogue.simUninitializedRead(
            "\(site(stream, pc)) reads element \(first) of HBM tensor %\(hbm.entry.name), which nothing has written"),
            sites: [site(stream, pc)])
    }

    mutating func writeHBM(_ tensor: Int, _ runs: [HBMRun], _ values: [Double]) {
        guard memory != nil else { return }
        memory?.hbm[tensor].scatter(runs, values)
    }
}
