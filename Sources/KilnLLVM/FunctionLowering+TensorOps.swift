// FunctionLowering+TensorOps.swift: tensor-level ops as loop nests over whole tensors, with elementwise fusion.

internal import CLLVM
import KilnMachine
import KilnNumerics
import KilnSource
import KilnTileIR

extension FunctionLowering {
    /// Lowers a tensor-level op: lazy values emit nothing here; scalars are computed once; everything else is
    /// materialised into a buffer (the output buffer when the value is returned).
    func lowerTensorOp(_ op: Operation) {
        guard let result = op.result else { return }
        if case .scalar = result.type {
            values[result.id] = .scalar(element(result.id, at: []))
            return
        }
        guard let tensor = result.type.tensorType else {
            unsupported("'\(op.opcode)' with a result of type \(result.type)", op.span)
            return
        }
        if lazyValues.contains(result.id) {
            values[result.id] = .lazy
            return
        }
        let target = destinations[result.id] ?? scratch(tensor.element, shape: tensor.shape)
        switch op.kind {
        case .reduce(let kind, let source, let axis):
            emitReduce(kind, source, axis: axis, into: target)
        case .matmul(let lhs, let rhs):
            emitMatmul(lhs, rhs, into: target)
        case .transpose(let source):
            lowering.emitLoopNest(target.shape) { index in
                var swapped = index
                swapped.swapAt(index.count - 1, index.count - 2)
                let value = element(source, at: swapped)
                lowering.storeElement(value, target.pointer, target.element, index: lowering.linearIndex(index, shape: target.shape))
            }
        case .call(let name, let arguments):
            emitCall(name, arguments, into: target, span: op.span)
        case .scan(let a, let bValue, _):
            emitScan(a, bValue, into: target)
        case .concat(let operands, let axis):
            emitConcat(operands, axis: axis, into: target)
        case .gather(let table, let indices):
            emitGather(table, indices, into: target, span: op.span)
        case .scatterAdd(let table, let indices, let added):
            emitScatterAdd(table, indices, added, into: target, span: op.span)
        case .topk(let source, let k, let indices):
            emitTopK(source, k: k, indices: indices, into: target)
        default:
            values[result.id] = .lazy   // evaluated by `materialise` below, once, into the buffer
            materialise(result.id, into: target)
        }
        values[result.id] = .buffer(target)
    }

    /// Stores every element of `value` into `buffer` (a loop nest over the buffer's shape).
    func materialise(_ value: ValueID, into buffer: LoweredBuffer) {
        emitElementLoop(buffer.shape) { index in
            lowering.storeElement(element(value, at: index), buffer.pointer, buffer.element, index: position(in: buffer, index))
        }
    }

    /// Copies (converting) a value into an output buffer at `return`.
    func store(_ value: ValueID, into buffer: LoweredBuffer, span: SourceSpan) {
        if case .buffer(let source)? = values[value], source.count != buffer.count {
            unsupported("returning a \(source.shape) value into an output of shape \(buffer.shape)", span)
            return
        }
        materialise(value, into: buffer)
    }

    /// The shape of a value's type (`[]` for scalars).
    func shape(of value: ValueID) -> [Int] {
        switch types[value] {
        case .tensor(let tensor)?, .hbm(let tensor)?: tensor.shape
        case .tile(let tile)?: tile.shape
        default: []
        }
    }

    /// The value of `value` at `index` (one i64 per dim of its shape), computed at the builder's position:
    /// loaded from its buffer, or, for a lazy value, computed from its operands (recursively), rounded to its
    /// element type as a stored value would be.
    func element(_ value: ValueID, at index: [LLVMValueRef]) -> ComputedValue {
        switch values[value] {
        case .buffer(let buffer)?:
            return lowering.loadElement(buffer.pointer, buffer.element, index: position(in: buffer, index))
        case .scalar(let computed)?:
            return computed
        case .index(let induction)?:
            return ComputedValue(ref: LLVMBuildSIToFP(b, induction, lowering.types.f64, ""), kind: .f64)
        case .lazy?, nil:
            guard let op = definitions[value], let type = types[value], let elementType = type.element else {
                return lowering.constant(0, kind: .f32)
            }
            // Fused instructions keep the location of the op they come from, not of their consumer.
            let consumerLocation = LLVMGetCurrentDebugLocation2(b)
            lowering.debugInfo?.setLocation(op.span, lowering: lowering)
            defer { if lowering.debugInfo != nil { LLVMSetCurrentDebugLocation2(b, consumerLocation) } }
            if case .broadcast(let source) = op.kind, case .scalar(let scalar)? = types[source], scalar != elementType {
                // A float scalar broadcast into a tensor of another float element is an f32 immediate, not
                // rounded to the tensor's element (Docs/numerics.md).
                return element(source, at: [])
            }
            return lowering.round(evaluate(op, at: index, elementType), to: elementType)
        }
    }

    private func evaluate(_ op: Operation, at index: [LLVMValueRef], _ elementType: ElementType) -> ComputedValue {
        let kind = ComputeKind(elementType)
        switch op.kind {
        case .constant(let value):
            return lowering.constant(elementType.convert(value), kind: kind)
        case .iota(let axis):
            guard axis < index.count else { return lowering.constant(0, kind: kind) }
            let position = ComputedValue(ref: LLVMBuildSIToFP(b, index[axis], lowering.types.f64, ""), kind: .f64)
            return lowering.convert(position, to: kind)
        case .unary(let function, let source):
            return lowering.unary(function, element(source, at: index))
        case .binary(let op, let lhs, let rhs):
            return lowering.binary(op, element(lhs, at: index), element(rhs, at: index))
        case .broadcast(let source):
            return element(source, at: broadcastIndex(index, to: shape(of: source)))
        case .slice(let source, let offsets, let strides):
            // Element i of dim d is the source's offsets[d] + i * strides[d].
            let shifted = zip(index, zip(offsets, strides)).map { (i, slice) -> LLVMValueRef in
                let scaled = slice.1 == 1 ? i : LLVMBuildMul(b, i, lowering.int64(slice.1), "")!
                return slice.0 == 0 ? scaled : LLVMBuildAdd(b, scaled, lowering.int64(slice.0), "")!
            }
            return element(source, at: shifted)
        case .permute(let source, let perm):
            // Result axis i is the source's axis perm[i].
            var sourceIndex = index
            for (axis, from) in perm.enumerated() where axis < index.count && from < index.count { sourceIndex[from] = index[axis] }
            return element(source, at: sourceIndex)
        case .reshape(let source):
            // The same row-major position, split along the source's dims.
            var linear = lowering.linearIndex(index, shape: op.result?.type.tensorType?.shape ?? [])
            let sourceShape = shape(of: source)
            var sourceIndex = [LLVMValueRef](repeating: lowering.int64(0), count: sourceShape.count)
            for axis in sourceShape.indices.reversed() {
                sourceIndex[axis] = axis == 0 ? linear : LLVMBuildURem(b, linear, lowering.int64(sourceShape[axis]), "")!
                if axis > 0 { linear = LLVMBuildUDiv(b, linear, lowering.int64(sourceShape[axis]), "")! }
            }
            return element(source, at: sourceIndex)
        case .select(let condition, let whenTrue, let whenFalse):
            let c = lowering.convert(element(condition, at: index), to: .bool)
            let t = lowering.convert(element(whenTrue, at: index), to: kind)
            let f = lowering.convert(element(whenFalse, at: index), to: kind)
            return ComputedValue(ref: LLVMBuildSelect(b, c.ref, t.ref, f.ref, ""), kind: kind)
        case .cast(let source):
            return lowering.convert(element(source, at: index), to: kind)
        default:
            unsupported("'\(op.opcode)' as an elementwise operand", op.span)
            return lowering.constant(0, kind: kind)
        }
    }

    /// `gather`: for each index (materialised, i32), its table row copied into the target's row at that position.
    private func emitGather(_ table: ValueID, _ indices: ValueID, into target: LoweredBuffer, span: SourceSpan) {
        let tableShape = shape(of: table)
        guard tableShape.count == 2 else { return }
        let positions = buffer(indices, element: .i32)
        let rows = buffer(table, element: types[table]?.element ?? target.element)
        let count = positions.count
        lowering.emitLoop(from: 0, to: count, name: "g") { position in
            let row = gatherRow(positions, at: position, rows: tableShape[0], span)
            let start = LLVMBuildNSWMul(b, row, lowering.int64(tableShape[1]), "")!
            let out = LLVMBuildNSWMul(b, position, lowering.int64(tableShape[1]), "")!
            lowering.emitLoop(from: 0, to: tableShape[1], name: "c") { c in
                let value = lowering.loadElement(rows.pointer, rows.element, index: LLVMBuildNSWAdd(b, start, c, "")!)
                lowering.storeElement(value, target.pointer, target.element, index: LLVMBuildNSWAdd(b, out, c, "")!)
            }
        }
    }

    /// `scatter_add`: the table copied, then for each index in order its row of values added in f32 and rounded to the
    /// table's element; an index outside the rows stops the kernel (status 2 + gathers + k).
    private func emitScatterAdd(_ table: ValueID, _ indices: ValueID, _ added: ValueID, into target: LoweredBuffer,
                                span: SourceSpan) {
        let tableShape = shape(of: table)
        guard tableShape.count == 2 else { return }
        let rows = buffer(table, element: target.element)
        lowering.emitLoop(from: 0, to: target.count, name: "copy") { i in
            lowering.storeElement(lowering.loadElement(rows.pointer, rows.element, index: i), target.pointer, target.element, index: i)
        }
        let positions = buffer(indices, element: .i32), values = buffer(added, element: target.element)
        lowering.emitLoop(from: 0, to: positions.count, name: "s") { position in
            let row = gatherRow(positions, at: position, rows: tableShape[0], span, scatter: true)
            let start = LLVMBuildNSWMul(b, row, lowering.int64(tableShape[1]), "")!
            let source = LLVMBuildNSWMul(b, position, lowering.int64(tableShape[1]), "")!
            lowering.emitLoop(from: 0, to: tableShape[1], name: "c") { c in
                let at = LLVMBuildNSWAdd(b, start, c, "")!
                let sum = lowering.binary(.add, lowering.convert(lowering.loadElement(target.pointer, target.element, index: at), to: .f32),
                                          lowering.convert(lowering.loadElement(values.pointer, values.element,
                                                                                index: LLVMBuildNSWAdd(b, source, c, "")!), to: .f32))
                lowering.storeElement(sum, target.pointer, target.element, index: at)
            }
        }
    }

    /// A value's elements in a buffer: its own, or a scratch copy of a lazy value.
    private func buffer(_ value: ValueID, element: ElementType) -> LoweredBuffer {
        if case .buffer(let buffer)? = values[value] { return buffer }
        let copy = scratch(element, shape: shape(of: value))
        materialise(value, into: copy)
        return copy
    }

    /// `concat` along `axis`: each operand's elements, in a loop nest over its shape, stored at its offset.
    private func emitConcat(_ operands: [ValueID], axis: Int, into target: LoweredBuffer) {
        var offset = 0
        for operand in operands {
            let operandShape = shape(of: operand)
            guard axis < operandShape.count else { continue }
            let start = offset
            lowering.emitLoopNest(operandShape) { index in
                var placed = index
                if start != 0 { placed[axis] = LLVMBuildAdd(b, index[axis], lowering.int64(start), "") }
                lowering.storeElement(element(operand, at: index), target.pointer, target.element,
                                      index: lowering.linearIndex(placed, shape: target.shape))
            }
            offset += operandShape[axis]
        }
    }

    /// `scan` along the last axis: h = a[t] * h + b[t] from h = 0, each step in f32 (`dve.tensor_scan`'s
    /// numerics), every h stored rounded to the result's element.
    private func emitScan(_ a: ValueID, _ bValue: ValueID, into target: LoweredBuffer) {
        guard let length = target.shape.last else { return }
        let kind = ComputeKind.f32
        let slot = stackSlot(lowering.types.type(of: kind), name: "scan")
        lowering.emitLoopNest(Array(target.shape.dropLast())) { prefix in
            LLVMBuildStore(b, lowering.constant(0, kind: kind).ref, slot)
            lowering.emitLoop(from: 0, to: length, name: "t") { t in
                let index = prefix + [t]
                let state = ComputedValue(ref: LLVMBuildLoad2(b, lowering.types.type(of: kind), slot, ""), kind: kind)
                let next = lowering.scanStep(.mul, .add, element(a, at: index), state, element(bValue, at: index), kind: kind)
                LLVMBuildStore(b, next.ref, slot)
                lowering.storeElement(next, target.pointer, target.element, index: lowering.linearIndex(index, shape: target.shape))
            }
        }
    }

    /// Maps an index of the broadcast result to the source: dims aligned on the right; size-1 dims read index 0.
    private func broadcastIndex(_ index: [LLVMValueRef], to sourceShape: [Int]) -> [LLVMValueRef] {
        let lead = index.count - sourceShape.count
        return sourceShape.indices.map { dim in
            sourceShape[dim] == 1 || dim + lead < 0 ? lowering.int64(0) : index[dim + lead]
        }
    }

    /// `reduce` along `axis`. The last axis reduces in a register per output element; another axis
    /// accumulates whole rows, so the inner loop runs along contiguous memory. `mean` divides the sum.
    private func emitReduce(_ kind: ReduceKind, _ source: ValueID, axis: Int, into target: LoweredBuffer) {
        let sourceShape = shape(of: source)
        guard axis >= 0, axis < sourceShape.count else { return }
        let op: EngineReduceOp = kind == .max ? .max : (kind == .min ? .min : .add)
        let computeKind = ComputeKind(target.element) == .f64 ? ComputeKind.f64 : .f32
        let length = sourceShape[axis]
        func finish(_ accumulated: ComputedValue) -> ComputedValue {
            guard kind == .mean else { return kind == .sum ? lowering.wrappedI32(accumulated) : accumulated }
            let count = lowering.constant(Double(length), kind: accumulated.kind)
            return ComputedValue(ref: LLVMBuildFDiv(b, accumulated.ref, count.ref, ""), kind: accumulated.kind)
        }
        if axis == sourceShape.count - 1 || computeKind == .f64 {
            // One register accumulator per output element (i32 sums in f64 stay exact).
            let type = lowering.types.type(of: computeKind)
            let slot = stackSlot(type, name: "acc")
            emitElementLoop(target.shape) { position in
                LLVMBuildStore(b, lowering.reduceIdentity(op, kind: computeKind).ref, slot)
                lowering.emitLoop(from: 0, to: length, name: "r") { r in
                    var sourceIndex = position
                    sourceIndex[axis] = r
                    let accumulator = ComputedValue(ref: LLVMBuildLoad2(b, type, slot, ""), kind: computeKind)
                    LLVMBuildStore(b, lowering.reduceStep(op, accumulator, element(source, at: sourceIndex)).ref, slot)
                }
                let total = ComputedValue(ref: LLVMBuildLoad2(b, type, slot, ""), kind: computeKind)
                lowering.storeElement(finish(total), target.pointer, target.element, index: self.position(in: target, position))
            }
            return
        }
        // Another axis: accumulate whole f32 rows, so the innermost loop runs along contiguous memory.
        let accumulator = target.element == .f32 ? target : allocate(.f32, shape: target.shape)
        let before = Array(sourceShape[..<axis]), after = Array(sourceShape[(axis + 1)...])
        lowering.emitLoopNest(before) { outer in
            func position(_ inner: [LLVMValueRef]) -> LLVMValueRef {
                lowering.linearIndex(outer + [lowering.int64(0)] + inner, shape: target.shape)
            }
            lowering.emitLoopNest(after) { inner in
                lowering.storeElement(lowering.reduceIdentity(op, kind: .f32), accumulator.pointer, .f32, index: position(inner))
            }
            lowering.emitLoop(from: 0, to: length, name: "r") { r in
                lowering.emitLoopNest(after) { inner in
                    let current = lowering.loadElement(accumulator.pointer, .f32, index: position(inner))
                    let next = lowering.reduceStep(op, current, element(source, at: outer + [r] + inner))
                    lowering.storeElement(next, accumulator.pointer, .f32, index: position(inner))
                }
            }
            lowering.emitLoopNest(after) { inner in
                let total = lowering.loadElement(accumulator.pointer, .f32, index: position(inner))
                lowering.storeElement(finish(total), target.pointer, target.element, index: position(inner))
            }
        }
    }

    /// `a[..., M, K] @ b[..., K, N]`: operands staged as f32 when stored narrower, then the register-blocked
    /// kernel accumulates in f32 (into the target if it is f32, else into a scratch buffer that is then
    /// converted), once per batch index in a loop nest over the result's batch dims; an operand's batch dim
    /// of size 1 (or missing) stays at index 0, as NumPy broadcasts it.
    private func emitMatmul(_ lhs: ValueID, _ rhs: ValueID, into target: LoweredBuffer) {
        let (a, b) = (stagedF32(lhs), stagedF32(rhs))
        guard a.shape.count >= 2, b.shape.count >= 2, target.shape.count >= 2 else { return }
        let (m, k, n) = (a.shape[a.shape.count - 2], a.shape[a.shape.count - 1], b.shape[b.shape.count - 1])
        let accumulator = target.element == .f32 ? target : allocate(.f32, shape: target.shape)
        let batch = TensorShapes.batch(target.shape)
        lowering.emitLoopNest(batch) { index in
            func matrix(_ buffer: LoweredBuffer, _ size: Int) -> LLVMValueRef {
                let own = TensorShapes.batch(buffer.shape)
                guard !own.isEmpty else { return buffer.pointer }
                let lead = batch.count - own.count
                let mapped = own.indices.map { own[$0] == 1 ? lowering.int64(0) : index[$0 + lead] }
                let offset = LLVMBuildMul(self.b, lowering.linearIndex(mapped, shape: own), lowering.int64(size), "")!
                return lowering.elementAddress(buffer.pointer, storage: lowering.types.f32, index: offset)
            }
            lowering.emitMatmulKernel(MatmulOperands(a: matrix(a, m * k), aRowStride: k, aColumnStride: 1, b: matrix(b, k * n),
                                                     c: matrix(accumulator, m * n), m: m, n: n, k: k),
                                      accumulate: lowering.bool(false), slots: { type, name in self.stackSlot(type, name: name) })
        }
        if accumulator.pointer != target.pointer {
            lowering.emitLoop(from: 0, to: target.count) { i in
                lowering.storeElement(lowering.loadElement(accumulator.pointer, .f32, index: i), target.pointer, target.element, index: i)
            }
        }
    }

    /// The value as a dense f32 buffer: itself if it already is one, else converted into scratch.
    func stagedF32(_ value: ValueID) -> LoweredBuffer {
        if case .buffer(let buffer)? = values[value], buffer.element == .f32 { return buffer }
        let staged = allocate(.f32, shape: shape(of: value))
        if case .buffer(let buffer)? = values[value] {
            lowering.emitLoop(from: 0, to: buffer.count) { i in
                lowering.storeElement(lowering.loadElement(buffer.pointer, buffer.element, index: i), staged.pointer, .f32, index: i)
            }
        } else {
            materialise(value, into: staged)
        }
        return staged
    }

    /// A call of another function of the module: tensor arguments as buffers, scalars by value, the result
    /// into `target`; a failure status from the callee takes the failure path.
    private func emitCall(_ name: String, _ arguments: [ValueID], into target: LoweredBuffer, span: SourceSpan) {
        guard let callee = callees[name] else {
            unsupported("a call of '\(name)', which is not a function of the module", span)
            return
        }
        var args: [LLVMValueRef?] = []
        for (argument, parameter) in zip(arguments, callee.signature.inputs) {
            switch parameter.kind {
            case .buffer(let shape):
                if case .buffer(let buffer)? = values[argument], buffer.element == parameter.element {
                    args.append(buffer.pointer)
                } else {
                    let staged = allocate(parameter.element, shape: shape)
                    materialise(argument, into: staged)
                    args.append(staged.pointer)
                }
            case .scalar:
                let value = element(argument, at: [])
                switch parameter.element {
                case .i32: args.append(lowering.encode(value, .i32))
                case .bool: args.append(lowering.encode(value, .bool))
                case .f32, .bf16, .f16, .f8e4m3, .f8e4m3fn, .f8e5m2, .f4e2m1fn: args.append(lowering.convert(value, to: .f32).ref)
                }
            }
        }
        args.append(target.pointer)
        guard args.count == callee.signature.arguments.count else {
            unsupported("a call of '\(name)' with \(arguments.count) arguments", span)
            return
        }
        let status = LLVMBuildCall2(b, callee.type, callee.function, &args, UInt32(args.count), "")!
        checkStatus(status)
    }
}
