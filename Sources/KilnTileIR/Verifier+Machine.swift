// Verifier+Machine.swift: machine rules from the target model: matmul limits, memories, placement, engine access.

import KilnMachine
import KilnSource

extension FunctionVerifier {
    /// A placed accumulator stays within one PSUM bank (the group's size limit is the op's declared rule).
    func checkAccumulatorBank(_ op: Operation, _ accumulator: ValueID, bytes: Int) {
        guard let placed = placements[accumulator] else { return }
        let firstBank = placed.offset / target.psumBankBytes
        let lastBank = (placed.offset + bytes - 1) / target.psumBankBytes
        if firstBank != lastBank {
            report(at: op) { DiagnosticCatalogue.psumBankOverflow(
                "the accumulator spans bytes \(placed.offset)..<\(placed.offset + bytes), crossing PSUM banks "
                    + "\(firstBank) and \(lastBank) (a bank has \(target.psumBankBytes) bytes)", at: $0) }
        }
    }

    func checkDMATranspose(_ op: Operation) {
        if !target.dma.canTransposeInFlight {
            report(at: op) { DiagnosticCatalogue.unsupportedOnTarget(
                "a transposing DMA (use pe.transpose)", target: "\(target.name) (\(target.hardware))", at: $0) }
        }
    }

    /// Each engine op may read and write only the memories its engine reaches.
    func checkEngineAccess(_ op: Operation) {
        guard let engine = op.kind.engine else { return }
        let writes = op.kind.writes
        for value in op.kind.reads where !writes.contains(value) { checkAccess(op, engine, .read, value) }
        for value in writes { checkAccess(op, engine, .write, value) }
    }

    private func checkAccess(_ op: Operation, _ engine: Engine, _ access: MemoryAccess, _ value: ValueID) {
        if let space = memory(of: value), !target.allows(engine, access, space) {
            let allowed = target.memories(engine, access).map(\.rawValue).joined(separator: ", ")
            report(at: op) { DiagnosticCatalogue.engineMemoryAccess(
                op.opcode, engine: engine.rawValue, access: access.rawValue, memory: space.rawValue,
                allowed: allowed.isEmpty ? "nothing" : allowed, at: $0) }
        }
    }

    /// Partition count and size against the memory; once placed: alignment, range, and overlap with live tiles,
    /// after which the placed tile is recorded as live in the current block.
    func checkAllocation(_ op: Operation) {
        guard case .alloc(let tile, let placement) = op.kind, let memory = target.onChipMemory(tile.space) else { return }
        if tile.partitions > memory.partitions {
            report(at: op) { DiagnosticCatalogue.partitionDimTooLarge(tile.partitions, limit: memory.partitions,
                                                                      target: target.name, at: $0) }
        }
        if tile.bytesPerPartition > memory.bytesPerPartition {
            report(at: op) { DiagnosticCatalogue.tileExceedsMemory(tile.space.rawValue, bytes: tile.bytesPerPartition,
                                                                   capacity: memory.bytesPerPartition, target: target.name, at: $0) }
        }
        guard let placement else { return }
        let allowed = target.allowedPartitionStarts(forPartitions: tile.partitions)
        if !allowed.contains(placement.partition) {
            report(at: op) { DiagnosticCatalogue.partitionStartMisaligned(
                start: placement.partition, partitions: tile.partitions, allowed: allowed, at: $0) }
        }
        if placement.partition < 0 || placement.partition + tile.partitions > memory.partitions {
            report(at: op) { DiagnosticCatalogue.partitionRangeOutOfBounds(
                start: placement.partition, partitions: tile.partitions, limit: memory.partitions, at: $0) }
        }
        let end = placement.offset + tile.bytesPerPartition
        if placement.offset < 0 || end > memory.bytesPerPartition {
            report(at: op) { DiagnosticCatalogue.allocationOutOfRange(
                tile.space.rawValue, end: end, capacity: memory.bytesPerPartition, target: target.name, at: $0) }
        }
        guard let id = op.result?.id else { return }
        let placed = PlacedTile(id: id, tile: tile, placement: placement, span: op.span)
        for other in liveAllocations.joined() where overlaps(placed, other) && liveness.interfere(id, other.id) {
            let otherSpan = other.span.isKnown ? other.span : nil
            report(at: op) { DiagnosticCatalogue.allocationOverlap(tile.space.rawValue, at: $0, other: otherSpan) }
        }
        liveAllocations[liveAllocations.count - 1].append(placed)
        placements[id] = placement
    }

    /// True if two placed tiles of the same memory share a partition and a byte.
    private func overlaps(_ a: PlacedTile, _ b: PlacedTile) -> Bool {
        let (first, p, second, q) = (a.tile, a.placement, b.tile, b.placement)
        guard first.space == second.space else { return false }
        let partitions = p.partition < q.partition + second.partitions && q.partition < p.partition + first.partitions
        let bytes = p.offset < q.offset + second.bytesPerPartition && q.offset < p.offset + first.bytesPerPartition
        return partitions && bytes
    }

    /// The memory a value lives in; nil for scalars and indices.
    private func memory(of value: ValueID) -> MemorySpace? {
        switch types[value]?.type {
        case .hbm: .hbm
        case .tile(let tile): tile.space
        default: nil
        }
    }
}
