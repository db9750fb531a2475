// HazardTracker.swift: race detection with vector clocks: the last read and write of every buffer per stream.

import KilnBytecode

/// An access some stream made: its own clock component at the time, and which instruction made it.
struct AccessRecord {
    var clock: Int
    var pc: Int
    /// For HBM accesses: the slice's [lower, upper) bounds per dim.
    var box: [Range<Int>] = []
}

/// A race found by `HazardTracker`: the earlier access (stream, instruction) and whether it wrote.
struct Race {
    var otherStream: Int
    var otherPC: Int
    var otherWrote: Bool
}

/// Happens-before tracking. Every stream carries a vector clock (`StreamState.clock`): it ticks its own
/// component per instruction, a signal hands a copy to the semaphore unit it adds, and a wait joins the clocks
/// of the units it takes. An earlier access by stream s with clock c happens before the current access of
/// stream t iff c <= t's clock[s]. Keeping only the latest read and the latest write per (buffer, stream) is
/// enough: a stream's accesses are ordered among themselves, so if its latest one is ordered before the
/// current access, all its earlier ones are too. Two accesses conflict when they touch overlapping buffers
/// (or overlapping slices of one HBM tensor), come from different streams, and at least one writes.
struct HazardTracker {
    let streamCount: Int
    var writes: [[AccessRecord?]]
    var reads: [[AccessRecord?]]
    var hbmWrites: [[AccessRecord?]]
    var hbmReads: [[AccessRecord?]]
    /// Pairs already reported, so a race inside a loop is reported once.
    var reported = Set<[Int]>()

    init(program: BytecodeProgram, streamCount: Int) {
        self.streamCount = streamCount
        let none = [AccessRecord?](repeating: nil, count: streamCount)
        writes = Array(repeating: none, count: program.buffers.count)
        reads = writes
        hbmWrites = Array(repeating: none, count: program.tensors.count)
        hbmReads = hbmWrites
    }

    /// Checks an on-chip access against the other streams' latest accesses of overlapping buffers, then records it.
    mutating func access(buffer: Int, write: Bool, stream: Int, pc: Int, clock: [Int], overlapping: [Int]) -> [Race] {
        var races: [Race] = []
        for other in overlapping {
            for s in 0..<streamCount where s != stream {
                if let record = writes[other][s], record.clock > clock[s] {
                    races.append(Race(otherStream: s, otherPC: record.pc, otherWrote: true))
                }
                if write, let record = reads[other][s], record.clock > clock[s] {
                    races.append(Race(otherStream: s, otherPC: record.pc, otherWrote: false))
                }
            }
        }
        let record = AccessRecord(clock: clock[stream], pc: pc)
        if write { writes[buffer][stream] = record } else { reads[buffer][stream] = record }
        return races.filter { reported.insert([stream, pc, $0.otherStream, $0.otherPC]).inserted }
    }

    /// The same for a slice of an HBM tensor.
    mutating func access(tensor: Int, box: [Range<Int>], write: Bool, stream: Int, pc: Int, clock: [Int]) -> [Race] {
        func overlaps(_ other: [Range<Int>]) -> Bool {
            zip(box, other).allSatisfy { $0.overlaps($1) }
        }
        var races: [Race] = []
        for s in 0..<streamCount where s != stream {
            if let record = hbmWrites[tensor][s], record.clock > clock[s], overlaps(record.box) {
                races.append(Race(otherStream: s, otherPC: record.pc, otherWrote: true))
            }
            if write, let record = hbmReads[tensor][s], record.clock > clock[s], overlaps(record.box) {
                races.append(Race(otherStream: s, otherPC: record.pc, otherWrote: false))
            }
        }
        let record = AccessRecord(clock: clock[stream], pc: pc, box: box)
        if write { hbmWrites[tensor][stream] = record } else { hbmReads[tensor][stream] = record }
        return races.filter { reported.insert([stream, pc, $0.otherStream, $0.otherPC]).inserted }
    }
}
