// FoldCopies.swift: the `fold-copies` pass: a tile's copy, cast or row reduction done by the op computing the tile.

import KilnMachine
import KilnPluginAPI
import KilnTileIR

/// `fold-copies`: saves the engine op that only moves a freshly computed tile. The tile form writes every
/// assignment to a `var` as a copy (`s = nc_matmul(q, k) * scale` computes the product into a new tile, then copies
/// it into `s`), every `as` as a converting copy and every `sum(p, axis: 1)` as its own pass over `p`; a
/// hand-written online softmax spends a third of its vector- and scalar-engine time on them.
///
/// Algorithm, per block (loop bodies first), for each op C in order, with P the last op of the block before C that
/// writes C's source tile T (T an `alloc`ed tile, not a view and viewed by none):
/// 1. Copy or cast: C is `dve.copy T -> U` or `act.activate identity T -> U` (scale 1, bias 0, no reduce), P is
///    T's only writer and P and C are T's only uses, U is in T's memory with T's shape, and no op between P and C (loop bodies included) touches
///    U's memory. If the dtypes are equal, P may be any engine op; if not, T must be `f32` and P an `act.activate`,
///    `dve.tensor_scalar` or `dve.tensor_tensor`, which compute in f32 and round once to their destination, so
///    writing U is the f32 result then the cast (Docs/numerics.md, "Fused chains"). If P reads U's memory it must
///    be one of those three or `pool.affine_select` (elementwise: each element read before it is written) reading
///    U itself. P then writes U, and C goes.
/// 2. Row reduction: C is `dve.reduce add|max|min T -> r` with initial 0, T `f32` with one free dim, P an
///    `act.activate` or `dve.tensor_scalar` without a reduce, r `f32`, no op between P and C writes T, and neither P nor an op between
///    them touches r's memory. P then
///    reduces as it writes (`reduce OP -> r`: the f32 results, in order, which T holds exactly), and C goes.
/// The tile P then writes, if its `alloc` comes after P, moves to just before P.
/// After a fold, C's source may be another candidate's (a reduction folded first leaves the cast as T's only other
/// use): the block is walked until nothing folds. Every value computed is the one the unfolded program computes,
/// bit for bit, so no executor's result changes.
public struct FoldCopies: Pass {
    public let name = "fold-copies"
    public let summary = "fold a fresh tile's copy into a var, cast or row reduction into the op that computes the tile"

    public init() {}

    public func run(on module: inout Module, context: inout PassContext) throws {
        for index in module.functions.indices {
            var folder = CopyFolder(module.functions[index])
            module.functions[index].body = folder.fold(module.functions[index].body)
        }
    }
}

/// The rewriting behind `fold-copies`.
struct CopyFolder {
    let views: TileViews
    /// Root tiles some view names (never folded: their memory has other names).
    let viewed: Set<ValueID>
    var types: [ValueID: IRType] = [:]
    /// Ops that refer to each root tile, and ops that write it, over the whole function.
    var uses: [ValueID: Int] = [:]
    var writers: [ValueID: Int] = [:]

    init(_ function: Function) {
        views = TileViews(function)
        viewed = Set(views.aliases.values.map(\.root))
        for parameter in function.parameters { types[parameter.value.id] = parameter.value.type }
        var types = self.types
        var uses: [ValueID: Int] = [:], writers: [ValueID: Int] = [:]
        let views = self.views
        function.body.walk { op in
            for definition in op.definitions { types[definition.id] = definition.type }
            for root in Set(op.kind.uses.map(views.root)) { uses[root, default: 0] += 1 }
            for root in Set(op.kind.writes.map(views.root)) { writers[root, default: 0] += 1 }
        }
        self.types = types
        self.uses = uses
        self.writers = writers
    }

    /// The engine ops that compute in f32 and round once to their destination's dtype.
    static let computing: Set<EngineOp> = [.actActivate, .dveTensorScalar, .dveTensorTensor]
    /// The ops that may write over a tile they read (each element read before it is written).
    static let elementwise: Set<EngineOp> = [.actActivate, .dveTensorScalar, .dveTensorTensor, .poolAffineSelect]

    mutating func fold(_ block: Block) -> Block {
        var ops = block.ops.map { op -> Operation in
            guard case .forLoop(var loop) = op.kind else { return op }
            loop.body = fold(loop.body)
            var rewritten = op
            rewritten.kind = .forLoop(loop)
            return rewritten
        }
        var changed = true
        while changed {
            changed = false
            var index = 0
            while index < ops.count {
                if let producer = foldable(ops, at: index) {
                    apply(&ops, consumer: index, producer: producer)
                    changed = true
                } else {
                    index += 1
                }
            }
        }
        return Block(ops)
    }

    /// What op C at `index` folds into: the producer's position, when one of the rules applies.
    func foldable(_ ops: [Operation], at index: Int) -> Int? {
        guard let (source, written) = Self.copy(ops[index]) ?? ops[index].kind.asReduce.map({ ($0.source, $0.destination) }),
              source == views.root(source), !viewed.contains(source),
              let producer = ops[..<index].lastIndex(where: { $0.kind.writes.contains(source) }),
              let made = ops[producer].kind.instruction, case .tile(let tile)? = types[source],
              Self.definedBefore(written, producer, in: ops) else { return nil }
        if let (_, destination) = Self.copy(ops[index]) {
            guard writers[source] == 1, uses[source] == 2, case .tile(let target)? = types[destination], target.space == tile.space,
                  target.shape == tile.shape, !touched(views.root(destination), in: ops[(producer + 1) ..< index]) else { return nil }
            if target.element != tile.element {
                guard tile.element == .f32, Self.computing.contains(made.op) else { return nil }
            }
            let readsTarget = ops[producer].kind.reads.filter { views.root($0) == views.root(destination) }
            if !readsTarget.isEmpty {
                guard Self.elementwise.contains(made.op), readsTarget.allSatisfy({ $0 == destination }) else { return nil }
            }
            return producer
        }
        guard let reduce = ops[index].kind.asReduce, ops[index].kind.instruction?.operands.last == .scalar(.constant(0)),
              tile.element == .f32, tile.freeDims.count == 1, types[reduce.destination]?.tileType?.element == .f32,
              !touched(views.root(reduce.destination), in: ops[producer ..< index]),
              !isWritten(source, in: ops[(producer + 1) ..< index]) else { return nil }
        if let activation = ops[producer].kind.asActivation, activation.reduce == nil { return producer }
        if made.op == .dveTensorScalar, case .reduceInto(nil)? = made.operands.last { return producer }
        return nil
    }

    /// True if `value` is defined outside the block, before `position`, or by an `alloc` the fold can move there.
    static func definedBefore(_ value: ValueID, _ position: Int, in ops: [Operation]) -> Bool {
        guard let definition = ops.firstIndex(where: { $0.result?.id == value }) else { return true }
        if definition < position { return true }
        if case .alloc = ops[definition].kind { return true }
        return false
    }

    /// `dve.copy T -> U` or `act.activate identity T -> U` with no scale, bias or reduce: (T, U).
    static func copy(_ op: Operation) -> (source: ValueID, destination: ValueID)? {
        if let copy = op.kind.asUnaryTileOp(.dveCopy) { return copy }
        guard let activation = op.kind.asActivation, activation.function == .identity, activation.reduce == nil,
              activation.scale == .constant(1), activation.bias == .constant(0) else { return nil }
        return (activation.source, activation.destination)
    }

    /// True if any op of `ops` (loop bodies included) refers to memory whose root is `root`.
    func touched(_ root: ValueID, in ops: ArraySlice<Operation>) -> Bool {
        var found = false
        for op in ops {
            Block([op]).walk { inner in inner.kind.forEachUse { if views.root($0) == root { found = true } } }
            if found { return true }
        }
        return false
    }

    /// True if any op of `ops` (loop bodies included) writes memory whose root is `root`.
    func isWritten(_ root: ValueID, in ops: ArraySlice<Operation>) -> Bool {
        var found = false
        for op in ops {
            Block([op]).walk { inner in if inner.kind.writes.contains(where: { views.root($0) == root }) { found = true } }
            if found { return true }
        }
        return false
    }

    /// Rewrites the producer to do the consumer's work and removes the consumer (keeping the use counts).
    mutating func apply(_ ops: inout [Operation], consumer index: Int, producer: Int) {
        let consumer = ops[index]
        for root in Set(consumer.kind.uses.map(views.root)) { uses[root, default: 0] -= 1 }
        for root in Set(consumer.kind.writes.map(views.root)) { writers[root, default: 0] -= 1 }
        for root in Set(ops[producer].kind.uses.map(views.root)) { uses[root, default: 0] -= 1 }
        for root in Set(ops[producer].kind.writes.map(views.root)) { writers[root, default: 0] -= 1 }
        if let (source, destination) = Self.copy(consumer) {
            ops[producer].kind = ops[producer].kind.mappingValues { $0 == source ? destination : $0 }
        } else if let reduce = consumer.kind.asReduce {
            let into = FreeAxisReduce(reduce.op, into: reduce.destination)
            if var activation = ops[producer].kind.asActivation {
                activation.reduce = into
                ops[producer].kind = .actActivate(activation)
            } else if let scalar = ops[producer].kind.asTensorScalar {
                ops[producer].kind = .dveTensorScalar(scalar.op, scalar.a, scalar.scalar, destination: scalar.destination,
                                                      reduce: into)
            }
        }
        for root in Set(ops[producer].kind.uses.map(views.root)) { uses[root, default: 0] += 1 }
        for root in Set(ops[producer].kind.writes.map(views.root)) { writers[root, default: 0] += 1 }
        ops.remove(at: index)
        // The tile the producer now writes is defined before it (an `alloc` made after it moves up).
        let written = Self.copy(consumer)?.destination ?? consumer.kind.asReduce?.destination
        if let written, let definition = ops.firstIndex(where: { $0.result?.id == written }), definition > producer {
            let alloc = ops.remove(at: definition)
            ops.insert(alloc, at: producer)
        }
    }
}
