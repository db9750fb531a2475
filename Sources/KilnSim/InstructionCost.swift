// InstructionCost.swift: how long each instruction keeps its engine busy, from KilnMachine's cost formulas.

import KilnBytecode
import KilnMachine

/// Static costs: an instruction's shapes never depend on loop variables, so each is computed once.
/// Engine instructions: the `KilnMachine` formula in engine cycles, over the engine's clock (N = elements per
/// partition). DMA: the fixed cost plus bytes over the transfer's bandwidth (one DMA engine per 8 partitions,
/// capped by the core's HBM share); the simulator also shares the core's bandwidth between queues.
enum InstructionCost {
    struct Cost {
        var nanoseconds: Double
        var dma: DMACost?
    }

    static func duration(of step: Step, program: BytecodeProgram, target: MachineTarget, unit: StreamUnit) -> Cost {
        let buffers = program.buffers
        func n(_ index: Int) -> Int { buffers[index].freeElements }
        func engineTime(_ cycles: Int) -> Cost {
            Cost(nanoseconds: target.nanoseconds(cycles: cycles, on: unit.engine), dma: nil)
        }
        switch step {
        case .loopBegin, .loopEnd, .signal, .wait:
            return Cost(nanoseconds: 0, dma: nil)
        case .dmaLoad(_, _, let buffer, let transpose, _):
            return dma(buffers[buffer], transpose: transpose, target: target)
        case .dmaStore(let buffer, _, _):
            return dma(buffers[buffer], transpose: false, target: target)
        case .matmul(let stationary, let moving, _, _, _):
            return engineTime(target.matmulCycles(m: n(stationary), n: n(moving), input: buffers[stationary].dtype))
        case .transpose(let source, _):
            return engineTime(target.peTransposeCycles(partitions: buffers[source].partitions, free: n(source)))
        case .activate(_, let source, _, _, _, let reduce):
            return engineTime(target.activationCycles(elementsPerPartition: n(source), withReduce: reduce != nil))
        case .tensorTensor(_, let a, let b, _):
            let inPSUM = buffers[a].space == .psum || buffers[b].space == .psum
            return engineTime(target.tensorTensorCycles(elementsPerPartition: n(a), oneInputInPSUM: inPSUM))
        case .tensorScalar(_, let a, _, _):
            return engineTime(target.tensorScalarCycles(elementsPerPartition: n(a)))
        case .copy(let source, _):
            return engineTime(target.tensorScalarCycles(elementsPerPartition: n(source)))
        case .reduce(let op, let source, _):
            return engineTime(target.tensorReduceCycles(elementsPerPartition: n(source), input: buffers[source].dtype,
                                                        isAddOrMax: op != .min))
        case .reciprocal(let source, _):
            return engineTime(target.reciprocalCycles(elementsPerPartition: n(source)))
        case .iota(_, _, _, let destination):
            return engineTime(target.gpsimdCycles(elementsPerPartition: n(destination)))
        case .select(_, _, _, let destination):
            return engineTime(target.gpsimdCycles(elementsPerPartition: n(destination)))
        }
    }

    /// `MachineTarget.dmaNanoseconds`, split into its fixed part and the transfer's data rate.
    private static func dma(_ tile: BufferEntry, transpose: Bool, target: MachineTarget) -> Cost {
        let total = target.dmaNanoseconds(partitions: tile.partitions, bytesPerPartition: tile.bytesPerPartition,
                                          transpose: transpose)
        let bytes = tile.partitions * tile.bytesPerPartition
        let dataTime = total - target.dma.fixedCostNanoseconds
        return Cost(nanoseconds: total,
                    dma: DMACost(bytes: bytes, bytesPerNanosecond: dataTime > 0 ? Double(bytes) / dataTime : .infinity))
    }

    /// FLOPs the tensor engine performs: 2*K*M*N for a matmul; a transpose is a matmul against the identity
    /// (2*P*P*F). `model` counts only matmuls (what the kernel asked for), for MFU.
    static func flops(of step: Step, buffers: [BufferEntry]) -> (hardware: Double, model: Double) {
        switch step {
        case .matmul(let s, let m, _, _, _):
            let value = 2.0 * Double(buffers[s].partitions) * Double(buffers[s].freeElements) * Double(buffers[m].freeElements)
            return (value, value)
        case .transpose(let source, _):
            let p = Double(buffers[source].partitions)
            return (2.0 * p * p * Double(buffers[source].freeElements), 0)
        default:
            return (0, 0)
        }
    }
}
