// FunctionLowering+TileOps.swift: engine ops (dma, pe, act, dve, pool) as loop nests over partitions x free elements.

internal import CLLVM
import KilnMachine
import KilnSource
import KilnTileIR

extension FunctionLowering {
    /// Lowers an engine op. Every op reads its source tiles converted to compute values (fp32 math, f64 for
    /// i32 data), computes, and stores into its destination tile converted to that tile's element type.
    /// What each op computes: the op's one implementation in the llvm backend, fields by declaration index.
    func lowerTileOp(_ op: Operation, _ instruction: EngineInstruction) {
        let kind = op.kind
        switch instruction.op {
        case .dmaLoad:
            guard let transfer = kind.asTransfer else { return unsupported("a malformed 'dma.load'", op.span) }
            emitDMA(transfer, load: true, op.span)
        case .dmaStore:
            guard let transfer = kind.asTransfer else { return unsupported("a malformed 'dma.store'", op.span) }
            emitDMA(transfer, load: false, op.span)
        case .dmaGather, .dmaScatterAdd:
            // Row p of the tile and the table row the index run's element p names: copied (gather) or added in f32
            // (scatter_add, in partition order); an index outside the table stops the kernel.
            let scatter = instruction.op == .dmaScatterAdd
            let (tableField, indexField, tileField) = scatter ? (1, 2, 0) : (0, 1, 2)
            guard case .slice(let table, let tableOffsets) = instruction.operands[tableField],
                  case .slice(let indices, let indexOffsets) = instruction.operands[indexField],
                  let t = tile(instruction.tile(tileField), op.span),
                  case .buffer(let rows)? = values[table], case .buffer(let positions)? = values[indices], rows.shape.count == 2
            else { return unsupported("a malformed '\(instruction.op.mnemonic)'", op.span) }
            var base = lowering.int64(0)
            var stride = 1
            for (dim, offset) in indexOffsets.enumerated().reversed() where dim < positions.shape.count {
                base = LLVMBuildNSWAdd(b, base, LLVMBuildNSWMul(b, affine(offset), lowering.int64(stride), ""), "")
                stride *= positions.shape[dim]
            }
            let column = tableOffsets.count == 2 ? affine(tableOffsets[1]) : lowering.int64(0)
            let free = t.count / max(1, t.shape[0])
            lowering.emitLoop(from: 0, to: t.shape[0], name: "p") { partition in
                let row = gatherRow(positions, at: LLVMBuildNSWAdd(b, base, partition, "")!, rows: rows.shape[0], op.span,
                                    scatter: scatter)
                let start = LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, row, lowering.int64(rows.shape[1]), ""), column, "")!
                let tileStart = LLVMBuildNSWMul(b, partition, lowering.int64(free), "")!
                lowering.emitLoop(from: 0, to: free, name: "f") { f in
                    let (at, tileAt) = (LLVMBuildNSWAdd(b, start, f, "")!, LLVMBuildNSWAdd(b, tileStart, f, "")!)
                    let value = lowering.loadElement(rows.pointer, rows.element, index: at)
                    if scatter {
                        let added = lowering.convert(lowering.loadElement(t.pointer, t.element, index: tileAt), to: .f32)
                        lowering.storeElement(lowering.binary(.add, lowering.convert(value, to: .f32), added), rows.pointer,
                                              rows.element, index: at)
                    } else {
                        lowering.storeElement(value, t.pointer, t.element, index: tileAt)
                    }
                }
            }
        case .dmaIndirectLoad:
            // Row p of the tile is the table row the index tile's partition p names; an index outside the table
            // stops the kernel, as a gather's does.
            guard case .slice(let table, let tableOffsets) = instruction.operands[0], tableOffsets.count == 2,
                  let positions = tile(instruction.tile(1), op.span), let t = tile(instruction.tile(2), op.span),
                  case .buffer(let rows)? = values[table], rows.shape.count == 2
            else { return unsupported("a malformed 'dma.indirect_load'", op.span) }
            let column = affine(tableOffsets[1])
            let free = t.count / max(1, t.shape[0])
            let indexStride = positions.count / max(1, positions.shape[0])
            lowering.emitLoop(from: 0, to: t.shape[0], name: "p") { partition in
                let position = LLVMBuildNSWMul(b, partition, lowering.int64(indexStride), "")!
                let row = gatherRow(positions, at: position, rows: rows.shape[0], op.span)
                let start = LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, row, lowering.int64(rows.shape[1]), ""), column, "")!
                let tileStart = LLVMBuildNSWMul(b, partition, lowering.int64(free), "")!
                lowering.emitLoop(from: 0, to: free, name: "f") { f in
                    let value = lowering.loadElement(rows.pointer, rows.element, index: LLVMBuildNSWAdd(b, start, f, "")!)
                    lowering.storeElement(value, t.pointer, t.element, index: LLVMBuildNSWAdd(b, tileStart, f, "")!)
                }
            }
        case .peMatmul:
            guard let matmul = kind.asMatmul else { return unsupported("a malformed 'pe.matmul'", op.span) }
            emitPEMatmul(matmul, op.span)
        case .peMatmulMX:
            emitMatmulMX(instruction, op.span)
        case .dveQuantizeMX, .dveScaleMX:
            guard let (src, dst) = tiles(instruction.tile(0), instruction.tile(1), op.span) else { return }
            let emax: Int = if instruction.op == .dveScaleMX, case .integer(let value) = instruction.operands[2] { value } else { 0 }
            emitQuantizeMX(src, into: dst, scales: instruction.op == .dveScaleMX, emax: emax)
        case .peTranspose:
            let (source, destination) = (instruction.tile(0), instruction.tile(1))
            guard let (src, dst) = tiles(source, destination, op.span) else { return }
            let free = src.count / max(1, src.shape[0])
            lowering.emitLoopNest([src.shape[0], free]) { index in
                let value = lowering.loadElement(src.pointer, src.element, index: lowering.linearIndex(index, shape: [src.shape[0], free]))
                let target = lowering.linearIndex([index[1], index[0]], shape: [free, src.shape[0]])
                lowering.storeElement(value, dst.pointer, dst.element, index: target)
            }
        case .actActivate:
            guard let activation = kind.asActivation else { return unsupported("a malformed 'act.activate'", op.span) }
            emitActivation(activation, op.span)
        case .dveTensorTensor:
            let (binaryOp, lhs, rhs, destination) = (instruction.binary(0), instruction.tile(1), instruction.tile(2), instruction.tile(3))
            guard let (a, c) = tiles(lhs, destination, op.span), let bTile = tile(rhs, op.span) else { return }
            let kind = computeKind(binaryOp, [a, bTile, c])
            lowering.emitLoop(from: 0, to: c.count, name: "e") { i in
                let l = lowering.convert(lowering.loadElement(a.pointer, a.element, index: i), to: kind)
                let r = lowering.convert(lowering.loadElement(bTile.pointer, bTile.element, index: i), to: kind)
                lowering.storeElement(lowering.binary(binaryOp, l, r), c.pointer, c.element, index: i)
            }
        case .dveTensorScalar:
            let (binaryOp, source, scalar, destination) = (instruction.binary(0), instruction.tile(1), instruction.scalar(2),
                                                           instruction.tile(3))
            guard let (a, c) = tiles(source, destination, op.span) else { return }
            let kind = computeKind(binaryOp, [a, c])
            // A fused reduce (tensor_scalar_reduce) reduces the f32 results, before dst's rounding, as act's does.
            let reduce: FreeAxisReduce? = if instruction.operands.count > 4, case .reduceInto(let r) = instruction.operands[4] { r } else { nil }
            let reduceTarget = reduce.flatMap { tile($0.destination, op.span) }
            let slot = reduce.map { _ in stackSlot(lowering.types.f32, name: "acc") }
            perPartition(a) { partition, offset, free in
                let s = lowering.convert(scalarOperand(scalar, partition: partition, kind: kind), to: kind)
                if let reduce, let slot { LLVMBuildStore(b, lowering.reduceIdentity(reduce.op, kind: .f32).ref, slot) }
                lowering.emitLoop(from: 0, to: free, name: "f") { f in
                    let i = LLVMBuildNSWAdd(b, offset, f, "")!
                    let l = lowering.convert(lowering.loadElement(a.pointer, a.element, index: i), to: kind)
                    let y = lowering.binary(binaryOp, l, s)
                    lowering.storeElement(y, c.pointer, c.element, index: i)
                    if let reduce, let slot {
                        let current = ComputedValue(ref: LLVMBuildLoad2(b, lowering.types.f32, slot, ""), kind: .f32)
                        LLVMBuildStore(b, lowering.reduceStep(reduce.op, current, lowering.convert(y, to: .f32)).ref, slot)
                    }
                }
                if let slot, let reduceTarget {
                    let total = ComputedValue(ref: LLVMBuildLoad2(b, lowering.types.f32, slot, ""), kind: .f32)
                    lowering.storeElement(total, reduceTarget.pointer, reduceTarget.element, index: partition)
                }
            }
        case .dveReduce:
            // In order, a sum from `initial` (Docs/numerics.md, "Reduction order"); the initial value is read before
            // the destination (which may be the same tile) is written.
            let (reduceOp, source, destination) = (instruction.reduce(0), instruction.tile(1), instruction.tile(2))
            guard let (a, r) = tiles(source, destination, op.span) else { return }
            let group = a.shape.last ?? 1
            let kind: ComputeKind = ComputeKind(a.element) == .f64 ? .f64 : .f32
            let slot = stackSlot(lowering.types.type(of: kind), name: "acc")
            let groupsPerPartition = max(1, r.count / max(1, a.shape.first ?? 1))
            lowering.emitLoop(from: 0, to: r.count, name: "g") { g in
                let partition = LLVMBuildUDiv(b, g, lowering.int64(groupsPerPartition), "")!
                let start = reduceOp == .add
                    ? lowering.convert(scalarOperand(instruction.scalar(3), partition: partition, kind: kind), to: kind)
                    : lowering.reduceIdentity(reduceOp, kind: kind)
                LLVMBuildStore(b, start.ref, slot)
                let base = LLVMBuildNSWMul(b, g, lowering.int64(group), "")!
                lowering.emitLoop(from: 0, to: group, name: "f") { f in
                    let value = lowering.loadElement(a.pointer, a.element, index: LLVMBuildNSWAdd(b, base, f, ""))
                    let current = ComputedValue(ref: LLVMBuildLoad2(b, lowering.types.type(of: kind), slot, ""), kind: kind)
                    LLVMBuildStore(b, lowering.reduceStep(reduceOp, current, value).ref, slot)
                }
                let total = ComputedValue(ref: LLVMBuildLoad2(b, lowering.types.type(of: kind), slot, ""), kind: kind)
                lowering.storeElement(reduceOp == .add ? lowering.wrappedI32(total) : total, r.pointer, r.element, index: g)
            }
        case .dveCopy:
            guard let (a, c) = tiles(instruction.tile(0), instruction.tile(1), op.span) else { return }
            copyElements(from: a, to: c, count: min(a.count, c.count))
        case .dveReciprocal:
            guard let (a, c) = tiles(instruction.tile(0), instruction.tile(1), op.span) else { return }
            lowering.emitLoop(from: 0, to: c.count, name: "e") { i in
                let value = lowering.loadElement(a.pointer, a.element, index: i)
                lowering.storeElement(lowering.activation(.reciprocal, value), c.pointer, c.element, index: i)
            }
        case .dveIota:
            let (axis, offset) = (instruction.integer(0), instruction.integer(1))
            guard let t = tile(instruction.tile(2), op.span) else { return }
            perPartition(t) { partition, rowOffset, free in
                lowering.emitLoop(from: 0, to: free, name: "f") { f in
                    let index = LLVMBuildNSWAdd(b, axis == 0 ? partition : f, lowering.int64(offset), "")!
                    let value = ComputedValue(ref: LLVMBuildSIToFP(b, index, lowering.types.f64, ""), kind: .f64)
                    lowering.storeElement(value, t.pointer, t.element, index: LLVMBuildNSWAdd(b, rowOffset, f, ""))
                }
            }
        case .dveCopyColumns:
            let offset = instruction.integer(1)
            guard let (src, dst) = tiles(instruction.tile(0), instruction.tile(2), op.span) else { return }
            let sourceFree = src.count / max(1, src.shape.first ?? 1)
            perPartition(dst) { partition, rowOffset, free in
                let sourceRow = LLVMBuildNSWMul(b, partition, lowering.int64(sourceFree), "")!
                lowering.emitLoop(from: 0, to: free, name: "f") { f in
                    let from = LLVMBuildNSWAdd(b, sourceRow, LLVMBuildNSWAdd(b, f, lowering.int64(offset), ""), "")!
                    let value = lowering.loadElement(src.pointer, src.element, index: from)
                    lowering.storeElement(value, dst.pointer, dst.element, index: LLVMBuildNSWAdd(b, rowOffset, f, ""))
                }
            }
        case .dveCopyStrided:
            let (offset, step) = (instruction.integer(1), instruction.integer(2))
            guard let (src, dst) = tiles(instruction.tile(0), instruction.tile(3), op.span) else { return }
            let sourceFree = src.count / max(1, src.shape.first ?? 1)
            perPartition(dst) { partition, rowOffset, free in
                let sourceRow = LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, partition, lowering.int64(sourceFree), ""),
                                                lowering.int64(offset), "")!
                lowering.emitLoop(from: 0, to: free, name: "f") { f in
                    let from = LLVMBuildNSWAdd(b, sourceRow, LLVMBuildNSWMul(b, f, lowering.int64(step), ""), "")!
                    let value = lowering.loadElement(src.pointer, src.element, index: from)
                    lowering.storeElement(value, dst.pointer, dst.element, index: LLVMBuildNSWAdd(b, rowOffset, f, ""))
                }
            }
        case .dveBnStats:
            guard let (src, dst) = tiles(instruction.tile(0), instruction.tile(1), op.span) else { return }
            emitBnStats(src, into: dst)
        case .dveBnAggr:
            guard let (src, dst) = tiles(instruction.tile(0), instruction.tile(1), op.span) else { return }
            emitBnAggr(src, into: dst)
        case .dveMax8:
            guard let (src, dst) = tiles(instruction.tile(0), instruction.tile(1), op.span) else { return }
            emitMax8(src, into: dst)
        case .dveFindIndex8:
            guard let (data, dst) = tiles(instruction.tile(0), instruction.tile(2), op.span),
                  let wanted = tile(instruction.tile(1), op.span) else { return }
            emitFindIndex8(data, wanted, into: dst)
        case .dvePartitionBroadcast:
            guard let (row, t) = tiles(instruction.tile(0), instruction.tile(1), op.span) else { return }
            perPartition(t) { _, rowOffset, free in
                lowering.emitLoop(from: 0, to: free, name: "f") { f in
                    let value = lowering.loadElement(row.pointer, row.element, index: f)
                    lowering.storeElement(value, t.pointer, t.element, index: LLVMBuildNSWAdd(b, rowOffset, f, ""))
                }
            }
        case .dveFreeBroadcast:
            guard let (src, dst) = tiles(instruction.tile(0), instruction.tile(1), op.span) else { return }
            lowering.emitLoopNest(dst.shape) { index in
                let from = zip(index, src.shape).map { $1 == 1 ? lowering.int64(0) : $0 }
                let value = lowering.loadElement(src.pointer, src.element, index: lowering.linearIndex(from, shape: src.shape))
                lowering.storeElement(value, dst.pointer, dst.element, index: lowering.linearIndex(index, shape: dst.shape))
            }
        case .dveTensorCorner:
            let binaryOp = instruction.binary(0)
            guard let (src, dst) = tiles(instruction.tile(1), instruction.tile(2), op.span) else { return }
            let kind = computeKind(binaryOp, [src, dst])
            lowering.emitLoopNest(src.shape) { index in
                let target = lowering.linearIndex(index, shape: dst.shape)
                let l = lowering.convert(lowering.loadElement(dst.pointer, dst.element, index: target), to: kind)
                let r = lowering.convert(lowering.loadElement(src.pointer, src.element, index: lowering.linearIndex(index, shape: src.shape)),
                                         to: kind)
                lowering.storeElement(lowering.binary(binaryOp, l, r), dst.pointer, dst.element, index: target)
            }
        case .dveTensorScan:
            let (op0, op1, initial) = (instruction.binary(0), instruction.binary(1), instruction.scalar(5))
            guard let (a, d) = tiles(instruction.tile(2), instruction.tile(4), op.span),
                  let bTile = tile(instruction.tile(3), op.span) else { return }
            // Each step in fp32, as the engine computes (f64 for i32 tiles, exact); the state is a stack slot.
            let kind: ComputeKind = [a, bTile, d].contains { $0.element == .i32 } ? .f64 : .f32
            let slot = stackSlot(lowering.types.type(of: kind), name: "scan")
            perPartition(d) { partition, offset, free in
                LLVMBuildStore(b, lowering.convert(scalarOperand(initial, partition: partition, kind: kind), to: kind).ref, slot)
                lowering.emitLoop(from: 0, to: free, name: "f") { f in
                    let i = LLVMBuildNSWAdd(b, offset, f, "")!
                    let state = ComputedValue(ref: LLVMBuildLoad2(b, lowering.types.type(of: kind), slot, ""), kind: kind)
                    let next = lowering.scanStep(op0, op1, lowering.loadElement(a.pointer, a.element, index: i), state,
                                                 lowering.loadElement(bTile.pointer, bTile.element, index: i), kind: kind)
                    LLVMBuildStore(b, next.ref, slot)
                    lowering.storeElement(next, d.pointer, d.element, index: i)
                }
            }
        case .poolIota:
            let iota = Iota(base: instruction.affine(0), partitionStep: instruction.integer(1), freeStep: instruction.integer(2),
                            destination: instruction.tile(3))
            guard let t = tile(iota.destination, op.span) else { return }
            perPartition(t) { partition, offset, free in
                let p = LLVMBuildSIToFP(b, partition, lowering.types.f64, "")!
                let base = LLVMBuildSIToFP(b, affine(iota.base), lowering.types.f64, "")!
                let rowBase = LLVMBuildFAdd(b, base,
                                            LLVMBuildFMul(b, p, lowering.double(Double(iota.partitionStep)), ""), "")!
                lowering.emitLoop(from: 0, to: free, name: "f") { f in
                    let step = LLVMBuildFMul(b, LLVMBuildSIToFP(b, f, lowering.types.f64, ""), lowering.double(Double(iota.freeStep)), "")
                    let value = ComputedValue(ref: LLVMBuildFAdd(b, rowBase, step, ""), kind: .f64)
                    lowering.storeElement(value, t.pointer, t.element, index: LLVMBuildNSWAdd(b, offset, f, ""))
                }
            }
        case .poolAffineSelect:
            // src where offset + p * partition_step + f * free_step >= 0 (in i64), else the fill converted to dst's element.
            guard let (s, d) = tiles(instruction.tile(0), instruction.tile(1), op.span) else { return }
            let (partitionStep, freeStep) = (instruction.integer(3), instruction.integer(4))
            let kind: ComputeKind = d.element == .i32 ? .f64 : .f32
            let fill = lowering.constant(instruction.float(5), kind: kind)
            let base = affine(instruction.affine(2))
            perPartition(d) { partition, offset, free in
                let rowBase = LLVMBuildNSWAdd(b, base, LLVMBuildNSWMul(b, partition, lowering.int64(partitionStep), ""), "")!
                lowering.emitLoop(from: 0, to: free, name: "f") { f in
                    let value = LLVMBuildNSWAdd(b, rowBase, LLVMBuildNSWMul(b, f, lowering.int64(freeStep), ""), "")!
                    let keep = LLVMBuildICmp(b, LLVMIntSGE, value, lowering.int64(0), "")!
                    let at = LLVMBuildNSWAdd(b, offset, f, "")!
                    let element = lowering.convert(lowering.loadElement(s.pointer, s.element, index: at), to: kind)
                    let chosen = ComputedValue(ref: LLVMBuildSelect(b, keep, element.ref, fill.ref, "")!, kind: kind)
                    lowering.storeElement(chosen, d.pointer, d.element, index: at)
                }
            }
        case .poolSelect:
            let (condition, whenTrue, whenFalse, destination) = (instruction.tile(0), instruction.tile(1), instruction.tile(2),
                                                                 instruction.tile(3))
            guard let (c, d) = tiles(condition, destination, op.span), let (t, f) = tiles(whenTrue, whenFalse, op.span) else { return }
            let kind: ComputeKind = [t, f, d].contains { $0.element == .i32 } ? .f64 : (d.element == .bool ? .bool : .f32)
            lowering.emitLoop(from: 0, to: d.count, name: "e") { i in
                let chosen = lowering.convert(lowering.loadElement(c.pointer, c.element, index: i), to: .bool)
                let yes = lowering.convert(lowering.loadElement(t.pointer, t.element, index: i), to: kind)
                let no = lowering.convert(lowering.loadElement(f.pointer, f.element, index: i), to: kind)
                lowering.storeElement(ComputedValue(ref: LLVMBuildSelect(b, chosen.ref, yes.ref, no.ref, ""), kind: kind),
                                      d.pointer, d.element, index: i)
            }
        }
    }

    // MARK: helpers

    func tile(_ value: ValueID, _ span: SourceSpan) -> LoweredBuffer? {
        guard case .buffer(let buffer)? = values[value] else {
            unsupported("an engine op whose operand is not a tile", span)
            return nil
        }
        return buffer
    }

    func tiles(_ first: ValueID, _ second: ValueID, _ span: SourceSpan) -> (LoweredBuffer, LoweredBuffer)? {
        guard let a = tile(first, span), let c = tile(second, span) else { return nil }
        return (a, c)
    }

    /// f64 when any tile holds i32 (exact integer math), bool for `and`/`or`, else fp32.
    private func computeKind(_ op: BinaryOperator, _ buffers: [LoweredBuffer]) -> ComputeKind {
        if op.isLogical { return .bool }
        return buffers.contains { $0.element == .i32 } ? .f64 : .f32
    }

    /// Loops over a tile's partitions, giving the partition (i64), its first element's linear index and the
    /// number of free elements per partition.
    private func perPartition(_ tile: LoweredBuffer, _ body: (LLVMValueRef, LLVMValueRef, Int) -> Void) {
        let free = tile.count / max(1, tile.shape.first ?? 1)
        lowering.emitLoop(from: 0, to: tile.shape.first ?? 1, name: "p") { p in
            body(p, LLVMBuildNSWMul(b, p, lowering.int64(free), ""), free)
        }
    }

    /// A `scale`/`bias`/`tensor_scalar` operand: a constant, or element `partition` of a [P | 1] tile.
    private func scalarOperand(_ operand: ScalarOperand, partition: LLVMValueRef, kind: ComputeKind) -> ComputedValue {
        switch operand {
        case .constant(let value):
            return lowering.constant(value, kind: kind == .bool ? .f32 : kind)
        case .value(let id):
            switch values[id] {
            case .buffer(let buffer)?:
                return lowering.loadElement(buffer.pointer, buffer.element, index: partition)
            case .scalar(let computed)?:
                return computed
            default:
                return lowering.constant(0, kind: kind)
            }
        }
    }

    /// Copies `count` elements, converting when the element types differ (a raw copy when they agree).
    func copyElements(from source: LoweredBuffer, to destination: LoweredBuffer, count: Int) {
        lowering.emitLoop(from: 0, to: count, name: "e") { i in
            copyElement(from: source, i, to: destination, i)
        }
    }

    func copyElement(from source: LoweredBuffer, _ sourceIndex: LLVMValueRef, to destination: LoweredBuffer,
                     _ destinationIndex: LLVMValueRef) {
        if source.element == destination.element {
            let storage = lowering.types.storage(source.element)
            let raw = LLVMBuildLoad2(b, storage, lowering.elementAddress(source.pointer, storage: storage, index: sourceIndex), "")
            LLVMBuildStore(b, raw, lowering.elementAddress(destination.pointer, storage: storage, index: destinationIndex))
        } else {
            lowering.storeElement(lowering.loadElement(source.pointer, source.element, index: sourceIndex),
                                  destination.pointer, destination.element, index: destinationIndex)
        }
    }

    /// `func(a * scale + bias)` per element in fp32, optionally reducing the results along the free axis.
    private func emitActivation(_ activation: Activation, _ span: SourceSpan) {
        guard let (a, out) = tiles(activation.source, activation.destination, span) else { return }
        let reduceTarget = activation.reduce.flatMap { tile($0.destination, span) }
        let slot = activation.reduce.map { _ in stackSlot(lowering.types.f32, name: "acc") }
        perPartition(a) { partition, offset, free in
            // The argument x * scale + bias is computed in f64 and rounded once to f32, as the simulator does
            // (Docs/numerics.md): bias is read as f32 (an immediate, or a [P | 1] tile's value), and a zero bias
            // adds -0, that is nothing (`MathFunction.activationAddend`).
            let readBias = lowering.convert(lowering.convert(scalarOperand(activation.bias, partition: partition, kind: .f32),
                                                             to: .f32), to: .f64)
            let isZero = LLVMBuildFCmp(b, LLVMRealOEQ, readBias.ref, lowering.double(0), "")
            let bias = ComputedValue(ref: LLVMBuildSelect(b, isZero, lowering.double(-0.0), readBias.ref, "")!, kind: .f64)
            // The scale: a constant (exact, in f64), or the partition's element of a [P | 1] tile as stored.
            let scale = lowering.convert(scalarOperand(activation.scale, partition: partition, kind: .f64), to: .f64)
            if let reduce = activation.reduce, let slot {
                LLVMBuildStore(b, lowering.reduceIdentity(reduce.op, kind: .f32).ref, slot)
            }
            lowering.emitLoop(from: 0, to: free, name: "f") { f in
                let i = LLVMBuildNSWAdd(b, offset, f, "")!
                let x = lowering.convert(lowering.convert(lowering.loadElement(a.pointer, a.element, index: i), to: .f32), to: .f64)
                let scaled = LLVMBuildFMul(b, x.ref, scale.ref, "")!
                let argument = ComputedValue(ref: LLVMBuildFAdd(b, scaled, bias.ref, ""), kind: .f64)
                let input = lowering.convert(argument, to: .f32)
                let y = lowering.activation(activation.function, input)
                lowering.storeElement(y, out.pointer, out.element, index: i)
                if let reduce = activation.reduce, let slot {
                    let current = ComputedValue(ref: LLVMBuildLoad2(b, lowering.types.f32, slot, ""), kind: .f32)
                    LLVMBuildStore(b, lowering.reduceStep(reduce.op, current, y).ref, slot)
                }
            }
            if let slot, let reduceTarget {
                let total = ComputedValue(ref: LLVMBuildLoad2(b, lowering.types.f32, slot, ""), kind: .f32)
                lowering.storeElement(total, reduceTarget.pointer, reduceTarget.element, index: partition)
            }
        }
    }

    /// `acc[M | N] (+)= s[K | M]^T @ m[K | N]` with the micro-kernel; `start` (possibly conditional on a loop
    /// variable) overwrites instead of accumulating.
    private func emitPEMatmul(_ matmul: PEMatmul, _ span: SourceSpan) {
        guard let (s, m) = tiles(matmul.stationary, matmul.moving, span), let acc = tile(matmul.accumulator, span) else { return }
        let stationary = stagedF32(matmul.stationary), moving = stagedF32(matmul.moving)
        let k = s.shape.first ?? 1
        let mCount = s.count / max(1, k), nCount = m.count / max(1, k)
        let accumulator = acc.element == .f32 ? acc : allocate(.f32, shape: acc.shape)
        let start = condition(matmul.start)
        if accumulator.pointer != acc.pointer { copyElements(from: acc, to: accumulator, count: acc.count) }
        lowering.emitMatmulKernel(MatmulOperands(a: stationary.pointer, aRowStride: 1, aColumnStride: mCount, b: moving.pointer,
                                                 c: accumulator.pointer, m: mCount, n: nCount, k: k),
                                  accumulate: LLVMBuildNot(b, start, ""), slots: { type, name in self.stackSlot(type, name: name) })
        if accumulator.pointer != acc.pointer { copyElements(from: accumulator, to: acc, count: acc.count) }
    }

    /// A matmul flag as an i1: never, always, or `loop variable == value`.
    func matmulCondition(_ condition: IterationCondition) -> LLVMValueRef { self.condition(condition) }

    private func condition(_ condition: IterationCondition) -> LLVMValueRef {
        switch condition {
        case .never: return lowering.bool(false)
        case .always: return lowering.bool(true)
        case .when(let variable, let value):
            guard case .index(let induction)? = values[variable] else { return lowering.bool(false) }
            return LLVMBuildICmp(b, LLVMIntEQ, induction, lowering.int64(value), "")
        }
    }

    /// `dma.load` / `dma.store`: the HBM slice at the affine offsets, element by element in the tile's
    /// partition-major order (transposed: the slice is [F, P]; broadcast: the free dims' slice in every partition;
    /// flat, a rank-1 tensor and a [P | F] tile: the P * F contiguous elements from the offset, so element (p, f)
    /// is at offset + p * F + f, the tile's own linear index). A strided load (`DMASteps`) scales the partition's
    /// stride by its row step and the last free dim's (a flat load's every element's) by its column step.
    private func emitDMA(_ transfer: DMATransfer, load: Bool, _ span: SourceSpan) {
        guard let t = tile(transfer.tile, span), case .buffer(let hbm)? = values[transfer.hbm] else {
            unsupported("a DMA whose operands are not a tile and an HBM tensor", span)
            return
        }
        var strides = Array(repeating: 1, count: hbm.shape.count)
        for dim in stride(from: hbm.shape.count - 2, through: 0, by: -1) { strides[dim] = strides[dim + 1] * hbm.shape[dim + 1] }
        var base = lowering.int64(0)
        for (dim, offset) in transfer.offsets.enumerated() where dim < strides.count {
            base = LLVMBuildNSWAdd(b, base, LLVMBuildNSWMul(b, affine(offset), lowering.int64(strides[dim]), ""), "")
        }
        let freeDims = Array(t.shape.dropFirst())
        let freeCount = freeDims.reduce(1, *)
        let flat = !transfer.broadcast && !transfer.transpose && hbm.shape.count == 1 && freeDims.count == 1
        // The tile covers the tensor's trailing dims; the `lead` dims before them are indexed by the offsets.
        guard let lead = transfer.leadingDims(tile: TileType(.sbuf, t.element, partitions: t.shape[0], free: freeDims),
                                              hbmRank: hbm.shape.count) else {
            unsupported("a DMA of a rank-\(t.shape.count) tile and a rank-\(hbm.shape.count) tensor", span)
            return
        }
        lowering.emitLoopNest(t.shape) { index in
            let partition = index[0]
            var hbmIndex = base
            let steps = transfer.steps
            if flat {
                let element = LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, partition, lowering.int64(freeCount), ""), index[1], "")
                hbmIndex = LLVMBuildNSWAdd(b, hbmIndex, LLVMBuildNSWMul(b, element, lowering.int64(steps.column), ""), "")
            } else if transfer.transpose {
                let f = lowering.linearIndex(Array(index.dropFirst()), shape: freeDims)
                hbmIndex = LLVMBuildNSWAdd(b, hbmIndex, LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, f, lowering.int64(strides[lead]), ""),
                                                                        LLVMBuildNSWMul(b, partition, lowering.int64(strides[lead + 1]), ""), ""), "")
            } else {
                let first = transfer.broadcast ? lead : lead + 1
                if !transfer.broadcast {
                    hbmIndex = LLVMBuildNSWAdd(b, hbmIndex, LLVMBuildNSWMul(b, partition, lowering.int64(strides[lead] * steps.row), ""), "")
                }
                for (dim, free) in index.dropFirst().enumerated() where first + dim < strides.count {
                    let step = dim == freeDims.count - 1 ? steps.column : 1
                    hbmIndex = LLVMBuildNSWAdd(b, hbmIndex, LLVMBuildNSWMul(b, free, lowering.int64(strides[first + dim] * step), ""), "")
                }
            }
            let tileIndex = LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, partition, lowering.int64(freeCount), ""),
                                            lowering.linearIndex(Array(index.dropFirst()), shape: freeDims), "")!
            if load {
                copyElement(from: hbm, hbmIndex, to: t, tileIndex)
            } else {
                copyElement(from: t, tileIndex, to: hbm, hbmIndex)
            }
        }
    }

    /// An affine offset `c + sum(coefficient * variable)` as an i64.
    /// Element `position` of an i32 index buffer as an i64 row of a table with `rows` rows; an index outside them
    /// leaves the function with the gather's status (`failGather`).
    func gatherRow(_ indices: LoweredBuffer, at position: LLVMValueRef, rows: Int, _ span: SourceSpan,
                   scatter: Bool = false) -> LLVMValueRef {
        let storage = lowering.types.storage(.i32)
        let raw = LLVMBuildLoad2(b, storage, lowering.elementAddress(indices.pointer, storage: storage, index: position), "")!
        let row = LLVMBuildSExt(b, raw, lowering.types.i64, "row")!
        let below = LLVMBuildICmp(b, LLVMIntSLT, row, lowering.int64(0), "")!
        let above = LLVMBuildICmp(b, LLVMIntSGE, row, lowering.int64(rows), "")!
        failGather(at: span, if: LLVMBuildOr(b, below, above, "")!, scatter: scatter)
        return row
    }

    private func affine(_ expression: AffineExpr) -> LLVMValueRef {
        var total = lowering.int64(expression.constant)
        for term in expression.terms {
            guard case .index(let induction)? = values[term.variable] else { continue }
            total = LLVMBuildNSWAdd(b, total, LLVMBuildNSWMul(b, induction, lowering.int64(term.coefficient), ""), "")
        }
        return total
    }
}
