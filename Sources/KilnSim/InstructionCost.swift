// InstructionCost.swift: how long each instruction keeps its engine busy, from the op table's declared costs.

import KilnBytecode
import KilnISA
import KilnMachine

/// Static costs: an instruction's shapes never depend on loop variables, so each is computed once, by the
/// op's declared cost (`OpDeclaration.cost`: a `KilnMachine` formula in engine cycles over the engine's clock,
/// or a DMA transfer's fixed cost plus bytes over its bandwidth; the simulator also shares the core's
/// bandwidth between queues).
enum InstructionCost {
    struct Cost {
        var nanoseconds: Double
        var dma: DMATransferTiming?
    }

    static func duration(of step: Step, program: BytecodeProgram, target: MachineTarget, unit: StreamUnit) -> Cost {
        guard case .engine(let op, let operands) = step else { return Cost(nanoseconds: 0, dma: nil) }
        let declaration = op.declaration
        let facts = operands.facts(program)
        switch declaration.cost {
        case .cycles(let formula):
            return Cost(nanoseconds: target.nanoseconds(cycles: formula(facts, target), on: unit.engine), dma: nil)
        case .dmaTransfer(let tile, let hbm, let transposeFlag):
            let transpose = transposeFlag.map(operands.flag) ?? false
            let runBytes = declaration.dmaRunBytes(facts, tile: tile, hbm: hbm, transpose: transpose)
            return dma(program.buffers[operands.buffer(tile)], runBytes: runBytes, transpose: transpose, target: target)
        }
    }

    /// `MachineTarget.dmaTransfer`: the fixed part, and the rates the simulator needs to share the channel.
    private static func dma(_ tile: BufferEntry, runBytes: Int?, transpose: Bool, target: MachineTarget) -> Cost {
        let timing = target.dmaTransfer(partitions: tile.partitions, bytesPerPartition: tile.bytesPerPartition,
                                        runBytes: runBytes, transpose: transpose)
        return Cost(nanoseconds: timing.nanoseconds, dma: timing)
    }

    /// FLOPs the tensor engine performs, as the op declares them (`OpDeclaration.flops`).
    static func flops(of step: Step, program: BytecodeProgram) -> (hardware: Double, model: Double) {
        guard case .engine(let op, let operands) = step, let flops = op.declaration.flops else { return (0, 0) }
        return flops(operands.facts(program))
    }
}
