// OpKind+Uses.swift: generic facts about each op kind: opcode name, engine, values read and written, remapping.

import KilnMachine

extension OpKind {
    /// The op's name as the text form writes it (`reduce`, `dma.load`, `exp`, ...).
    public var opcode: String {
        switch self {
        case .constant: "constant"
        case .iota: "iota"
        case .scan: "scan"
        case .slice: "slice"
        case .concat: "concat"
        case .gather: "gather"
        case .scatterAdd: "scatter_add"
        case .topk(_, _, let indices): indices ? "argtopk" : "topk"
        case .unary(let function, _): function.rawValue
        case .binary(let op, _, _): op.rawValue
        case .broadcast: "broadcast"
        case .reduce: "reduce"
        case .matmul: "matmul"
        case .transpose: "transpose"
        case .permute: "permute"
        case .reshape: "reshape"
        case .select: "select"
        case .cast: "cast"
        case .call: "call"
        case .forLoop: "for"
        case .alloc: "alloc"
        case .view: "view"
        case .hbmAlloc: "hbm.alloc"
        case .engine(let instruction): instruction.op.mnemonic
        case .syncSignal: "sync.signal"
        case .syncWait: "sync.wait"
        case .ret: "return"
        }
    }

    /// The engine that executes the op; nil for tensor-level ops, loops, allocs and return.
    public var engine: Engine? {
        switch self {
        case .engine(let instruction): instruction.op.engine
        case .syncSignal(_, let engine, _), .syncWait(_, _, let engine, _): engine
        case .constant, .iota, .scan, .slice, .concat, .gather, .scatterAdd, .topk, .unary, .binary, .broadcast, .reduce, .matmul, .transpose, .permute, .reshape, .select, .cast,
             .call, .forLoop, .alloc, .view, .hbmAlloc, .ret: nil
        }
    }

    /// True for ops without effects whose only output is their result: removable when unused, mergeable when equal.
    public var isPure: Bool {
        switch self {
        case .constant, .iota, .scan, .slice, .concat, .gather, .scatterAdd, .topk, .unary, .binary, .broadcast, .reduce, .matmul, .transpose, .permute, .reshape, .select,
             .cast: true
        case .call, .forLoop, .alloc, .view, .hbmAlloc, .engine, .syncSignal, .syncWait, .ret: false
        }
    }

    /// True for tensor-level ops (including `call` and `return`, which exist at both levels).
    public var isTensorLevel: Bool { isPure || { if case .call = self { return true } else { return false } }() }

    /// The values the op reads (data operands, affine offset variables, flag variables), not the
    /// tiles or HBM tensors it writes. Values nested in a loop body are not included. A `view` reads nothing (it
    /// names memory, as `alloc` does); its base is one of its `uses`.
    public var reads: [ValueID] {
        switch self {
        case .constant, .iota, .alloc, .view, .hbmAlloc, .forLoop, .syncSignal, .syncWait: []
        case .unary(_, let a), .broadcast(let a), .reduce(_, let a, _), .transpose(let a), .permute(let a, _), .reshape(let a), .cast(let a), .slice(let a, _, _),
             .topk(let a, _, _): [a]
        case .concat(let operands, _): operands
        case .binary(_, let a, let b), .matmul(let a, let b), .scan(let a, let b, _), .gather(let a, let b): [a, b]
        case .select(let c, let a, let b), .scatterAdd(let c, let a, let b): [c, a, b]
        case .call(_, let arguments): arguments
        case .engine(let instruction): instruction.reads
        case .ret(let values): values
        }
    }

    /// The tiles and HBM tensors the op writes.
    public var writes: [ValueID] {
        switch self {
        case .engine(let instruction): instruction.writes
        case .constant, .iota, .scan, .slice, .concat, .gather, .scatterAdd, .topk, .unary, .binary, .broadcast, .reduce, .matmul, .transpose, .permute, .reshape, .select, .cast,
             .call, .forLoop, .alloc, .view, .hbmAlloc, .syncSignal, .syncWait, .ret: []
        }
    }

    /// Every value the op refers to (reads and writes), without duplicates, in order.
    public var uses: [ValueID] {
        if case .view(let base, _) = self { return [base] }
        var values = reads
        for value in writes where !values.contains(value) { values.append(value) }
        var index = 1
        while index < values.count {  // ops have a handful of operands: a linear scan beats hashing
            if values[..<index].contains(values[index]) { values.remove(at: index) } else { index += 1 }
        }
        return values
    }

    /// Calls `body` with every value the op refers to, as `uses` lists them but in operand order and
    /// possibly more than once, without building an array (values nested in a loop body are not included).
    public func forEachUse(_ body: (ValueID) -> Void) {
        if case .engine(let instruction) = self { return instruction.forEachValue(body) }
        if case .view(let base, _) = self { return body(base) }
        for value in reads { body(value) }  // only engine ops write
    }

    /// The same op with every value reference passed through `map` (loop bodies included).
    public func mappingValues(_ map: (ValueID) -> ValueID) -> OpKind {
        switch self {
        case .constant, .iota, .alloc, .hbmAlloc, .syncSignal, .syncWait: return self
        case .view(let base, let offset): return .view(map(base), offset: offset)
        case .unary(let f, let a): return .unary(f, map(a))
        case .binary(let op, let a, let b): return .binary(op, map(a), map(b))
        case .broadcast(let a): return .broadcast(map(a))
        case .reduce(let kind, let a, let axis): return .reduce(kind, map(a), axis: axis)
        case .matmul(let a, let b): return .matmul(map(a), map(b))
        case .scan(let a, let b, let axis): return .scan(map(a), map(b), axis: axis)
        case .transpose(let a): return .transpose(map(a))
        case .permute(let a, let perm): return .permute(map(a), perm: perm)
        case .reshape(let a): return .reshape(map(a))
        case .slice(let a, let offsets, let strides): return .slice(map(a), offsets: offsets, strides: strides)
        case .concat(let operands, let axis): return .concat(operands.map(map), axis: axis)
        case .gather(let table, let indices): return .gather(map(table), map(indices))
        case .topk(let a, let k, let indices): return .topk(map(a), k: k, indices: indices)
        case .scatterAdd(let table, let ids, let values): return .scatterAdd(map(table), map(ids), map(values))
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
        case .engine(let instruction): return .engine(instruction.mappingValues(map))
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
