// SimulationRun+Access.swift: every memory access with its checks: races, never-written reads, HBM bounds.

import KilnBytecode
import KilnSource

extension SimulationRun {
    /// Reads a buffer, checking for a race with other streams and for bytes never written.
    mutating func load(_ buffer: Int, stream: Int, pc: Int) -> [Double] {
        checkRace(buffer: buffer, write: false, stream: stream, pc: pc)
        guard let memory else { return [] }
        let (values, firstUnwritten) = memory.read(prepared.program.buffers[buffer])
        if let (partition, element) = firstUnwritten, hazards != nil {
            let entry = prepared.program.buffers[buffer]
            report(DiagnosticCatalogue.simUninitializedRead(
                "\(site(stream, pc)) reads \(entry.space) tile %\(entry.name) at partition \(partition), element \(element), "
                    + "which nothing has written"), sites: [site(stream, pc)])
        }
        return values
    }

    mutating func store(_ buffer: Int, _ values: [Double], stream: Int, pc: Int) {
        checkRace(buffer: buffer, write: true, stream: stream, pc: pc)
        memory?.write(prepared.program.buffers[buffer], values)
    }

    private mutating func checkRace(buffer: Int, write: Bool, stream: Int, pc: Int) {
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

    /// The flat HBM index of every element of a DMA slice, in the tile's partition-major order; nil (with a
    /// finding) when the slice leaves the tensor. Also checks the slice for races.
    mutating func slice(_ tensor: Int, _ offsets: [AffineOffset], _ buffer: Int, transpose: Bool, broadcast: Bool,
                        write: Bool, stream: Int, pc: Int) -> [Int]? {
        let entry = prepared.program.tensors[tensor]
        let tile = prepared.program.buffers[buffer]
        let starts = offsets.map { evaluate($0, stream) }
        let extents = DMAGeometry.sliceExtents(tile: tile, rank: entry.shape.count, transpose: transpose, broadcast: broadcast)
        for dim in entry.shape.indices where starts[dim] < 0 || starts[dim] + extents[dim] > entry.shape[dim] {
            report(DiagnosticCatalogue.simOutOfBounds(
                "\(site(stream, pc)) accesses %\(entry.name)[\(starts.map(String.init).joined(separator: ", "))] with extents "
                    + "\(extents), outside its shape \(entry.shape) in dim \(dim)"), sites: [site(stream, pc)])
            return nil
        }
        if var tracker = hazards {
            let box = entry.shape.indices.map { starts[$0]..<(starts[$0] + extents[$0]) }
            let races = tracker.access(tensor: tensor, box: box, write: write, stream: stream, pc: pc,
                                       clock: streams[stream].clock)
            hazards = tracker
            for race in races { reportRace(race, stream: stream, pc: pc, write: write, what: "HBM tensor %\(entry.name)") }
        }
        guard memory != nil else { return [] }
        let strides = memory?.hbm[tensor].strides ?? []
        var indices: [Int] = []
        indices.reserveCapacity(tile.partitions * tile.freeElements)
        let rank = entry.shape.count
        let lead = rank - tile.freeDims.count
        let base = zip(starts, strides).reduce(0) { $0 + $1.0 * $1.1 }
        if DMAGeometry.isFlat(rank: rank, transpose: transpose, broadcast: broadcast) {
            return Array(base..<(base + tile.partitions * tile.freeElements))
        }
        for partition in 0..<tile.partitions {
            for element in 0..<tile.freeElements {
                if transpose {
                    indices.append(base + element * strides[0] + partition * strides[1])
                    continue
                }
                var index = base + (broadcast ? 0 : partition * strides[0])
                var rest = element
                for dim in stride(from: tile.freeDims.count - 1, through: 0, by: -1) {
                    let hbmDim = broadcast ? lead + dim : dim + 1
                    index += (rest % tile.freeDims[dim]) * strides[hbmDim]
                    rest /= tile.freeDims[dim]
                }
                indices.append(index)
            }
        }
        return indices
    }

    mutating func readHBM(_ tensor: Int, _ indices: [Int], stream: Int, pc: Int) -> [Double] {
        guard let memory else { return [] }
        let hbm = memory.hbm[tensor]
        if hazards != nil, let first = indices.first(where: { !hbm.written[$0] }) {
            report(DiagnosticCatalogue.simUninitializedRead(
                "\(site(stream, pc)) reads element \(first) of HBM tensor %\(hbm.entry.name), which nothing has written"),
                sites: [site(stream, pc)])
        }
        return indices.map { hbm.values[$0] }
    }

    mutating func writeHBM(_ tensor: Int, _ indices: [Int], _ values: [Double]) {
        guard memory != nil else { return }
        let dtype = prepared.program.tensors[tensor].dtype
        for (index, value) in zip(indices, values) {
            memory?.hbm[tensor].values[index] = dtype.convert(value)
            memory?.hbm[tensor].written[index] = true
        }
    }
}
