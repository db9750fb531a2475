// FunctionLowering+Statements.swift: let, var, assignments, PSUM accumulation flags, loops with remainder peeling, return.

import KilnMachine
import KilnSema
import KilnSource
import KilnSyntax
import KilnTileIR

/// What lowering tracks about a `var` tile: its IR value, the loop depth it was declared at, where its
/// `alloc` is (so a remainder iteration can shrink it before the first write), and whether the next
/// accumulation opens a PSUM group (`start`) because the buffer was declared zero (or uninitialised).
struct BufferState {
    var id: ValueID
    var name: String
    var depth: Int
    var allocBlock: Int
    var allocIndex: Int
    var written = false
    var startPending: Bool
    /// Declared with a fill (`= 0.0`): every element holds a value before the first write.
    var filled = false
    /// The SBUF tile a PSUM buffer's fill is made in and copied from (reshaped with the buffer by `buffer`).
    var fillSource: ValueID?
}

/// One enclosing loop: its variable (an IR induction variable or a peeled constant), the values it takes
/// over the whole loop, and its body (to place accumulation flags).
struct LoopFrame {
    var name: String
    var value: Lowered
    var first: Int
    var last: Int
    var body: [Statement]
    /// For a loop whose bounds move with outer loop variables (`for j in i ..< i + 256`): the variable is
    /// `offset + t` with `t` the IR induction variable from 0 (`first`/`last` are t's), and `offsetRange` the
    /// values the offset takes over the outer loops.
    var offset = IRAffine(constant: 0)
    var offsetRange = 0...0
    /// The last value the IR induction variable takes (`last` counts the peeled iterations after it too).
    var inductionLast: Int?

    /// The values the loop variable takes in this lowering of the body.
    var range: ClosedRange<Int> {
        if case .constant(let value, _) = value { return Int(value)...Int(value) }
        return (first + offsetRange.lowerBound)...((inductionLast ?? last) + offsetRange.upperBound)
    }
}

extension FunctionLowering {
    func lowerStatement(_ statement: Statement, following: [Statement]) throws(LoweringFailed) {
        switch statement.kind {
        case .letBinding(let name, _, let value):
            boundExpression = value.id
            defer { boundExpression = nil }
            let lowered = try lower(value)
            if case .value(let id, _) = lowered { nameValue(id, name.name) }
            locals[name.span] = lowered
        case .varDecl(let name, let syntax, let initial):
            try declareBuffer(name, syntax, initial, following: following)
        case .assign(let target, let op, let value):
            try assign(target, op, value, span: statement.span, following: following)
        case .assignWindow(let target, let op, let value):
            try assignWindow(target, op, value, span: statement.span)
        case .forLoop(let variable, let lower, let upper, let step, let body):
            try lowerLoop(variable, lower, upper, step, body, span: statement.span)
        case .ifStatement:
            throw fail(DiagnosticCatalogue.loweringUnsupported("this 'if'", reason: "an 'if' is decided before its block is lowered",
                                                               at: statement.span))
        case .returnValues(let values):
            var operands: [ValueID] = []
            for (value, output) in zip(values, results) {
                guard let type = type(of: output) else { throw fail(DiagnosticCatalogue.loweringUntyped(at: value.span)) }
                let lowered = try lower(value)
                if lowered.tile != nil { throw fail(DiagnosticCatalogue.loweringUntyped(at: value.span)) }
                operands.append(try coerce(lowered, to: type.valueType, at: value.span))
            }
            emit(.ret(operands), at: statement.span)
        case .expression(let expr):
            _ = try lower(expr)
        }
    }

    /// Gives an op's result the name of the `let` it was bound to, when the op was just emitted.
    func nameValue(_ id: ValueID, _ name: String) {
        let block = blocks.count - 1
        guard let index = blocks[block].lastIndex(where: { $0.result?.id == id }), blocks[block][index].result?.nameHint == nil else { return }
        blocks[block][index].result?.nameHint = name
    }

    // MARK: var and assignment

    /// `var t: space dt[P, F] [= fill]`: an `alloc`. A PSUM buffer filled with zero (or not at all) that is
    /// accumulated into later is not filled: its first `pe.matmul` carries `start` instead.
    func declareBuffer(_ name: Identifier, _ syntax: TypeSyntax, _ initial: Expr?, following: [Statement]) throws(LoweringFailed) {
        guard let declared = program.declarations[name.span], case .tile(let tile) = try irType(declared, at: syntax.span) else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: name.span))
        }
        var fillValue: Double?
        if let initial {
            guard case .constant(let number, _) = try lower(initial) else {
                throw fail(DiagnosticCatalogue.loweringUnsupported("this fill", reason: "a var is filled with a constant", at: initial.span))
            }
            fillValue = number
        }
        let accumulates = following.contains { Self.accumulates(into: name.name, $0) }
        let startPending = tile.space == .psum && accumulates && (fillValue ?? 0) == 0
        let block = blocks.count - 1
        let id = allocate(tile, at: name.span, name: name.name)
        varScopes[varScopes.count - 1][name.name] = name.span
        buffers[name.span] = BufferState(id: id, name: name.name, depth: loopFrames.count, allocBlock: block,
                                         allocIndex: blocks[block].count - 1, written: false, startPending: startPending,
                                         filled: fillValue != nil)
        locals[name.span] = .value(id, .tile(tile))
        if let fillValue, !startPending {
            // Not yet `written`: the first write may still shrink the buffer to a remainder tile's region, as the
            // language says (the fill is where that write starts from; Docs/numerics.md, "Tile-level code").
            let filled = fill(tile, with: fillValue, at: initial?.span ?? name.span, into: id)
            if tile.space == .psum { buffers[name.span]?.fillSource = fillSourceTile(copiedInto: filled) }
        }
    }

    /// The buffer a name refers to (the innermost `var` of that name), shrunk to `shape` if this is its first
    /// write and it is larger there (a remainder iteration); a later write of another shape is an error.
    func buffer(_ target: Identifier, shape: [Int]?, at span: SourceSpan) throws(LoweringFailed) -> (SourceSpan, BufferState, TileType) {
        guard let key = bufferKey(target.name), var state = buffers[key],
              case .tile(var tile)? = type(of: state.id) else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: target.span))
        }
        if let shape, shape != tile.shape {
            guard !state.written, shape.count == tile.shape.count, zip(shape, tile.shape).allSatisfy({ $0 <= $1 }) else {
                throw fail(DiagnosticCatalogue.loweringRemainder("'\(target.name)' is \(IRType.tile(tile)) but a value of shape "
                    + "[\(shape.map(String.init).joined(separator: ", "))] is written into it", at: span))
            }
            tile = resize(key, state, to: shape)
        }
        state.written = true
        buffers[key] = state
        return (key, state, tile)
    }

    /// Gives a buffer nothing has written yet another (smaller) region: its `alloc` and the SBUF tile its fill is
    /// made in are changed in place, so the fill already emitted fills the new region.
    func resize(_ key: SourceSpan, _ state: BufferState, to shape: [Int]) -> TileType {
        guard case .tile(let old)? = type(of: state.id) else { return TileType(.sbuf, .f32, partitions: shape[0], free: []) }
        let tile = TileType(old.space, old.element, partitions: shape[0], free: Array(shape.dropFirst()))
        blocks[state.allocBlock][state.allocIndex].kind = .alloc(tile, nil)
        blocks[state.allocBlock][state.allocIndex].result?.type = .tile(tile)
        valueTypes[state.id] = .tile(tile)
        if let source = state.fillSource,
           let index = blocks[state.allocBlock].firstIndex(where: { $0.result?.id == source }) {
            let sbuf = tile.with(element: tile.element, space: .sbuf)
            blocks[state.allocBlock][index].kind = .alloc(sbuf, nil)
            blocks[state.allocBlock][index].result?.type = .tile(sbuf)
            valueTypes[source] = .tile(sbuf)
        }
        locals[key] = .value(state.id, .tile(tile))
        return tile
    }

    /// A `var` filled with a constant and not yet written, met in an elementwise op by a tile of fewer partitions
    /// (the rows of a remainder iteration), takes those partitions, as its first write would give it its region
    /// (a loop-carried running max or sum read before it is first assigned). Any other value is returned as it is.
    func fitUnwrittenBuffer(_ value: Lowered, toPartitions partitions: Int) -> Lowered {
        guard case .value(let id, .tile(let tile)) = value, tile.partitions > partitions,
              let (key, state) = buffers.first(where: { $0.value.id == id }), !state.written else { return value }
        let resized = resize(key, state, to: [partitions] + tile.freeDims)
        return .value(id, .tile(resized))
    }

    /// `t = e` (the value written into `t`) and `t += e` (accumulated: `pe.matmul` into a PSUM buffer with start and
    /// stop flags, or a vector-engine add: an SBUF buffer adds the product, made in a PSUM tile of its own).
    func assign(_ target: Identifier, _ op: AssignOp, _ value: Expr, span: SourceSpan, following: [Statement]) throws(LoweringFailed) {
        if case .call = value.kind, case .builtin(.nc_matmul)? = program.calls[value.id], case .call(_, let arguments) = value.kind,
           isPSUMBuffer(target) {
            let (stationary, moving) = (try lower(arguments[0].value), try lower(arguments[1].value))
            guard let (_, sTile) = stationary.tile, let (_, mTile) = moving.tile else { throw fail(DiagnosticCatalogue.loweringUntyped(at: value.span)) }
            let (key, state, _) = try buffer(target, shape: [sTile.freeElements, mTile.freeElements], at: span)
            var (start, stop) = (IterationCondition.always, IterationCondition.always)
            if op == .accumulate {
                (start, stop) = try accumulationFlags(key, state, following: following, at: span)
            } else if state.depth == loopFrames.count {
                // `acc = nc_matmul(...)` opens the group; a later `+=` in the buffer's block continues it.
                buffers[key]?.startPending = false
                if following.contains(where: { Self.accumulates(into: state.name, $0) }) { stop = .never }
            }
            _ = try matmulTile(stationary, moving, into: state.id, at: span, start: start, stop: stop)
            return
        }
        if case .call = value.kind, case .builtin(.nc_matmul_mx)? = program.calls[value.id], case .call(_, let arguments) = value.kind,
           isPSUMBuffer(target) {
            // `acc = / += nc_matmul_mx(...)`: as nc_matmul's accumulation group, with pe.matmul_mx.
            var operands: [Lowered] = []
            for argument in arguments { operands.append(try lower(argument.value)) }
            guard operands.count == 4, let (_, sTile) = operands[0].tile, let (_, mTile) = operands[1].tile else {
                throw fail(DiagnosticCatalogue.loweringUntyped(at: value.span))
            }
            let (key, state, _) = try buffer(target, shape: [sTile.freeElements, mTile.freeElements], at: span)
            var (start, stop) = (IterationCondition.always, IterationCondition.always)
            if op == .accumulate {
                (start, stop) = try accumulationFlags(key, state, following: following, at: span)
            } else if state.depth == loopFrames.count {
                buffers[key]?.startPending = false
                if following.contains(where: { Self.accumulates(into: state.name, $0) }) { stop = .never }
            }
            _ = try matmulMXTile(operands, into: state.id, at: span, start: start, stop: stop)
            return
        }
        if op == .assign, case .call = value.kind, case .builtin(.load)? = program.calls[value.id], case .call(_, let arguments) = value.kind {
            let slice = try hbmSlice(arguments[0].value)
            let (_, state, _) = try buffer(target, shape: Self.tileShape(ofSlice: slice.shape, arguments[0].value), at: span)
            emit(.dmaLoad(DMATransfer(hbm: slice.hbm, offsets: slice.offsets, tile: state.id)), at: span)
            return
        }
        let lowered = try lower(value)
        // `acc += t` with a remainder tile `t` adds into the region both hold; the rest of `acc` is unchanged. The
        // first write into a buffer gives it the written tile's shape instead (`buffer`).
        let partial = op == .accumulate && isWritten(target) && lowered.tile.map { !isSized(target, like: $0.1) } == true
        let (_, state, tile) = try buffer(target, shape: partial ? nil : lowered.tile?.1.shape, at: span)
        if partial, case .value(let id, .tile(let small)) = lowered {
            try accumulateCorner(id, small, into: state.id, tile, at: span)
            return
        }
        switch (op, lowered) {
        case (.assign, .constant(let number, _)):
            _ = fill(tile, with: number, at: span, into: state.id)
        case (.assign, .value(let id, .tile)):
            emit(.dveCopy(source: id, destination: state.id), at: span)
        case (.accumulate, .value(let id, .tile)):
            emit(.dveTensorTensor(.add, state.id, id, destination: state.id), at: span)
        case (.accumulate, _):
            guard let scalar = scalarOperand(lowered, partitions: tile.partitions) else { throw fail(DiagnosticCatalogue.loweringUntyped(at: value.span)) }
            emit(.dveTensorScalar(.add, state.id, scalar, destination: state.id), at: span)
        default:
            throw fail(DiagnosticCatalogue.loweringUnsupported("this assignment", reason: "a var takes a tile or a constant", at: value.span))
        }
    }

    /// The tile the last op of the current block copies into `psum` (a PSUM fill's SBUF source).
    func fillSourceTile(copiedInto psum: ValueID) -> ValueID? {
        guard let copy = blocks.last?.last?.kind.instruction, copy.op == .dveCopy, copy.tile(1) == psum else { return nil }
        return copy.tile(0)
    }

    /// The declaration of the innermost `var` named `name` in scope (its key in `buffers`).
    func bufferKey(_ name: String) -> SourceSpan? {
        varScopes.reversed().lazy.compactMap { $0[name] }.first
    }

    /// True if `target` names a `var` buffer in PSUM.
    func isPSUMBuffer(_ target: Identifier) -> Bool {
        guard let key = bufferKey(target.name), let state = buffers[key],
              case .tile(let buffer)? = type(of: state.id) else { return false }
        return buffer.space == .psum
    }

    /// True if something was written into the buffer `target` since its declaration (or it is not a buffer).
    func isWritten(_ target: Identifier) -> Bool {
        guard let key = bufferKey(target.name), let state = buffers[key] else { return true }
        return state.written
    }

    /// True if the buffer `target` already has the shape of `tile` (or is not a buffer at all).
    func isSized(_ target: Identifier, like tile: TileType) -> Bool {
        guard let key = bufferKey(target.name), let state = buffers[key],
              case .tile(let buffer)? = type(of: state.id) else { return true }
        return buffer.shape == tile.shape
    }

    /// `acc += t` where `t` is a remainder tile smaller than `acc`: `dve.tensor_corner add` adds `t` into the
    /// leading corner of `acc` it covers and leaves the rest of `acc` as it is, as the language says (the region
    /// both tiles hold). A `t` that does not fit within `acc` is a lowering error.
    func accumulateCorner(_ small: ValueID, _ smallTile: TileType, into buffer: ValueID, _ tile: TileType,
                          at span: SourceSpan) throws(LoweringFailed) {
        guard smallTile.shape.count == tile.shape.count, zip(smallTile.shape, tile.shape).allSatisfy({ $0 <= $1 }) else {
            throw fail(DiagnosticCatalogue.loweringRemainder("'+=' adds a value of \(IRType.tile(smallTile)) into "
                + "\(IRType.tile(tile)), which it does not fit", at: span))
        }
        emit(.dveTensorCorner(.add, source: small, destination: buffer), at: span)
    }

    /// The `start`/`stop` flags of `acc += nc_matmul(...)`. The group opens at the first accumulation of a
    /// zero-declared buffer and closes at the last one: in the buffer's own block these are the first and
    /// last `+=` statements; in a loop directly inside that block (the usual loop over K) they are the
    /// first and last `+=` of the body on the loop's first and last iteration (`start(%k == 0)`,
    /// `stop(%k == 384)`), or plain `start`/`stop` in a peeled iteration.
    func accumulationFlags(_ key: SourceSpan, _ state: BufferState, following: [Statement],
                           at span: SourceSpan) throws(LoweringFailed) -> (IterationCondition, IterationCondition) {
        let loops = Array(loopFrames[state.depth...])
        let laterInBlock = following.contains { Self.accumulates(into: state.name, $0) }
        if loops.isEmpty {
            let start: IterationCondition = state.startPending ? .always : .never
            buffers[key]?.startPending = false
            return (start, laterInBlock ? .never : .always)
        }
        guard loops.count == 1, let loop = loops.first else {
            throw fail(DiagnosticCatalogue.loweringAccumulation(state.name,
                reason: "it accumulates across \(loops.count) nested loops; one loop (over K) between the var and its '+=' is supported",
                at: span))
        }
        let position = loop.body.firstIndex { $0.span.start <= span.start && span.end <= $0.span.end } ?? 0
        let earlierInBody = loop.body[..<position].contains { Self.accumulates(into: state.name, $0) }
        func condition(_ value: Int) -> IterationCondition {
            switch loop.value {
            case .value(let id, _): return .when(id, equals: value)
            case .constant(let number, _): return Int(number) == value ? .always : .never
            }
        }
        let start = state.startPending && !earlierInBody ? condition(loop.first) : .never
        let stop = laterInBlock ? .never : condition(loop.last)
        return (start, stop)
    }

    /// True if a statement (or a loop body in it) accumulates into the buffer `name`.
    static func accumulates(into name: String, _ statement: Statement) -> Bool {
        switch statement.kind {
        case .assign(let target, .accumulate, _): return target.name == name
        case .forLoop(_, _, _, _, let body): return body.statements.contains { accumulates(into: name, $0) }
        case .ifStatement(_, let then, let otherwise):
            return (then.statements + (otherwise?.statements ?? [])).contains { accumulates(into: name, $0) }
        default: return false
        }
    }
}
