// Execute.swift: what each instruction computes, with the hardware's numerics (fp32 math, RNE storage).

import Foundation
import KilnBytecode
import KilnMachine
import KilnNumerics

/// Numerics. Engines compute in fp32 and convert on input and output: a buffer's values are decoded from its
/// storage type, the instruction computes (in f64, rounded to f32 where the hardware keeps an fp32
/// intermediate), and `OnChipStore.write` stores each result rounded to f32 and then to the destination type
/// (round to nearest, ties to even; `ElementType.storeComputed`). Matmul multiplies and accumulates in fp32
/// (`Float`), into PSUM that `start` overwrites and later matmuls of the group accumulate into.
extension SimulationRun {
    mutating func perform(_ step: Step, stream: Int, pc: Int) {
        switch step {
        case .dmaLoad(let tensor, let offsets, let buffer, let transpose, let broadcast):
            guard let indices = slice(tensor, offsets, buffer, transpose: transpose, broadcast: broadcast, write: false,
                                      stream: stream, pc: pc), memory != nil else { return }
            let values = readHBM(tensor, indices, stream: stream, pc: pc)
            store(buffer, values, stream: stream, pc: pc)
        case .dmaStore(let buffer, let tensor, let offsets):
            guard let indices = slice(tensor, offsets, buffer, transpose: false, broadcast: false, write: true,
                                      stream: stream, pc: pc), memory != nil else { return }
            let values = load(buffer, stream: stream, pc: pc)
            writeHBM(tensor, indices, values)
        default:
            guard memory != nil else { return }
            compute(step, stream: stream, pc: pc)
        }
    }

    private mutating func compute(_ step: Step, stream: Int, pc: Int) {
        let buffers = prepared.program.buffers
        switch step {
        case .matmul(let s, let m, let acc, let start, let stop):
            _ = stop  // the group's end has no numeric effect; the next `start` overwrites
            let (k, mCount, nCount) = (buffers[s].partitions, buffers[s].freeElements, buffers[m].freeElements)
            let stationary = load(s, stream: stream, pc: pc).map(Float.init)
            let moving = load(m, stream: stream, pc: pc).map(Float.init)
            var result = holds(start, stream) ? [Float](repeating: 0, count: mCount * nCount)
                : load(acc, stream: stream, pc: pc).map(Float.init)
            stationary.withUnsafeBufferPointer { s in
                moving.withUnsafeBufferPointer { v in
                    result.withUnsafeMutableBufferPointer { out in
                        MatmulKernel.accumulate(stationary: s, moving: v, k: k, m: mCount, n: nCount, into: out)
                    }
                }
            }
            store(acc, result.map(Double.init), stream: stream, pc: pc)
        case .transpose(let source, let destination):
            let (p, f) = (buffers[source].partitions, buffers[source].freeElements)
            let values = load(source, stream: stream, pc: pc)
            var out = [Double](repeating: 0, count: p * f)
            for row in 0..<p { for column in 0..<f { out[column * p + row] = values[row * f + column] } }
            store(destination, out, stream: stream, pc: pc)
        case .activate(let function, let source, let destination, let scale, let bias, let reduce):
            let f = buffers[source].freeElements
            let biases = perPartition(bias, partitions: buffers[source].partitions, stream: stream, pc: pc)
            let values = load(source, stream: stream, pc: pc)
            let out = values.indices.map { index in
                ActivationMath.apply(function, Double(Float(values[index] * scale + biases[index / f])))
            }
            store(destination, out, stream: stream, pc: pc)
            if let reduce { store(reduce.into, Self.reduce(out, groupSize: f, reduce.op), stream: stream, pc: pc) }
        case .tensorTensor(let op, let a, let b, let destination):
            let (left, right) = (load(a, stream: stream, pc: pc), load(b, stream: stream, pc: pc))
            store(destination, zip(left, right).map { ActivationMath.apply(op, $0, $1) }, stream: stream, pc: pc)
        case .tensorScalar(let op, let a, let scalar, let destination):
            let f = buffers[a].freeElements
            let scalars = perPartition(scalar, partitions: buffers[a].partitions, stream: stream, pc: pc)
            let values = load(a, stream: stream, pc: pc)
            store(destination, values.indices.map { ActivationMath.apply(op, values[$0], scalars[$0 / f]) },
                  stream: stream, pc: pc)
        case .reduce(let op, let source, let destination):
            let group = buffers[source].freeDims.last ?? 1
            store(destination, Self.reduce(load(source, stream: stream, pc: pc), groupSize: group, op), stream: stream, pc: pc)
        case .copy(let source, let destination):
            store(destination, load(source, stream: stream, pc: pc), stream: stream, pc: pc)
        case .reciprocal(let source, let destination):
            store(destination, load(source, stream: stream, pc: pc).map { 1 / $0 }, stream: stream, pc: pc)
        case .iota(let base, let partitionStep, let freeStep, let destination):
            let (p, f) = (buffers[destination].partitions, buffers[destination].freeElements)
            let out = (0..<(p * f)).map { Double(base) + Double($0 / f) * Double(partitionStep) + Double($0 % f) * Double(freeStep) }
            store(destination, out, stream: stream, pc: pc)
        case .select(let condition, let a, let b, let destination):
            let (c, left, right) = (load(condition, stream: stream, pc: pc), load(a, stream: stream, pc: pc),
                                    load(b, stream: stream, pc: pc))
            store(destination, c.indices.map { c[$0] != 0 ? left[$0] : right[$0] }, stream: stream, pc: pc)
        case .loopBegin, .loopEnd, .signal, .wait, .dmaLoad, .dmaStore:
            return
        }
    }

    /// Reduces consecutive groups of `groupSize` values in fp32.
    static func reduce(_ values: [Double], groupSize: Int, _ op: ReduceOperator) -> [Double] {
        stride(from: 0, to: values.count, by: max(1, groupSize)).map { start in
            var accumulator = Float(values[start])
            for index in (start + 1)..<min(values.count, start + groupSize) {
                let value = Float(values[index])
                switch op {
                case .add: accumulator += value
                case .max: accumulator = value > accumulator || value.isNaN ? value : accumulator
                case .min: accumulator = value < accumulator || value.isNaN ? value : accumulator
                }
            }
            return Double(accumulator)
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
    private mutating func perPartition(_ source: ScalarSource, partitions: Int, stream: Int, pc: Int) -> [Double] {
        switch source {
        case .constant(let value): Array(repeating: value, count: partitions)
        case .buffer(let index): load(index, stream: stream, pc: pc)
        }
    }
}
