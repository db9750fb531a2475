// Execute+MX.swift: the MX ops in the simulator: dve.quantize_mx / dve.scale_mx and pe.matmul_mx (MXQuantization).

import KilnBytecode
import KilnISA
import KilnMachine
import KilnNumerics

extension SimulationRun {
    /// `dve.quantize_mx` / `dve.scale_mx`: each partition's elements in blocks of 32 through MXQuantization; the
    /// elements (of dst's MX element type) or the f32 block scales.
    mutating func quantizeMX(_ op: EngineOp, _ o: EngineOperands, stream: Int, pc: Int) {
        let buffers = prepared.program.buffers
        let (source, destination) = (o.buffer(0), o.buffer(1))
        let (p, f) = (buffers[source].partitions, buffers[source].freeElements)
        let values = load(source, stream: stream, pc: pc)
        if op == .dveQuantizeMX {
            let quantized = MXQuantization.quantizeRows(values, partitions: p, free: f, element: buffers[destination].dtype)
            store(destination, quantized.elements, stream: stream, pc: pc)
        } else {
            store(destination, MXQuantization.scaleRows(values, partitions: p, free: f, emax: o.integer(2)), stream: stream, pc: pc)
        }
    }

    /// `pe.matmul_mx`: the stationary and moving tiles dequantized (MXQuantization.dequantize: each element times its
    /// block's scale, rounded to E8M0, the product to f32), then the f32 matmul `pe.matmul` does, into the accumulator.
    mutating func matmulMX(_ o: EngineOperands, stream: Int, pc: Int) {
        let buffers = prepared.program.buffers
        let (s, m, ss, ms, acc) = (o.buffer(0), o.buffer(1), o.buffer(2), o.buffer(3), o.buffer(4))
        let (k, mCount, nCount) = (buffers[s].partitions, buffers[s].freeElements, buffers[m].freeElements)
        func dequantized(_ data: [Double], _ scales: [Double], columns: Int) -> [Float] {
            data.indices.map { index in
                let (row, column) = (index / max(1, columns), index % max(1, columns))
                let scaleIndex = (row / MXQuantization.blockSize) * columns + column
                let scale = scaleIndex < scales.count ? scales[scaleIndex] : .nan
                return Float(MXQuantization.dequantize(data[index], scale: scale))
            }
        }
        let stationary = dequantized(load(s, stream: stream, pc: pc), load(ss, stream: stream, pc: pc), columns: mCount)
        let moving = dequantized(load(m, stream: stream, pc: pc), load(ms, stream: stream, pc: pc), columns: nCount)
        var result = holds(o.condition(5), stream) ? [Float](repeating: 0, count: mCount * nCount)
            : loadFloats(acc, stream: stream, pc: pc)
        stationary.withUnsafeBufferPointer { sp in
            moving.withUnsafeBufferPointer { vp in
                result.withUnsafeMutableBufferPointer { out in
                    MatmulKernel.accumulate(stationary: sp, moving: vp, k: k, m: mCount, n: nCount, into: out)
                }
            }
        }
        storeFloats(acc, result, stream: stream, pc: pc)
    }
}
