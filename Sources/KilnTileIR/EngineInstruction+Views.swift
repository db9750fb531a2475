// EngineInstruction+Views.swift: typed constructors and views of the engine ops the passes build and inspect.

import KilnMachine

// Conveniences only: no fact about an op lives here (its fields, effects, rules and cost are its declaration
// in KilnISA's EngineOp.swift). A new op needs none of these; passes that build or pattern-match an op use them.
extension OpKind {
    public static func dmaLoad(_ t: DMATransfer) -> OpKind {
        .engine(EngineInstruction(.dmaLoad, [.slice(t.hbm, t.offsets), .tile(t.tile), .flag(t.transpose), .flag(t.broadcast),
                                             .integer(t.steps.row), .integer(t.steps.column)], queue: t.queue))
    }
    public static func dmaStore(_ t: DMATransfer) -> OpKind {
        .engine(EngineInstruction(.dmaStore, [.tile(t.tile), .slice(t.hbm, t.offsets)], queue: t.queue))
    }
    /// `dma.gather %table[0, c], %indices[...] -> %tile`: tile row p is table row `indices[... + p]` from column c.
    public static func dmaGather(table: ValueID, column: AffineExpr, indices: ValueID, at offsets: [AffineExpr],
                                 into tile: ValueID, queue: Int? = nil) -> OpKind {
        .engine(EngineInstruction(.dmaGather, [.slice(table, [.constant(0), column]), .slice(indices, offsets), .tile(tile)],
                                  queue: queue))
    }
    /// `dma.indirect_load %table[0, c], %idx -> %tile`: tile row p is table row `idx[p]` (an i32 `[P | 1]` tile) from
    /// column c.
    public static func dmaIndirectLoad(table: ValueID, column: AffineExpr, indices: ValueID, into tile: ValueID) -> OpKind {
        .engine(EngineInstruction(.dmaIndirectLoad, [.slice(table, [.constant(0), column]), .tile(indices), .tile(tile)]))
    }
    public static func peMatmul(_ m: PEMatmul) -> OpKind {
        .engine(EngineInstruction(.peMatmul, [.tile(m.stationary), .tile(m.moving), .tile(m.accumulator),
                                              .condition(m.start), .condition(m.stop)]))
    }
    /// `pe.matmul_mx %s, %m, %s_scale, %m_scale -> %acc [start] [stop]`.
    public static func peMatmulMX(_ m: PEMatmul, stationaryScale: ValueID, movingScale: ValueID) -> OpKind {
        .engine(EngineInstruction(.peMatmulMX, [.tile(m.stationary), .tile(m.moving), .tile(stationaryScale),
                                                .tile(movingScale), .tile(m.accumulator), .condition(m.start), .condition(m.stop)]))
    }
    public static func peTranspose(source: ValueID, destination: ValueID) -> OpKind {
        .engine(EngineInstruction(.peTranspose, [.tile(source), .tile(destination)]))
    }
    public static func actActivate(_ a: Activation) -> OpKind {
        .engine(EngineInstruction(.actActivate, [.function(a.function), .tile(a.source), .tile(a.destination),
                                                 .scalar(a.scale), .scalar(a.bias), .reduceInto(a.reduce)]))
    }
    public static func dveTensorTensor(_ op: BinaryOperator, _ a: ValueID, _ b: ValueID, destination: ValueID) -> OpKind {
        .engine(EngineInstruction(.dveTensorTensor, [.binary(op), .tile(a), .tile(b), .tile(destination)]))
    }
    public static func dveTensorScalar(_ op: BinaryOperator, _ a: ValueID, _ scalar: ScalarOperand,
                                       destination: ValueID, reduce: FreeAxisReduce? = nil) -> OpKind {
        .engine(EngineInstruction(.dveTensorScalar, [.binary(op), .tile(a), .scalar(scalar), .tile(destination),
                                                     .reduceInto(reduce)]))
    }
    public static func dveReduce(_ op: EngineReduceOp, _ a: ValueID, destination: ValueID,
                                 initial: ScalarOperand = .constant(0)) -> OpKind {
        .engine(EngineInstruction(.dveReduce, [.reduce(op), .tile(a), .tile(destination), .scalar(initial)]))
    }
    public static func dveCopy(source: ValueID, destination: ValueID) -> OpKind {
        .engine(EngineInstruction(.dveCopy, [.tile(source), .tile(destination)]))
    }
    public static func dveTensorCorner(_ op: BinaryOperator, source: ValueID, destination: ValueID) -> OpKind {
        .engine(EngineInstruction(.dveTensorCorner, [.binary(op), .tile(source), .tile(destination)]))
    }
    public static func dveReciprocal(source: ValueID, destination: ValueID) -> OpKind {
        .engine(EngineInstruction(.dveReciprocal, [.tile(source), .tile(destination)]))
    }
    public static func dveTensorScan(_ op0: BinaryOperator, _ op1: BinaryOperator, _ data0: ValueID, _ data1: ValueID,
                                     destination: ValueID, initial: ScalarOperand) -> OpKind {
        .engine(EngineInstruction(.dveTensorScan, [.binary(op0), .binary(op1), .tile(data0), .tile(data1), .tile(destination),
                                                   .scalar(initial)]))
    }
    public static func dvePartitionBroadcast(source: ValueID, destination: ValueID) -> OpKind {
        .engine(EngineInstruction(.dvePartitionBroadcast, [.tile(source), .tile(destination)]))
    }
    /// `dve.copy_strided %src -> %dst offset O step S`: each of dst's partitions takes src's free elements O, O + S, ...
    public static func dveCopyStrided(source: ValueID, offset: Int, step: Int, destination: ValueID) -> OpKind {
        .engine(EngineInstruction(.dveCopyStrided, [.tile(source), .integer(offset), .integer(step), .tile(destination)]))
    }
    public static func dveCopyColumns(source: ValueID, offset: Int, destination: ValueID) -> OpKind {
        .engine(EngineInstruction(.dveCopyColumns, [.tile(source), .integer(offset), .tile(destination)]))
    }
    public static func dveFreeBroadcast(source: ValueID, destination: ValueID) -> OpKind {
        .engine(EngineInstruction(.dveFreeBroadcast, [.tile(source), .tile(destination)]))
    }
    public static func poolIota(_ iota: Iota) -> OpKind {
        .engine(EngineInstruction(.poolIota, [.affine(iota.base), .integer(iota.partitionStep), .integer(iota.freeStep),
                                              .tile(iota.destination)]))
    }
    public static func poolSelect(condition: ValueID, _ a: ValueID, _ b: ValueID, destination: ValueID) -> OpKind {
        .engine(EngineInstruction(.poolSelect, [.tile(condition), .tile(a), .tile(b), .tile(destination)]))
    }

    /// The engine instruction, for engine ops.
    public var instruction: EngineInstruction? {
        if case .engine(let instruction) = self { return instruction }
        return nil
    }

    /// The engine op, for engine ops.
    public var engineOp: EngineOp? { instruction?.op }

    /// A `dma.load` or `dma.store` as a transfer.
    public var asTransfer: DMATransfer? {
        guard let i = instruction else { return nil }
        switch (i.op, i.operands.count) {
        case (.dmaLoad, 6):
            guard case .slice(let hbm, let offsets) = i.operands[0], case .tile(let tile) = i.operands[1],
                  case .flag(let transpose) = i.operands[2], case .flag(let broadcast) = i.operands[3],
                  case .integer(let row) = i.operands[4], case .integer(let column) = i.operands[5] else { return nil }
            return DMATransfer(hbm: hbm, offsets: offsets, tile: tile, transpose: transpose, queue: i.queue, broadcast: broadcast,
                               steps: DMASteps(row: row, column: column))
        case (.dmaStore, 2):
            guard case .tile(let tile) = i.operands[0], case .slice(let hbm, let offsets) = i.operands[1] else { return nil }
            return DMATransfer(hbm: hbm, offsets: offsets, tile: tile, queue: i.queue)
        default:
            return nil
        }
    }

    public var asLoad: DMATransfer? { engineOp == .dmaLoad ? asTransfer : nil }
    public var asStore: DMATransfer? { engineOp == .dmaStore ? asTransfer : nil }

    public var asMatmul: PEMatmul? {
        guard let i = instruction, i.op == .peMatmul, i.operands.count == 5,
              case .tile(let s) = i.operands[0], case .tile(let m) = i.operands[1], case .tile(let acc) = i.operands[2],
              case .condition(let start) = i.operands[3], case .condition(let stop) = i.operands[4] else { return nil }
        return PEMatmul(stationary: s, moving: m, accumulator: acc, start: start, stop: stop)
    }

    public var asActivation: Activation? {
        guard let i = instruction, i.op == .actActivate, i.operands.count == 6,
              case .function(let function) = i.operands[0], case .tile(let source) = i.operands[1],
              case .tile(let destination) = i.operands[2], case .scalar(let scale) = i.operands[3],
              case .scalar(let bias) = i.operands[4], case .reduceInto(let reduce) = i.operands[5] else { return nil }
        return Activation(function: function, source: source, destination: destination, scale: scale, bias: bias, reduce: reduce)
    }

    /// `dve.tensor_tensor op a, b -> d`.
    public var asTensorTensor: (op: BinaryOperator, a: ValueID, b: ValueID, destination: ValueID)? {
        guard let i = instruction, i.op == .dveTensorTensor, i.operands.count == 4, case .binary(let op) = i.operands[0],
              case .tile(let a) = i.operands[1], case .tile(let b) = i.operands[2], case .tile(let d) = i.operands[3] else { return nil }
        return (op, a, b, d)
    }

    /// `dve.tensor_scalar op a, s -> d`.
    public var asTensorScalar: (op: BinaryOperator, a: ValueID, scalar: ScalarOperand, destination: ValueID)? {
        guard let i = instruction, i.op == .dveTensorScalar, i.operands.count >= 4, case .binary(let op) = i.operands[0],
              case .tile(let a) = i.operands[1], case .scalar(let s) = i.operands[2], case .tile(let d) = i.operands[3] else { return nil }
        return (op, a, s, d)
    }

    /// `dve.reduce op a -> d` (with any `initial`).
    public var asReduce: (op: EngineReduceOp, source: ValueID, destination: ValueID)? {
        guard let i = instruction, i.op == .dveReduce, i.operands.count == 4, case .reduce(let op) = i.operands[0],
              case .tile(let a) = i.operands[1], case .tile(let d) = i.operands[2] else { return nil }
        return (op, a, d)
    }

    /// An op whose operands are one tile read and one tile written (`dve.copy`, `pe.transpose`, ...), by op.
    public func asUnaryTileOp(_ op: EngineOp) -> (source: ValueID, destination: ValueID)? {
        guard let i = instruction, i.op == op, i.operands.count == 2, case .tile(let s) = i.operands[0],
              case .tile(let d) = i.operands[1] else { return nil }
        return (s, d)
    }

    public var asIota: Iota? {
        guard let i = instruction, i.op == .poolIota, i.operands.count == 4, case .affine(let base) = i.operands[0],
              case .integer(let ps) = i.operands[1], case .integer(let fs) = i.operands[2],
              case .tile(let d) = i.operands[3] else { return nil }
        return Iota(base: base, partitionStep: ps, freeStep: fs, destination: d)
    }

    /// `pool.select c, a, b -> d`.
    public var asSelect: (condition: ValueID, a: ValueID, b: ValueID, destination: ValueID)? {
        guard let i = instruction, i.op == .poolSelect, i.operands.count == 4, case .tile(let c) = i.operands[0],
              case .tile(let a) = i.operands[1], case .tile(let b) = i.operands[2], case .tile(let d) = i.operands[3] else { return nil }
        return (c, a, b, d)
    }
}
