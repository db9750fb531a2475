// Verifier+TileOps.swift: type rules of the tile-level ops: tile operands, shapes, DMA slices, loop variables.

import KilnMachine
import KilnSource

extension FunctionVerifier {
    /// Tile-level ops: operand kinds and shapes, then the machine rules for the op's engine.
    func checkTileOp(_ op: Operation) {
        switch op.kind {
        case .alloc(let tile, _):
            if op.result?.type != .tile(tile) {
                resultMismatch(op, expected: .tile(tile), found: op.result?.type ?? .index)
            }
        case .hbmAlloc(let tensor):
            if op.result?.type != .hbm(tensor) {
                resultMismatch(op, expected: .hbm(tensor), found: op.result?.type ?? .index)
            }
        case .dmaLoad(let transfer), .dmaStore(let transfer):
            checkTransfer(op, transfer)
        case .peMatmul(let matmul):
            guard let stationary = tile(op, matmul.stationary, "stationary operand"),
                  let moving = tile(op, matmul.moving, "moving operand"),
                  let accumulator = tile(op, matmul.accumulator, "accumulator") else { break }
            checkCondition(op, matmul.start)
            checkCondition(op, matmul.stop)
            let single = [stationary, moving, accumulator].allSatisfy { $0.freeDims.count == 1 }
            guard single, stationary.partitions == moving.partitions,
                  accumulator.partitions == stationary.freeElements, accumulator.freeDims == moving.freeDims else {
                shapeMismatch(op, "stationary \(IRType.tile(stationary)), moving \(IRType.tile(moving)), accumulator "
                    + "\(IRType.tile(accumulator)): needs [K | M], [K | N] and [M | N]")
                break
            }
            if stationary.element != moving.element {
                mismatch(op, "moving operand", expected: "\(stationary.element) like the stationary one", found: .tile(moving))
            }
            if accumulator.element != .f32 || accumulator.space != .psum {
                mismatch(op, "accumulator", expected: "an f32 psum tile", found: .tile(accumulator))
            }
            checkMatmulLimits(op, k: stationary.partitions, m: stationary.freeElements, n: moving.freeElements)
        case .peTranspose(let source, let destination):
            guard let input = tile(op, source, "source"), let output = tile(op, destination, "destination") else { break }
            guard input.freeDims.count == 1, output.partitions == input.freeElements, output.freeDims == [input.partitions] else {
                shapeMismatch(op, "\(IRType.tile(input)) cannot transpose into \(IRType.tile(output))")
                break
            }
            checkTransposeLimits(op, partitions: input.partitions, free: input.freeElements)
        case .actActivate(let activation):
            guard let input = tile(op, activation.source, "source"),
                  let output = tile(op, activation.destination, "destination") else { break }
            sameShape(op, input, output)
            if case .value(let bias) = activation.bias { perPartitionScalar(op, bias, "bias", like: input) }
            if let reduce = activation.reduce { perPartitionScalar(op, reduce.destination, "reduce destination", like: input) }
            checkActivationFunction(op, activation.function)
        case .dveTensorTensor(_, _, _, let destination), .poolSelect(_, _, _, let destination):
            guard let output = tile(op, destination, "destination") else { break }
            for source in op.kind.reads {
                if let input = tile(op, source, "operand \(name(source))") { sameShape(op, input, output) }
            }
        case .dveTensorScalar(_, let a, let scalar, let destination):
            guard let input = tile(op, a, "operand"), let output = tile(op, destination, "destination") else { break }
            sameShape(op, input, output)
            if case .value(let value) = scalar { perPartitionScalar(op, value, "scalar operand", like: input) }
        case .dveReduce(_, let source, let destination):
            guard let input = tile(op, source, "source"), let output = tile(op, destination, "destination") else { break }
            let expectedFree = Array(input.freeDims.dropLast()) + [1]
            if output.partitions != input.partitions || output.freeDims != expectedFree {
                shapeMismatch(op, "reducing \(IRType.tile(input)) gives [\(input.partitions) | "
                    + "\(expectedFree.map(String.init).joined(separator: ", "))], found \(IRType.tile(output))")
            }
        case .dveCopy(let source, let destination), .dveReciprocal(let source, let destination):
            guard let input = tile(op, source, "source"), let output = tile(op, destination, "destination") else { break }
            sameShape(op, input, output)
        case .poolIota(let iota):
            _ = tile(op, iota.destination, "destination")
        case .syncSignal(let semaphore, let engine, let queue), .syncWait(let semaphore, _, let engine, let queue):
            if semaphore < 0 {
                report(at: op) { DiagnosticCatalogue.tileIRInvalidDims("semaphore numbers are non-negative, found \(semaphore)", at: $0) }
            }
            if let queue, engine != .dma || queue < 0 {
                report(at: op) { DiagnosticCatalogue.tileIRInvalidDims(
                    "only dma names a queue, with a non-negative number; found '\(engine) queue \(queue)'", at: $0) }
            }
        default:
            break
        }
        checkEngineAccess(op)
    }

    /// A DMA transfer: an HBM tensor, a tile of matching shape, offsets affine in enclosing loop variables,
    /// a slice inside the tensor for every iteration, and stores only into outputs.
    private func checkTransfer(_ op: Operation, _ transfer: DMATransfer) {
        guard let hbmDef = types[transfer.hbm], case .hbm(let tensor) = hbmDef.type else {
            return mismatch(op, "HBM operand", expected: "an hbm tensor", found: types[transfer.hbm]?.type)
        }
        guard let tile = tile(op, transfer.tile, "tile") else { return }
        if case .dmaStore = op.kind, !function.outputs.contains(where: { $0.id == transfer.hbm }),
           !scratchTensors.contains(transfer.hbm) {
            report(at: op) { DiagnosticCatalogue.tileIRStoreToInput(name(transfer.hbm), at: $0) }
        }
        if tile.element != tensor.element {
            mismatch(op, "tile", expected: "a \(tensor.element) tile like the HBM tensor", found: .tile(tile))
        }
        let sliceShape: [Int]
        if transfer.broadcast {
            guard case .dmaLoad = op.kind, !transfer.transpose, tensor.rank >= tile.freeDims.count else {
                return shapeMismatch(op, "a broadcasting load reads an HBM slice shaped like the tile's free dims "
                    + "(\(tile.freeDims.count) dims) into every partition, and does not transpose")
            }
            sliceShape = Array(repeating: 1, count: tensor.rank - tile.freeDims.count) + tile.freeDims
        } else if transfer.transpose {
            guard case .dmaLoad = op.kind, tensor.rank == 2, tile.freeDims.count == 1 else {
                return shapeMismatch(op, "a transposing load moves a 2-D HBM slice into a [P | F] tile")
            }
            sliceShape = [tile.freeElements, tile.partitions]
        } else if tensor.rank == 1, tile.freeDims.count == 1, transfer.offsets.count == 1 {
            // A flat transfer: a rank-1 tensor's P * F elements from the offset, partition-major.
            sliceShape = [tile.partitions * tile.freeElements]
        } else {
            sliceShape = tile.shape
        }
        guard sliceShape.count == tensor.rank, transfer.offsets.count == tensor.rank else {
            return shapeMismatch(op, "\(hbmDef.type) needs \(tensor.rank) offsets and a tile of rank \(tensor.rank), "
                + "found \(transfer.offsets.count) offsets and \(IRType.tile(tile))")
        }
        for (dim, offset) in transfer.offsets.enumerated() {
            guard let range = range(of: offset, op) else { continue }
            let last = range.upperBound + sliceShape[dim] - 1
            if range.lowerBound < 0 || last >= tensor.shape[dim] {
                report(at: op) { DiagnosticCatalogue.tileIRSliceOutOfBounds(
                    dim: dim, first: range.lowerBound, last: last, size: tensor.shape[dim], at: $0) }
            }
        }
        if transfer.transpose { checkDMATranspose(op) }
    }

    /// The smallest and largest value an affine offset takes over the enclosing loops; nil if a variable
    /// is not a loop variable (reported) or a loop never runs.
    private func range(of expr: AffineExpr, _ op: Operation) -> ClosedRange<Int>? {
        var low = expr.constant, high = expr.constant
        for term in expr.terms {
            guard types[term.variable]?.type == .index else {
                report(at: op) { DiagnosticCatalogue.tileIRNotLoopVariable(name(term.variable), at: $0) }
                return nil
            }
            guard let range = loopRanges[term.variable] else { return nil }
            let (a, b) = (term.coefficient * range.lowerBound, term.coefficient * range.upperBound)
            low += min(a, b)
            high += max(a, b)
        }
        return low...high
    }

    private func checkCondition(_ op: Operation, _ condition: IterationCondition) {
        if case .when(let variable, _) = condition, types[variable]?.type != .index {
            report(at: op) { DiagnosticCatalogue.tileIRNotLoopVariable(name(variable), at: $0) }
        }
    }

    /// The tile type of an operand, or a report that it is not a tile.
    func tile(_ op: Operation, _ id: ValueID, _ role: String) -> TileType? {
        guard let tile = types[id]?.type.tileType else {
            mismatch(op, role, expected: "an sbuf or psum tile", found: types[id]?.type)
            return nil
        }
        return tile
    }

    private func sameShape(_ op: Operation, _ input: TileType, _ output: TileType) {
        if !input.hasSameShape(as: output) {
            shapeMismatch(op, "\(IRType.tile(input)) and \(IRType.tile(output))")
        }
    }

    /// A per-partition scalar operand: a [P | 1] tile with the partitions of `like`, or a scalar kernel
    /// parameter (the same value in every partition).
    private func perPartitionScalar(_ op: Operation, _ id: ValueID, _ role: String, like input: TileType) {
        if case .scalar = types[id]?.type { return }
        guard let scalar = tile(op, id, role) else { return }
        if scalar.partitions != input.partitions || scalar.freeElements != 1 {
            mismatch(op, role, expected: "a [\(input.partitions) | 1] tile", found: .tile(scalar))
        }
    }

    private func shapeMismatch(_ op: Operation, _ detail: String) {
        report(at: op) { DiagnosticCatalogue.tileIRShapeMismatch(op.opcode, detail, at: $0) }
    }
}
