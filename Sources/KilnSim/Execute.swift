// Execute.swift: what each instruction computes, with the hardware's numerics (fp32 math, RNE storage).

import Foundation
import KilnBytecode
import KilnISA
import KilnMachine
import KilnNumerics

/// Numerics. Engines compute in fp32 and convert on input and output: a buffer's values are decoded from its
/// storage type, the instruction computes (in f64, rounded to f32 where the hardware keeps an fp32
/// intermediate), and `OnChipStore.write` stores each result rounded to f32 and then to the destination type
/// (round to nearest, ties to even; `ElementType.storeComputed`). Matmul multiplies and accumulates in fp32
/// (`Float`), into PSUM that `start` overwrites and later matmuls of the group accumulate into. DMA to and
/// from f32 / bf16 tiles, and the matmul's operands, skip the `Double` arrays (`TileTransfer.swift`,
/// `OnChipStore+Floats.swift`) with the same values and checks.
extension SimulationRun {
    mutating func perform(_ step: Step, stream: Int, pc: Int) {
        guard case .engine(let op, let o) = step else { return }
        // Timing-only runs keep no values; DMA still computes its slices (bounds are checked either way).
        guard memory != nil || op.engine == .dma else { return }
        if op.engine != .dma, computeFloats(op, o, stream: stream, pc: pc) { return }
        let buffers = prepared.program.buffers
        // What each op computes: the op's one implementation in the simulator (the fast path in
        // Execute+Floats.swift computes the same values for f32/bf16 tiles). Fields by declaration index.
        switch op {
        case .dmaLoad:
            let (tensor, offsets) = o.slice(0)
            let buffer = o.buffer(1)
            guard let runs = slice(tensor, offsets, buffer, transpose: o.flag(2), broadcast: o.flag(3),
                                   steps: DMASteps(row: o.integer(4), column: o.integer(5)), write: false,
                                   stream: stream, pc: pc), memory != nil else { return }
            let entry = buffers[buffer]
            guard OnChipStore.holdsFloats(entry) else {
                return store(buffer, readHBM(tensor, runs, stream: stream, pc: pc), stream: stream, pc: pc)
            }
            checkHBMWritten(tensor, runs, stream: stream, pc: pc)
            checkRace(buffer: buffer, write: true, stream: stream, pc: pc)
            memory?.load(tensor: tensor, runs, into: buffer, entry)
        case .dmaStore:
            let buffer = o.buffer(0)
            let (tensor, offsets) = o.slice(1)
            guard let runs = slice(tensor, offsets, buffer, transpose: false, broadcast: false, write: true,
                                   stream: stream, pc: pc), memory != nil else { return }
            let entry = buffers[buffer]
            guard OnChipStore.holdsFloats(entry) else { return writeHBM(tensor, runs, load(buffer, stream: stream, pc: pc)) }
            checkRace(buffer: buffer, write: false, stream: stream, pc: pc)
            if let (partition, element) = memory?.store(buffer, entry, tensor: tensor, runs), hazards != nil {
                reportUnwritten(entry, partition, element, stream, pc)
            }
        case .dmaGather:
            let (table, tableOffsets) = o.slice(0)
            let (indices, indexOffsets) = o.slice(1)
            let buffer = o.buffer(2)
            guard let values = gather(table, tableOffsets, indices, indexOffsets, into: buffer, stream: stream, pc: pc),
                  memory != nil else { return }
            store(buffer, values, stream: stream, pc: pc)
        case .dmaIndirectLoad:
            let (table, tableOffsets) = o.slice(0)
            let buffer = o.buffer(2)
            guard let values = indirectLoad(table, tableOffsets, indices: o.buffer(1), into: buffer, stream: stream, pc: pc),
                  memory != nil else { return }
            store(buffer, values, stream: stream, pc: pc)
        case .dmaScatterAdd:
            let (table, tableOffsets) = o.slice(1)
            let (indices, indexOffsets) = o.slice(2)
            scatterAdd(o.buffer(0), table, tableOffsets, indices, indexOffsets, stream: stream, pc: pc)
        case .peMatmul:
            // The group's end (`stop`) has no numeric effect; the next `start` overwrites.
            let (s, m, acc) = (o.buffer(0), o.buffer(1), o.buffer(2))
            let (k, mCount, nCount) = (buffers[s].partitions, buffers[s].freeElements, buffers[m].freeElements)
            let stationary = loadFloats(s, stream: stream, pc: pc)
            let moving = loadFloats(m, stream: stream, pc: pc)
            var result = holds(o.condition(3), stream) ? [Float](repeating: 0, count: mCount * nCount)
                : loadFloats(acc, stream: stream, pc: pc)
            stationary.withUnsafeBufferPointer { s in
                moving.withUnsafeBufferPointer { v in
                    result.withUnsafeMutableBufferPointer { out in
                        MatmulKernel.accumulate(stationary: s, moving: v, k: k, m: mCount, n: nCount, into: out)
                    }
                }
            }
            storeFloats(acc, result, stream: stream, pc: pc)
        case .dveQuantizeMX, .dveScaleMX:
            quantizeMX(op, o, stream: stream, pc: pc)
        case .peMatmulMX:
            matmulMX(o, stream: stream, pc: pc)
        case .peTranspose:
            let (source, destination) = (o.buffer(0), o.buffer(1))
            let (p, f) = (buffers[source].partitions, buffers[source].freeElements)
            let values = load(source, stream: stream, pc: pc)
            var out = [Double](repeating: 0, count: p * f)
            for row in 0..<p { for column in 0..<f { out[column * p + row] = values[row * f + column] } }
            store(destination, out, stream: stream, pc: pc)
        case .actActivate:
            let (function, source, destination) = (o.function(0), o.buffer(1), o.buffer(2))
            let (f, p) = (buffers[source].freeElements, buffers[source].partitions)
            let scales = perPartition(o.scalar(3), partitions: p, stream: stream, pc: pc)
            let biases = perPartition(o.scalar(4), partitions: p, stream: stream, pc: pc)
                .map { MathFunction.activationAddend(bias: $0) }
            let values = load(source, stream: stream, pc: pc)
            let out = values.indices.map { index in
                let partition = index / max(f, 1)
                return ActivationMath.apply(function, Double(Float(values[index] * scales[partition] + biases[partition])))
            }
            store(destination, out, stream: stream, pc: pc)
            if let reduce = o.reduceInto(5) {
                store(reduce.buffer, Self.reduce(out, groupSize: f, reduce.op), stream: stream, pc: pc)
            }
        case .dveTensorTensor:
            let (binary, a, b, destination) = (o.binary(0), o.buffer(1), o.buffer(2), o.buffer(3))
            let (left, right) = (load(a, stream: stream, pc: pc), load(b, stream: stream, pc: pc))
            let integer = [a, b, destination].allSatisfy { buffers[$0].dtype == .i32 }
            store(destination, zip(left, right).map { ActivationMath.apply(binary, $0, $1, integer: integer) },
                  stream: stream, pc: pc)
        case .dveTensorScalar:
            let (binary, a, destination) = (o.binary(0), o.buffer(1), o.buffer(3))
            let f = buffers[a].freeElements
            let scalars = perPartition(o.scalar(2), partitions: buffers[a].partitions, stream: stream, pc: pc)
            let values = load(a, stream: stream, pc: pc)
            let integer = buffers[a].dtype == .i32 && buffers[destination].dtype == .i32
            let out = Self.perPartitionMap(values, free: f, scalars) { ActivationMath.apply(binary, $0, $1, integer: integer) }
            store(destination, out, stream: stream, pc: pc)
            if let reduce = o.reduceInto(4) {
                store(reduce.buffer, Self.reduce(out, groupSize: f, reduce.op), stream: stream, pc: pc)
            }
        case .dveReduce:
            let (reduce, source, destination) = (o.reduce(0), o.buffer(1), o.buffer(2))
            let group = buffers[source].freeDims.last ?? 1
            let initial = perPartition(o.scalar(3), partitions: buffers[source].partitions, stream: stream, pc: pc)
            let groupsPerPartition = max(1, buffers[source].freeElements / max(1, group))
            let values = load(source, stream: stream, pc: pc)
            if buffers[source].dtype == .i32 && reduce == .add {
                // i32 sums are exact and wrap (Docs/numerics.md), not f32 sums.
                let size = max(1, group)
                let sums = stride(from: 0, to: values.count, by: size).enumerated().map { index, start in
                    IntegerArithmetic.wrap(values[start..<min(values.count, start + size)].reduce(initial[index / groupsPerPartition], +))
                }
                store(destination, sums, stream: stream, pc: pc)
            } else {
                store(destination, Self.reduce(values, groupSize: group, reduce) { initial[$0 / groupsPerPartition] },
                      stream: stream, pc: pc)
            }
        case .dveCopy:
            store(o.buffer(1), load(o.buffer(0), stream: stream, pc: pc), stream: stream, pc: pc)
        case .dveReciprocal:
            store(o.buffer(1), load(o.buffer(0), stream: stream, pc: pc).map { 1 / $0 }, stream: stream, pc: pc)
        case .dveIota:
            let (axis, offset, destination) = (o.integer(0), o.integer(1), o.buffer(2))
            let (p, f) = (buffers[destination].partitions, buffers[destination].freeElements)
            store(destination, (0..<(p * f)).map { Double((axis == 0 ? $0 / f : $0 % f) + offset) }, stream: stream, pc: pc)
        case .dveTensorCorner:
            let (binary, source, destination) = (o.binary(0), o.buffer(1), o.buffer(2))
            var out = load(destination, stream: stream, pc: pc)
            let values = load(source, stream: stream, pc: pc)
            let from = [buffers[source].partitions] + buffers[source].freeDims
            let into = [buffers[destination].partitions] + buffers[destination].freeDims
            let integer = buffers[source].dtype == .i32 && buffers[destination].dtype == .i32
            for (index, value) in values.enumerated() {
                let target = Self.cornerIndex(index, of: from, in: into)
                out[target] = ActivationMath.apply(binary, out[target], value, integer: integer)
            }
            store(destination, out, stream: stream, pc: pc)
        case .dveTensorScan:
            let (op0, op1, data0, data1, destination) = (o.binary(0), o.binary(1), o.buffer(2), o.buffer(3), o.buffer(4))
            let (p, f) = (buffers[destination].partitions, buffers[destination].freeElements)
            let initial = perPartition(o.scalar(5), partitions: p, stream: stream, pc: pc)
            let (a, b) = (load(data0, stream: stream, pc: pc), load(data1, stream: stream, pc: pc))
            // Each step rounds to fp32 (i32 tiles compute exactly, as the llvm backend does in f64).
            let integer = [data0, data1, destination].contains { buffers[$0].dtype == .i32 }
            let fp32: (Double) -> Double = integer ? { $0 } : { Double(Float($0)) }
            var out = [Double](repeating: 0, count: p * f)
            for partition in 0..<p {
                var state = fp32(initial[partition])
                for index in partition * f..<(partition + 1) * f {
                    state = fp32(ActivationMath.apply(op0, a[index], state, integer: integer))
                    state = fp32(ActivationMath.apply(op1, state, b[index], integer: integer))
                    out[index] = state
                }
            }
            store(destination, out, stream: stream, pc: pc)
        case .dvePartitionBroadcast:
            let (source, destination) = (o.buffer(0), o.buffer(1))
            let row = load(source, stream: stream, pc: pc)
            let partitions = buffers[destination].partitions
            store(destination, Array([[Double]](repeating: row, count: partitions).joined()), stream: stream, pc: pc)
        case .dveCopyColumns:
            let (source, offset, destination) = (o.buffer(0), o.integer(1), o.buffer(2))
            let values = load(source, stream: stream, pc: pc)
            let (p, f) = (buffers[destination].partitions, buffers[destination].freeElements)
            let sourceFree = buffers[source].freeElements
            store(destination, (0..<(p * f)).map { values[$0 / f * sourceFree + offset + $0 % f] }, stream: stream, pc: pc)
        case .dveCopyStrided:
            let (source, offset, step, destination) = (o.buffer(0), o.integer(1), o.integer(2), o.buffer(3))
            let values = load(source, stream: stream, pc: pc)
            let (p, f) = (buffers[destination].partitions, buffers[destination].freeElements)
            let sourceFree = buffers[source].freeElements
            store(destination, (0..<(p * f)).map { values[$0 / f * sourceFree + offset + $0 % f * step] }, stream: stream, pc: pc)
        case .dveMax8, .dveFindIndex8:
            // Each partition's row through TopKOrder, the one definition of both instructions.
            let data = o.buffer(0), destination = o.buffer(op == .dveMax8 ? 1 : 2)
            let rows = load(data, stream: stream, pc: pc), free = buffers[data].freeElements
            let wanted = op == .dveMax8 ? [] : load(o.buffer(1), stream: stream, pc: pc)
            var out: [Double] = []
            for partition in 0..<buffers[data].partitions {
                let row = Array(rows[(partition * free)..<((partition + 1) * free)])
                out += op == .dveMax8 ? TopKOrder.max8(row)
                    : TopKOrder.findIndex8(row, Array(wanted[(partition * 8)..<((partition + 1) * 8)])).map(Double.init)
            }
            store(destination, out, stream: stream, pc: pc)
        case .dveBnStats, .dveBnAggr:
            // Each partition's row through BatchNormStats (f32), the one definition of both instructions.
            let (source, destination) = (o.buffer(0), o.buffer(1))
            let rows = load(source, stream: stream, pc: pc), free = buffers[source].freeElements
            var out: [Double] = []
            for partition in 0..<buffers[source].partitions {
                let row = rows[(partition * free)..<((partition + 1) * free)].map { Float($0) }
                out += (op == .dveBnStats ? BatchNormStats.stats(row) : BatchNormStats.aggregate(row)).map(Double.init)
            }
            store(destination, out, stream: stream, pc: pc)
        case .dveFreeBroadcast:
            let (source, destination) = (o.buffer(0), o.buffer(1))
            let values = load(source, stream: stream, pc: pc)
            let from = [buffers[source].partitions] + buffers[source].freeDims
            let into = [buffers[destination].partitions] + buffers[destination].freeDims
            let count = into.reduce(1, *)
            store(destination, (0..<count).map { values[Self.broadcastIndex($0, of: into, from: from)] }, stream: stream, pc: pc)
        case .poolIota:
            let (base, partitionStep, freeStep, destination) = (evaluate(o.affine(0), stream), o.integer(1), o.integer(2), o.buffer(3))
            let (p, f) = (buffers[destination].partitions, buffers[destination].freeElements)
            let out = (0..<(p * f)).map { Double(base) + Double($0 / f) * Double(partitionStep) + Double($0 % f) * Double(freeStep) }
            store(destination, out, stream: stream, pc: pc)
        case .poolAffineSelect:
            let (source, destination) = (o.buffer(0), o.buffer(1))
            let (base, partitionStep, freeStep, fill) = (evaluate(o.affine(2), stream), o.integer(3), o.integer(4), o.float(5))
            let values = load(source, stream: stream, pc: pc)
            let f = buffers[destination].freeElements
            store(destination, values.indices.map {
                base + ($0 / max(1, f)) * partitionStep + ($0 % max(1, f)) * freeStep >= 0 ? values[$0] : fill
            }, stream: stream, pc: pc)
        case .poolSelect:
            let (condition, a, b, destination) = (o.buffer(0), o.buffer(1), o.buffer(2), o.buffer(3))
            let (c, left, right) = (load(condition, stream: stream, pc: pc), load(a, stream: stream, pc: pc),
                                    load(b, stream: stream, pc: pc))
            store(destination, c.indices.map { c[$0] != 0 ? left[$0] : right[$0] }, stream: stream, pc: pc)
        }
    }

    /// The linear index in a tile of shape `into` of the element at linear index `index` of a tile of shape
    /// `from` placed at its leading corner (every dim of `from` no larger than that of `into`).
    static func cornerIndex(_ index: Int, of from: [Int], in into: [Int]) -> Int {
        var (rest, result, scale) = (index, 0, 1)
        for dim in from.indices.reversed() {
            result += (rest % max(1, from[dim])) * scale
            rest /= max(1, from[dim])
            scale *= into[dim]
        }
        return result
    }

    /// The source element that element `index` of a tile shaped `into` reads in a broadcast from `from` (same rank,
    /// each dim 1 or `into`'s): a dim of size 1 stays at index 0.
    static func broadcastIndex(_ index: Int, of into: [Int], from: [Int]) -> Int {
        var (rest, result, scale) = (index, 0, 1)
        for dim in into.indices.reversed() {
            let position = rest % max(1, into[dim])
            rest /= max(1, into[dim])
            if from[dim] != 1 { result += position * scale }
            scale *= max(1, from[dim])
        }
        return result
    }

    /// Reduces consecutive groups of `groupSize` values in fp32 (Docs/numerics.md, "Reduction order"): a sum starts
    /// at `initial(group)` (+0 when not given) and adds the values in order; max and min start at the group's first
    /// value and take the others in order (NaN wins).
    static func reduce(_ values: [Double], groupSize: Int, _ op: EngineReduceOp,
                       initial: ((Int) -> Double)? = nil) -> [Double] {
        let size = max(1, groupSize)
        let groups = (values.count + size - 1) / size
        return [Double](unsafeUninitializedCapacity: groups) { out, count in
            values.withUnsafeBufferPointer { source in
                for group in 0..<groups {
                    let (start, end) = (group * size, min(source.count, group * size + size))
                    var accumulator = op == .add ? Float(initial?(group) ?? 0) + Float(source[start]) : Float(source[start])
                    switch op {
                    case .add:
                        for index in (start + 1)..<end { accumulator += Float(source[index]) }
                    case .max:
                        for index in (start + 1)..<end {
                            let value = Float(source[index])
                            accumulator = value > accumulator || value.isNaN ? value : accumulator
                        }
                    case .min:
                        for index in (start + 1)..<end {
                            let value = Float(source[index])
                            accumulator = value < accumulator || value.isNaN ? value : accumulator
                        }
                    }
                    out[group] = Double(accumulator)
                }
            }
            count = groups
        }
    }

    /// `values.indices.map { transform(values[$0], perPartition[$0 / free]) }` as a loop over partition rows,
    /// the per-partition operand read once per row.
    static func perPartitionMap(_ values: [Double], free: Int, _ perPartition: [Double],
                                _ transform: (Double, Double) -> Double) -> [Double] {
        guard free > 0 else { return [] }
        return [Double](unsafeUninitializedCapacity: values.count) { out, count in
            values.withUnsafeBufferPointer { source in
                var index = 0
                while index < source.count {
                    let operand = perPartition[index / free]
                    for element in index..<min(source.count, index + free) { out[element] = transform(source[element], operand) }
                    index += free
                }
            }
            count = values.count
        }
    }

    func holds(_ condition: FlagCondition, _ stream: Int) -> Bool {
        switch condition {
        case .never: false
        case .always: true
        case .when(let slot, let value): streams[stream].loopValues[slot] == value
        }
    }

    /// A per-partition operand: the constant for every partition, or the [P | 1] buffer's values.
    mutating func perPartition(_ source: ScalarSource, partitions: Int, stream: Int, pc: Int) -> [Double] {
        switch source {
        case .constant(let value): Array(repeating: value, count: partitions)
        case .buffer(let index): load(index, stream: stream, pc: pc)
        }
    }
}
