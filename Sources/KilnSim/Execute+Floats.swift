// Execute+Floats.swift: vector and scalar engine ops on f32 / bf16 tiles through reused Float buffers.

import KilnBytecode
import KilnISA
import KilnMachine
import KilnNumerics

/// Buffers reused by every instruction of a run, so an op on a large tile allocates (and page-faults) nothing.
/// Slot `i` grows to the largest count asked of it and is never shrunk.
final class FloatScratch {
    private var slots: [(pointer: UnsafeMutablePointer<Float>, capacity: Int)] = []

    func buffer(_ slot: Int, count: Int) -> UnsafeMutablePointer<Float> {
        while slots.count <= slot { slots.append((UnsafeMutablePointer<Float>.allocate(capacity: 1), 1)) }
        if slots[slot].capacity < count {
            slots[slot].pointer.deallocate()
            slots[slot] = (UnsafeMutablePointer<Float>.allocate(capacity: count), count)
        }
        return slots[slot].pointer
    }

    private var doubleBuffer = (pointer: UnsafeMutablePointer<Double>.allocate(capacity: 1), capacity: 1)

    /// One `Double` buffer of at least `count` elements.
    func doubles(count: Int) -> UnsafeMutablePointer<Double> {
        if doubleBuffer.capacity < count {
            doubleBuffer.pointer.deallocate()
            doubleBuffer = (UnsafeMutablePointer<Double>.allocate(capacity: count), count)
        }
        return doubleBuffer.pointer
    }

    deinit {
        for slot in slots { slot.pointer.deallocate() }
        doubleBuffer.pointer.deallocate()
    }
}

/// The same numerics as `compute`'s general path (values decoded, computed in f64 per element, stored rounded to
/// f32 and then to the destination's type), for instructions whose tiles are all f32 or bf16, whose values
/// `Float` holds exactly: sources are read into scratch `Float` buffers, results are computed into another and
/// written with `writeFloats`. The race and never-written checks run in the same order as `load` / `store`.
/// Sources are read in full before the destination is written, so overlapping tiles behave as in the general path.
extension SimulationRun {
    /// Runs `step` this way and returns true, or returns false (nothing done) when a tile is not f32 / bf16.
    mutating func computeFloats(_ op: EngineOp, _ o: EngineOperands, stream: Int, pc: Int) -> Bool {
        let buffers = prepared.program.buffers
        // Ops without a fast path (and tiles of other types) take the general path in Execute.swift.
        switch op {
        case .peMatmul:
            let (s, m, acc, start) = (o.buffer(0), o.buffer(1), o.buffer(2), o.condition(3))
            guard floatTiles(s, m, acc) else { return false }
            let (k, mCount, nCount) = (buffers[s].partitions, buffers[s].freeElements, buffers[m].freeElements)
            let stationary = readTile(s, slot: 0, stream: stream, pc: pc)
            let moving = readTile(m, slot: 1, stream: stream, pc: pc)
            if accumulateInPlace(acc, stationary: stationary, moving: moving, k: k, m: mCount, n: nCount,
                                 start: holds(start, stream), stream: stream, pc: pc) { break }
            let result: UnsafeMutablePointer<Float>
            if holds(start, stream) {
                result = scratch.buffer(2, count: mCount * nCount)
                result.update(repeating: 0, count: mCount * nCount)
            } else {
                result = readTile(acc, slot: 2, stream: stream, pc: pc)
            }
            MatmulKernel.accumulate(stationary: UnsafeBufferPointer(start: stationary, count: k * mCount),
                                    moving: UnsafeBufferPointer(start: moving, count: k * nCount), k: k, m: mCount, n: nCount,
                                    into: UnsafeMutableBufferPointer(start: result, count: mCount * nCount))
            writeTile(acc, result, stream: stream, pc: pc)
        case .actActivate:
            let (function, source, destination, scale, bias) = (o.function(0), o.buffer(1), o.buffer(2), o.scalar(3), o.scalar(4))
            let reduce = o.reduceInto(5)
            guard floatTiles(source, destination, reduce?.buffer) else { return false }
            let (p, f) = (buffers[source].partitions, buffers[source].freeElements)
            let biases = perPartition(bias, partitions: p, stream: stream, pc: pc).map { MathFunction.activationAddend(bias: $0) }
            let scales = perPartition(scale, partitions: p, stream: stream, pc: pc)
            let input = readTile(source, slot: 0, stream: stream, pc: pc)
            let output = scratch.buffer(1, count: p * f)
            let chunks = RowParallel.chunks(rows: p, work: p * f)
            if function == .exp {
                // The argument row in f64, then `VectorExp` (e^x rounded to f32, as `Float(exp(x))` rounds but for
                // about one value in 2^27; see its comment).
                let arguments = scratch.doubles(count: f * chunks)
                RowParallel.forEach(rows: p, work: p * f) { chunk, rows in
                    let row = arguments + chunk * f
                    for partition in rows {
                        let (bias, scale) = (biases[partition], scales[partition])
                        for element in 0..<f { row[element] = Double(Float(Double(input[partition * f + element]) * scale + bias)) }
                        ActivationExp.expToFloat(row, count: f, into: output + partition * f)
                    }
                }
            } else if function == .identity {
                // `Float(x * scale + bias)`: the general path's rounding to f32 twice is rounding once (a PSUM
                // evacuation, the matmul's epilogue), as a loop with no call per element.
                RowParallel.forEach(rows: p, work: p * f) { _, rows in
                    for partition in rows {
                        let (bias, scale) = (biases[partition], scales[partition])
                        for index in (partition * f)..<(partition * f + f) {
                            output[index] = Float(Double(input[index]) * scale + bias)
                        }
                    }
                }
            } else {
                let apply = ActivationMath.function(function)
                RowParallel.forEach(rows: p, work: p * f) { _, rows in
                    for partition in rows {
                        let (bias, scale) = (biases[partition], scales[partition])
                        for index in (partition * f)..<(partition * f + f) {
                            output[index] = Float(apply(Double(Float(Double(input[index]) * scale + bias))))
                        }
                    }
                }
            }
            writeTile(destination, output, stream: stream, pc: pc)
            if let reduce {
                let sums = scratch.buffer(2, count: p)
                RowParallel.forEach(rows: p, work: p * f) { _, rows in
                    Self.reduceRows(output, rows: rows, width: f, reduce.op, into: sums)
                }
                writeTile(reduce.buffer, sums, stream: stream, pc: pc)
            }
        case .dveTensorTensor:
            let (binary, a, b, destination) = (o.binary(0), o.buffer(1), o.buffer(2), o.buffer(3))
            guard floatTiles(a, b, destination) else { return false }
            let count = buffers[a].partitions * buffers[a].freeElements
            let (left, right) = (readTile(a, slot: 0, stream: stream, pc: pc), readTile(b, slot: 1, stream: stream, pc: pc))
            let output = scratch.buffer(2, count: count)
            let apply = ActivationMath.binary(binary)
            RowParallel.forEach(rows: count, work: count) { _, indices in
                for index in indices { output[index] = Float(apply(Double(left[index]), Double(right[index]))) }
            }
            writeTile(destination, output, stream: stream, pc: pc)
        case .dveTensorScalar:
            let (binary, a, scalar, destination) = (o.binary(0), o.buffer(1), o.scalar(2), o.buffer(3))
            let reduce = o.reduceInto(4)
            guard floatTiles(a, destination, reduce?.buffer) else { return false }
            let (p, f) = (buffers[a].partitions, buffers[a].freeElements)
            let scalars = perPartition(scalar, partitions: p, stream: stream, pc: pc)
            let input = readTile(a, slot: 0, stream: stream, pc: pc)
            let output = scratch.buffer(1, count: p * f)
            RowParallel.forEach(rows: p, work: p * f) { _, rows in
                for row in rows {
                    Self.scalarRow(binary, input + row * f, scalars[row], count: f, into: output + row * f)
                }
            }
            writeTile(destination, output, stream: stream, pc: pc)
            if let reduce {
                let results = scratch.buffer(2, count: p)
                RowParallel.forEach(rows: p, work: p * f) { _, rows in
                    Self.reduceRows(output, rows: rows, width: f, reduce.op, into: results)
                }
                writeTile(reduce.buffer, results, stream: stream, pc: pc)
            }
        case .dveReduce:
            let (reduce, source, destination) = (o.reduce(0), o.buffer(1), o.buffer(2))
            guard floatTiles(source, destination) else { return false }
            let count = buffers[source].partitions * buffers[source].freeElements
            let group = max(1, buffers[source].freeDims.last ?? 1)
            let input = readTile(source, slot: 0, stream: stream, pc: pc)
            let groups = (count + group - 1) / group
            let initial = perPartition(o.scalar(3), partitions: buffers[source].partitions, stream: stream, pc: pc)
            let groupsPerPartition = max(1, buffers[source].freeElements / group)
            let output = scratch.buffer(1, count: groups)
            RowParallel.forEach(rows: groups, work: count) { _, rows in
                Self.reduceRows(input, rows: rows, width: group, reduce, into: output, total: count) { initial[$0 / groupsPerPartition] }
            }
            writeTile(destination, output, stream: stream, pc: pc)
        case .dveCopy:
            let (source, destination) = (o.buffer(0), o.buffer(1))
            guard floatTiles(source, destination) else { return false }
            writeTile(destination, readTile(source, slot: 0, stream: stream, pc: pc), stream: stream, pc: pc)
        case .dveReciprocal:
            let (source, destination) = (o.buffer(0), o.buffer(1))
            guard floatTiles(source, destination) else { return false }
            let count = buffers[source].partitions * buffers[source].freeElements
            let input = readTile(source, slot: 0, stream: stream, pc: pc)
            let output = scratch.buffer(1, count: count)
            for index in 0..<count { output[index] = Float(1 / Double(input[index])) }
            writeTile(destination, output, stream: stream, pc: pc)
        case .peTranspose:
            let (source, destination) = (o.buffer(0), o.buffer(1))
            guard floatTiles(source, destination) else { return false }
            let (p, f) = (buffers[source].partitions, buffers[source].freeElements)
            let input = readTile(source, slot: 0, stream: stream, pc: pc)
            let output = scratch.buffer(1, count: p * f)
            Self.transpose(input, rows: p, columns: f, into: output)
            writeTile(destination, output, stream: stream, pc: pc)
        case .poolSelect:
            let (condition, a, b, destination) = (o.buffer(0), o.buffer(1), o.buffer(2), o.buffer(3))
            guard floatTiles(condition, a, b, destination) else { return false }
            let count = buffers[condition].partitions * buffers[condition].freeElements
            let mask = readTile(condition, slot: 0, stream: stream, pc: pc)
            let (left, right) = (readTile(a, slot: 1, stream: stream, pc: pc), readTile(b, slot: 2, stream: stream, pc: pc))
            let output = scratch.buffer(3, count: count)
            for index in 0..<count { output[index] = mask[index] != 0 ? left[index] : right[index] }
            writeTile(destination, output, stream: stream, pc: pc)
        default:
            return false  // an optional fast path: any op may take the general one
        }
        return true
    }

    /// A matmul into an f32 accumulator updated where it is stored (the operands are already in scratch): the same
    /// checks in the same order as `readTile` + `writeTile` of the accumulator, without copying its 2 x 256 KiB out
    /// and back per instruction. False, doing nothing, when the accumulator cannot be (not f32, unaligned rows).
    private mutating func accumulateInPlace(_ acc: Int, stationary: UnsafeMutablePointer<Float>,
                                            moving: UnsafeMutablePointer<Float>, k: Int, m: Int, n: Int, start: Bool,
                                            stream: Int, pc: Int) -> Bool {
        let entry = prepared.program.buffers[acc]
        guard entry.partitions == m, entry.freeElements == n, memory?.holdsAlignedFloatRows(entry) == true else { return false }
        if !start {
            checkRace(buffer: acc, write: false, stream: stream, pc: pc)
            if let (partition, element) = memory?.firstUnwritten(acc, entry), hazards != nil {
                reportUnwritten(entry, partition, element, stream, pc)
            }
        }
        checkRace(buffer: acc, write: true, stream: stream, pc: pc)
        let done: Bool? = memory?.withFloatRows(acc, entry) { rows, rowStride in
            if start { for row in 0..<m { (rows + row * rowStride).update(repeating: 0, count: n) } }
            MatmulKernel.accumulate(stationary: UnsafeBufferPointer(start: stationary, count: k * m),
                                    moving: UnsafeBufferPointer(start: moving, count: k * n), k: k, m: m, n: n,
                                    into: UnsafeMutableBufferPointer(start: rows, count: (m - 1) * rowStride + n),
                                    resultStride: rowStride)
            return true
        }
        return done ?? false
    }

    /// Whether every given tile is f32 or bf16.
    private func floatTiles(_ tiles: Int?...) -> Bool {
        tiles.allSatisfy { $0.map { OnChipStore.holdsFloats(prepared.program.buffers[$0]) } ?? true }
    }

    /// `load` into scratch slot `slot`: the race check, the read, the never-written report.
    private mutating func readTile(_ buffer: Int, slot: Int, stream: Int, pc: Int) -> UnsafeMutablePointer<Float> {
        let entry = prepared.program.buffers[buffer]
        let target = scratch.buffer(slot, count: entry.partitions * entry.freeElements)
        checkRace(buffer: buffer, write: false, stream: stream, pc: pc)
        if let (partition, element) = memory?.readFloats(buffer, entry, into: target), hazards != nil {
            reportUnwritten(entry, partition, element, stream, pc)
        }
        return target
    }

    /// `store` from a scratch buffer: the race check, then the write.
    private mutating func writeTile(_ buffer: Int, _ values: UnsafeMutablePointer<Float>, stream: Int, pc: Int) {
        checkRace(buffer: buffer, write: true, stream: stream, pc: pc)
        memory?.writeFloats(buffer, prepared.program.buffers[buffer], from: values)
    }

    /// `out[i] = Float(apply(op, Double(values[i]), operand))` for one row, the common operators as plain loops.
    static func scalarRow(_ op: BinaryOperator, _ values: UnsafePointer<Float>, _ operand: Double, count: Int,
                          into out: UnsafeMutablePointer<Float>) {
        switch op {
        case .add: for index in 0..<count { out[index] = Float(Double(values[index]) + operand) }
        case .sub: for index in 0..<count { out[index] = Float(Double(values[index]) - operand) }
        case .mul: for index in 0..<count { out[index] = Float(Double(values[index]) * operand) }
        case .div: for index in 0..<count { out[index] = Float(Double(values[index]) / operand) }
        default:
            let apply = ActivationMath.binary(op)
            for index in 0..<count { out[index] = Float(apply(Double(values[index]), operand)) }
        }
    }

    /// `out[c * rows + r] = values[r * columns + c]`, in 16 x 16 blocks so both sides stay in cache lines.
    static func transpose(_ values: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
        let block = 16
        for rowStart in stride(from: 0, to: rows, by: block) {
            let rowEnd = min(rows, rowStart + block)
            for columnStart in stride(from: 0, to: columns, by: block) {
                let columnEnd = min(columns, columnStart + block)
                for row in rowStart..<rowEnd {
                    let source = values + row &* columns
                    for column in columnStart..<columnEnd { out[column &* rows &+ row] = source[column] }
                }
            }
        }
    }

    /// Reduces the groups `rows` of consecutive groups of `width` values (the last group may stop at `total`) as
    /// `SimulationRun.reduce` does: in `Float`, in order, a sum from `initial(group)` (+0 when not given), max
    /// and min from the group's first value; NaN wins max and min.
    static func reduceRows(_ values: UnsafePointer<Float>, rows: Range<Int>, width: Int, _ op: EngineReduceOp,
                           into out: UnsafeMutablePointer<Float>, total: Int? = nil, initial: ((Int) -> Double)? = nil) {
        guard width > 0 else { return }
        let end = total ?? rows.upperBound * width
        for row in rows {
            let (start, stop) = (row * width, min(end, row * width + width))
            var accumulator = op == .add ? Float(initial?(row) ?? 0) + values[start] : values[start]
            switch op {
            case .add:
                for index in (start + 1)..<stop { accumulator += values[index] }
            case .max:
                for index in (start + 1)..<stop where values[index] > accumulator || values[index].isNaN { accumulator = values[index] }
            case .min:
                for index in (start + 1)..<stop where values[index] < accumulator || values[index].isNaN { accumulator = values[index] }
            }
            out[row] = accumulator
        }
    }
}
