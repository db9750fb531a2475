// FunctionLowering.swift: one tile IR function to one LLVM function: values, buffers, prologue, ops in program order.

internal import CLLVM
import KilnMachine
import KilnSource
import KilnTileIR

/// A dense row-major buffer: an HBM tensor, a materialised tensor value, or a tile (shape `[P] + free dims`).
struct LoweredBuffer {
    var pointer: LLVMValueRef
    var element: ElementType
    var shape: [Int]
    /// A row-wise scratch buffer: it holds only the current row of its [N, D] value (see `rowWiseRows`).
    var rowLocal = false
    var count: Int { shape.reduce(1, *) }
}

/// What a tile IR value became.
enum LoweredValue {
    case buffer(LoweredBuffer)
    case scalar(ComputedValue)
    /// A loop induction variable (i64).
    case index(LLVMValueRef)
    /// An elementwise value computed where it is used (fused into its consumer's loop nest).
    case lazy
}

/// A lowered function other functions can call.
struct LoweredFunction {
    var signature: EntrySignature
    var function: LLVMValueRef
    var type: LLVMTypeRef
}

/// Lowers one function.
///
/// Algorithm. The LLVM function has a prologue block, the body, a failure block and an exit. Every scratch
/// buffer (tiles from `alloc`, materialised tensor values, f32 staging for matmul operands) is `malloc`ed in
/// the prologue, whatever loop its op sits in, so a tile made in a loop is one buffer reused by every
/// iteration (its contents are undefined at each `alloc` anyway); the prologue then checks all of them and
/// jumps to the failure block (free everything, return 1) if any is null. The body lowers ops in program
/// order (the host runs engines one after another, so semaphores are no-ops and placements are ignored):
/// `for` becomes a counted loop; tensor-level elementwise ops used once (and splats and broadcasts of stored
/// values) are *lazy*: nothing is emitted at their definition and each use evaluates the expression at its
/// own index, which fuses elementwise chains into the loop nest of their consumer; every other tensor op
/// materialises its result in a buffer (the function's output buffer directly when the value is returned).
/// `return` frees the scratch buffers and returns 0.
final class FunctionLowering {
    let lowering: LoweringContext
    let function: Function
    let lowered: LoweredFunction
    let callees: [String: LoweredFunction]
    var values: [ValueID: LoweredValue] = [:]
    var definitions: [ValueID: Operation] = [:]
    var types: [ValueID: IRType] = [:]
    var lazyValues: Set<ValueID> = []
    var destinations: [ValueID: LoweredBuffer] = [:]
    /// Each `view`'s base tile and element offset (see `lowerViewAccess`).
    var viewBases: [ValueID: (base: ValueID, offset: Int)] = [:]
    var diagnostics: [Diagnostic] = []
    /// The LLVM function ops are emitted into: the kernel's own, or one of its parts (`FunctionLowering+Parts`).
    var emission: EmissionTarget
    private var returned = false
    /// Whether long blocks are split into parts: on when the body is long (`outlineAbove`), off inside a part.
    var outlining = false
    /// How many parts the function has (their names' suffixes).
    var partCount = 0
    /// `alloc`/`view`/`hbm.alloc` results bound before their op is reached: a part's tiles, which the kernel
    /// function allocates so that later parts see the same buffers.
    var preallocated: Set<ValueID> = []
    /// While lowering a row-wise function body: the current row (i64) and the number of rows.
    var rowIndex: LLVMValueRef?
    var rowCount = 0

    init(lowering: LoweringContext, function: Function, lowered: LoweredFunction, callees: [String: LoweredFunction]) {
        self.lowering = lowering
        self.function = function
        self.lowered = lowered
        self.callees = callees
        emission = EmissionTarget(function: lowered.function, context: lowering.context)
    }

    var b: LLVMBuilderRef { lowering.b }

    /// Lowers the body; diagnostics (unsupported ops) are collected in `diagnostics`.
    func lower() {
        lowering.debugInfo?.enter(function: function, llvmFunction: lowered.function, lowering: lowering)
        bindArguments()
        planLaziness()
        LLVMPositionBuilderAtEnd(b, emission.bodyStart)
        if let rows = rowWiseRows(), case .ret(let results)? = function.body.ops.last?.kind {
            // Row-wise: the whole body, return stores included, runs once per row on row-sized scratch.
            rowCount = rows
            lowering.emitLoop(from: 0, to: rows, name: "row") { row in
                rowIndex = row
                for op in function.body.ops.dropLast() { lower(op) }
                lowering.debugInfo?.setLocation(function.body.ops.last?.span ?? .unknown, lowering: lowering)
                storeResults(results, span: function.body.ops.last?.span ?? .unknown)
            }
            rowIndex = nil
            emitReturn([], span: function.span)
        } else {
            outlining = Self.weight(of: function.body) > Self.outlineAbove
            lower(function.body)
        }
        if !returned { emitReturn([], span: function.span) }
        LLVMBuildUnreachable(b)
        finish(emission)
    }

    private func bindArguments() {
        var index: UInt32 = 0
        for parameter in function.parameters {
            let value = parameter.value
            let argument = LLVMGetParam(lowered.function, index)!
            index += 1
            types[value.id] = value.type
            switch value.type {
            case .scalar(let element):
                LLVMPositionBuilderAtEnd(b, emission.entry)
                let computed: ComputedValue
                switch element {
                case .bool:
                    computed = ComputedValue(ref: LLVMBuildICmp(b, LLVMIntNE, argument, lowering.int(lowering.types.i8, 0), ""),
                                             kind: .bool)
                case .i32:
                    computed = ComputedValue(ref: LLVMBuildSIToFP(b, argument, lowering.types.f64, ""), kind: .f64)
                case .f32, .bf16, .f16, .f8e4m3, .f8e4m3fn, .f8e5m2, .f4e2m1fn:
                    computed = ComputedValue(ref: argument, kind: .f32)
                }
                values[value.id] = .scalar(lowering.round(computed, to: element))
            case .tensor(let tensor), .hbm(let tensor):
                values[value.id] = .buffer(LoweredBuffer(pointer: argument, element: tensor.element, shape: tensor.shape))
            case .index, .tile:
                break
            }
        }
        for output in function.outputs {
            let argument = LLVMGetParam(lowered.function, index)!
            index += 1
            types[output.id] = output.type
            if let tensor = output.type.hbmType ?? output.type.tensorType {
                values[output.id] = .buffer(LoweredBuffer(pointer: argument, element: tensor.element, shape: tensor.shape))
            }
        }
    }

    /// Decides which elementwise values are lazy, and which materialised values go straight to an output.
    private func planLaziness() {
        let uses = function.useCounts()
        function.body.walk { op in
            for definition in op.definitions { types[definition.id] = definition.type }
            guard let result = op.result else { return }
            definitions[result.id] = op
            guard result.type.tensorType != nil else { return }
            switch op.kind {
            case .constant, .iota:
                lazyValues.insert(result.id)
            case .broadcast(let source), .slice(let source, _, _):
                // Views: each element is read from the source where it is used.
                if uses[result.id, default: 0] <= 1 || !lazyValues.contains(source) { lazyValues.insert(result.id) }
            case .unary, .binary, .select, .cast:
                if uses[result.id, default: 0] <= 1 { lazyValues.insert(result.id) }
            default:
                break
            }
        }
        guard case .ret(let returnedValues)? = function.body.ops.last?.kind else { return }
        var claimed: Set<ValueID> = []
        for (value, output) in zip(returnedValues, function.outputs) where definitions[value] != nil {
            guard !claimed.contains(value), case .buffer(let buffer)? = values[output.id],
                  types[value]?.tensorType?.shape == buffer.shape, types[value]?.element == buffer.element else { continue }
            claimed.insert(value)
            destinations[value] = buffer
        }
    }

    func lower(_ block: Block) {
        guard outlining else {
            for op in block.ops { lower(op) }
            return
        }
        lowerInParts(block)
    }

    func lower(_ op: Operation) {
        lowering.debugInfo?.setLocation(op.span, lowering: lowering)
        switch op.kind {
        case .forLoop(let loop):
            lowering.emitLoop(from: loop.lowerBound, to: loop.upperBound, step: max(1, loop.step),
                              name: loop.inductionVariable.nameHint ?? "loop") { induction in
                values[loop.inductionVariable.id] = .index(induction)
                lower(loop.body)
                lowering.debugInfo?.setLocation(op.span, lowering: lowering)
            }
        case .ret(let results):
            emitReturn(results, span: op.span)
        case .alloc(let tile, _):
            guard let result = op.result, !preallocated.contains(result.id) else { return }
            let shape = [tile.partitions] + tile.freeDims
            values[result.id] = .buffer(allocate(tile.element, shape: shape))
        case .view(let base, let offset):
            guard let result = op.result, !preallocated.contains(result.id), case .tile(let tile) = result.type else { return }
            values[result.id] = .buffer(allocate(tile.element, shape: [tile.partitions] + tile.freeDims))
            viewBases[result.id] = (base, offset)
        case .hbmAlloc(let tensor):
            guard let result = op.result, !preallocated.contains(result.id) else { return }
            values[result.id] = .buffer(allocate(tensor.element, shape: tensor.shape))
        case .syncSignal, .syncWait:
            break   // the host runs ops in program order
        case .constant, .iota, .scan, .slice, .concat, .gather, .scatterAdd, .topk, .unary, .binary, .broadcast, .select, .cast, .reduce, .matmul, .transpose, .permute, .reshape,
             .call:
            lowerTensorOp(op)
        case .engine(let instruction):
            lowerViewAccess(op, instruction)
        }
    }

    // MARK: buffers

    /// A scratch buffer of `shape`, malloc'ed in the entry block of the function being emitted and freed on
    /// its exit.
    func allocate(_ element: ElementType, shape: [Int]) -> LoweredBuffer {
        let count = max(1, shape.reduce(1, *))
        let position = LLVMGetInsertBlock(b)!
        LLVMPositionBuilderAtEnd(b, emission.entry)
        let bytes = lowering.int64(count * element.byteSize)
        let pointer = lowering.callExternal("malloc", returns: lowering.types.pointer, [lowering.types.i64], [bytes])
        emission.heapBuffers.append(pointer)
        LLVMPositionBuilderAtEnd(b, position)
        return LoweredBuffer(pointer: pointer, element: element, shape: shape)
    }

    /// A stack slot of `type` in the entry block of the function being emitted (promoted to a register by the
    /// optimiser).
    func stackSlot(_ type: LLVMTypeRef, name: String) -> LLVMValueRef {
        let position = LLVMGetInsertBlock(b)!
        LLVMPositionBuilderAtEnd(b, emission.entry)
        let slot = LLVMBuildAlloca(b, type, name)!
        LLVMPositionBuilderAtEnd(b, position)
        return slot
    }

    /// The slot holding the status the failure block returns; made (holding 1) on first use.
    private func status() -> LLVMValueRef {
        if let slot = emission.statusSlot { return slot }
        let slot = stackSlot(lowering.types.i32, name: "status")
        let position = LLVMGetInsertBlock(b)!
        LLVMPositionBuilderAtEnd(b, emission.entry)
        LLVMBuildStore(b, lowering.int32(1), slot)
        LLVMPositionBuilderAtEnd(b, position)
        emission.statusSlot = slot
        return slot
    }

    /// Branches to the failure path with status 2 + k (`EntrySignature.gatherSites`) when `outOfRange` holds.
    func failGather(at span: SourceSpan, if outOfRange: LLVMValueRef, scatter: Bool = false) {
        let signature = lowered.signature
        let site = scatter ? signature.gatherSites.count + (signature.scatterSites.firstIndex(of: span) ?? 0)
            : signature.gatherSites.firstIndex(of: span) ?? 0
        let fail = LLVMAppendBasicBlockInContext(lowering.context, emission.function, "gather.out_of_range")!
        let next = LLVMAppendBasicBlockInContext(lowering.context, emission.function, "gather.ok")!
        LLVMBuildCondBr(b, outOfRange, fail, next)
        LLVMPositionBuilderAtEnd(b, fail)
        LLVMBuildStore(b, lowering.int32(Int32(2 + site)), status())
        LLVMBuildBr(b, emission.failure)
        LLVMPositionBuilderAtEnd(b, next)
    }

    /// Branches to the failure path when a callee reported failure (`status != 0`), passing its status on.
    func checkStatus(_ status: LLVMValueRef) {
        let next = LLVMAppendBasicBlockInContext(lowering.context, emission.function, "call.ok")!
        LLVMBuildStore(b, status, self.status())
        let failed = LLVMBuildICmp(b, LLVMIntNE, status, lowering.int32(0), "")
        LLVMBuildCondBr(b, failed, emission.failure, next)
        LLVMPositionBuilderAtEnd(b, next)
    }

    private func storeResults(_ results: [ValueID], span: SourceSpan) {
        for (value, output) in zip(results, function.outputs) {
            guard case .buffer(let buffer)? = values[output.id] else { continue }
            if case .buffer(let source)? = values[value], source.pointer == buffer.pointer { continue }
            store(value, into: buffer, span: span)
        }
    }

    private func emitReturn(_ results: [ValueID], span: SourceSpan) {
        storeResults(results, span: span)
        LLVMBuildBr(b, emission.exit)
        returned = true
        // Anything after a return (the verifier forbids it) would land in an unreachable block.
        let rest = LLVMAppendBasicBlockInContext(lowering.context, lowered.function, "after.return")!
        LLVMPositionBuilderAtEnd(b, rest)
    }

    /// Completes a function's fixed blocks: the exit frees the function's buffers and returns 0, the failure
    /// block frees them and returns the status (1 unless set), and the entry block, after its allocations,
    /// goes to the failure block if any `malloc` returned null and to the body otherwise. The builder must
    /// be at a terminated point of the function when this is called.
    func finish(_ target: EmissionTarget) {
        LLVMPositionBuilderAtEnd(b, target.exit)
        freeHeapBuffers(target)
        LLVMBuildRet(b, lowering.int32(0))
        LLVMPositionBuilderAtEnd(b, target.failure)
        freeHeapBuffers(target)
        LLVMBuildRet(b, target.statusSlot.map { LLVMBuildLoad2(b, lowering.types.i32, $0, "status")! } ?? lowering.int32(1))
        LLVMPositionBuilderAtEnd(b, target.entry)
        var anyNull: LLVMValueRef?
        for pointer in target.heapBuffers {
            let isNull = LLVMBuildIsNull(b, pointer, "")!
            anyNull = anyNull.map { LLVMBuildOr(b, $0, isNull, "")! } ?? isNull
        }
        if let anyNull {
            LLVMBuildCondBr(b, anyNull, target.failure, target.bodyStart)
        } else {
            LLVMBuildBr(b, target.bodyStart)
        }
    }

    private func freeHeapBuffers(_ target: EmissionTarget) {
        for pointer in target.heapBuffers.reversed() {
            _ = lowering.callExternal("free", returns: lowering.types.void, [lowering.types.pointer], [pointer])
        }
    }

    /// Reports an op this backend cannot lower (the function is still completed, so LLVM stays consistent).
    func unsupported(_ what: String, _ span: SourceSpan) {
        diagnostics.append(DiagnosticCatalogue.llvmUnsupported(what, at: span))
    }
}
