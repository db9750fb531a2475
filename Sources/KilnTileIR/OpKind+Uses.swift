// OpKind+Uses.swift: generic facts about each op kind: opcode name, engine, values read and written, remapping.

import KilnMachine

extension OpKind {
    /// The op's name as the text form writes it (`reduce`, `dma.load`, `exp`, ...).
    public var opcode: String {
        switch self {
        case .constant: "constant"
        case .unary(let function, _): function.rawValue
        case .binary(let op, _, _): op.rawValue
        case .broadcast: "broadcast"
        case .reduce: "reduce"
        case .matmul: "matmul"
        case .transpose: "transpose"
        case .select: "select"
        case .cast: "cast"
        case .call: "call"
        case .forLoop: "for"
        case .alloc: "alloc"
        case .hbmAlloc: "hbm.alloc"
        case .dmaLoad: "dma.load"
        case .dmaStore: "dma.store"
        case .peMatmul: "pe.matmul"
        case .peTranspose: "pe.transpose"
        case .actActivate: "act.activate"
        case .dveTensorTensor: "dve.tensor_tensor"
        case .dveTensorScalar: "dve.tensor_scalar"
        case .dveReduce: "dve.reduce"
        case .dveCopy: "dve.copy"
        case .dveReciprocal: "dve.reciprocal"
        case .poolIota: "pool.iota"
        case .poolSelect: "pool.select"
        case .syncSignal: "sync.signal"
        case .syncWait: "sync.wait"
        case .ret: "return"
        }
    }

    /// The engine that executes the op; nil for tensor-level ops, loops, allocs and return.
    public var engine: Engine? {
        switch self {
        case .dmaLoad, .dmaStore: .dma
        case .peMatmul, .peTranspose: .pe
        case .actActivate: .act
        case .dveTensorTensor, .dveTensorScalar, .dveReduce, .dveCopy, .dveReciprocal: .dve
        case .poolIota, .poolSelect: .pool
        case .syncSignal(_, let engine, _), .syncWait(_, _, let engine, _): engine
        default: nil
        }
    }

    /// True for ops without effects whose only output is their result: removable when unused, mergeable when equal.
    public var isPure: Bool {
        switch self {
        case .constant, .unary, .binary, .broadcast, .reduce, .matmul, .transpose, .select, .cast: true
        default: false
        }
    }

    /// True for tensor-level ops (including `call` and `return`, which exist at both levels).
    public var isTensorLevel: Bool { isPure || { if case .call = self { return true } else { return false } }() }

    /// The values the op reads (data operands, affine offset variables, flag variables), not the
    /// tiles or HBM tensors it writes. Values nested in a loop body are not included.
    public var reads: [ValueID] {
        switch self {
        case .constant, .alloc, .hbmAlloc, .forLoop, .syncSignal, .syncWait, .poolIota: []
        case .unary(_, let a), .broadcast(let a), .reduce(_, let a, _), .transpose(let a), .cast(let a): [a]
        case .binary(_, let a, let b), .matmul(let a, let b): [a, b]
        case .select(let c, let a, let b): [c, a, b]
        case .call(_, let arguments): arguments
        case .dmaLoad(let transfer): [transfer.hbm] + transfer.offsets.flatMap { $0.terms.map(\.variable) }
        case .dmaStore(let transfer): [transfer.tile] + transfer.offsets.flatMap { $0.terms.map(\.variable) }
        case .peMatmul(let matmul):
            // Accumulating reads the accumulator; `start` alone overwrites it.
            [matmul.stationary, matmul.moving] + matmul.start.variables + matmul.stop.variables
                + (matmul.start == .always ? [] : [matmul.accumulator])
        case .peTranspose(let source, _), .dveCopy(let source, _), .dveReciprocal(let source, _),
             .dveReduce(_, let source, _):
            [source]
        case .actActivate(let activation): [activation.source] + activation.bias.values
        case .dveTensorTensor(_, let a, let b, _): [a, b]
        case .dveTensorScalar(_, let a, let scalar, _): [a] + scalar.values
        case .poolSelect(let c, let a, let b, _): [c, a, b]
        case .ret(let values): values
        }
    }

    /// The tiles and HBM tensors the op writes.
    public var writes: [ValueID] {
        switch self {
        case .dmaLoad(let transfer): [transfer.tile]
        case .dmaStore(let transfer): [transfer.hbm]
        case .peMatmul(let matmul): [matmul.accumulator]
        case .peTranspose(_, let destination), .dveTensorTensor(_, _, _, let destination),
             .dveTensorScalar(_, _, _, let destination), .dveReduce(_, _, let destination),
             .dveCopy(_, let destination), .dveReciprocal(_, let destination),
             .poolSelect(_, _, _, let destination):
            [destination]
        case .actActivate(let activation): [activation.destination] + (activation.reduce.map { [$0.destination] } ?? [])
        case .poolIota(let iota): [iota.destination]
        default: []
        }
    }

    /// Every value the op refers to (reads and writes), without duplicates, in order.
    public var uses: [ValueID] {
        var seen = Set<ValueID>()
        return (reads + writes).filter { seen.insert($0).inserted }
    }

    /// The same op with every value reference passed through `map` (loop bodies included).
    public func mappingValues(_ map: (ValueID) -> ValueID) -> OpKind {
        func affine(_ expr: AffineExpr) -> AffineExpr {
            AffineExpr(terms: expr.terms.map { .init(map($0.variable), $0.coefficient) }, constant: expr.constant)
        }
        func transfer(_ t: DMATransfer) -> DMATransfer {
            DMATransfer(hbm: map(t.hbm), offsets: t.offsets.map(affine), tile: map(t.tile),
                        transpose: t.transpose, queue: t.queue, broadcast: t.broadcast)
        }
        func condition(_ c: IterationCondition) -> IterationCondition {
            if case .when(let variable, let value) = c { return .when(map(variable), equals: value) }
            return c
        }
        func scalar(_ s: ScalarOperand) -> ScalarOperand {
            if case .value(let value) = s { return .value(map(value)) }
            return s
        }
        switch self {
        case .constant, .alloc, .hbmAlloc, .syncSignal, .syncWait: return self
        case .unary(let f, let a): return .unary(f, map(a))
        case .binary(let op, let a, let b): return .binary(op, map(a), map(b))
        case .broadcast(let a): return .broadcast(map(a))
        case .reduce(let kind, let a, let axis): return .reduce(kind, map(a), axis: axis)
        case .matmul(let a, let b): return .matmul(map(a), map(b))
        case .transpose(let a): return .transpose(map(a))
        case .select(let c, let a, let b): return .select(map(c), map(a), map(b))
        case .cast(let a): return .cast(map(a))
        case .call(let callee, let arguments): return .call(callee, arguments.map(map))
        case .forLoop(var loop):
            loop.body.ops = loop.body.ops.map { op in
                var copy = op
                copy.kind = op.kind.mappingValues(map)
                return copy
            }
            return .forLoop(loop)
        case .dmaLoad(let t): return .dmaLoad(transfer(t))
        case .dmaStore(let t): return .dmaStore(transfer(t))
        case .peMatmul(let m):
            return .peMatmul(PEMatmul(stationary: map(m.stationary), moving: map(m.moving),
                                      accumulator: map(m.accumulator), start: condition(m.start), stop: condition(m.stop)))
        case .peTranspose(let s, let d): return .peTranspose(source: map(s), destination: map(d))
        case .actActivate(var a):
            a.source = map(a.source)
            a.destination = map(a.destination)
            a.bias = scalar(a.bias)
            a.reduce = a.reduce.map { FreeAxisReduce($0.op, into: map($0.destination)) }
            return .actActivate(a)
        case .dveTensorTensor(let op, let a, let b, let d): return .dveTensorTensor(op, map(a), map(b), destination: map(d))
        case .dveTensorScalar(let op, let a, let s, let d):
            return .dveTensorScalar(op, map(a), scalar(s), destination: map(d))
        case .dveReduce(let op, let a, let d): return .dveReduce(op, map(a), destination: map(d))
        case .dveCopy(let s, let d): return .dveCopy(source: map(s), destination: map(d))
        case .dveReciprocal(let s, let d): return .dveReciprocal(source: map(s), destination: map(d))
        case .poolIota(var iota):
            iota.destination = map(iota.destination)
            return .poolIota(iota)
        case .poolSelect(let c, let a, let b, let d): return .poolSelect(condition: map(c), map(a), map(b), destination: map(d))
        case .ret(let values): return .ret(values.map(map))
        }
    }
}

extension IterationCondition {
    var variables: [ValueID] {
        if case .when(let variable, _) = self { return [variable] }
        return []
    }
}

extension ScalarOperand {
    var values: [ValueID] {
        if case .value(let value) = self { return [value] }
        return []
    }
}
