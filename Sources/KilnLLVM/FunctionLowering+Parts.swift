// FunctionLowering+Parts.swift: a long function body emitted as several LLVM functions (parts) the kernel calls.

internal import CLLVM
import KilnTileIR

/// One LLVM function being emitted, with its fixed blocks: `entry` (stack slots, `malloc`s and the null
/// check), `bodyStart`, `failure` (free, return the status) and `exit` (free, return 0).
struct EmissionTarget {
    let function: LLVMValueRef
    let entry: LLVMBasicBlockRef
    let bodyStart: LLVMBasicBlockRef
    let failure: LLVMBasicBlockRef
    let exit: LLVMBasicBlockRef
    /// The status the failure block returns (1, out of memory, unless a gather or a callee stored another).
    var statusSlot: LLVMValueRef?
    /// The scratch buffers `malloc`ed in `entry`, freed on both ways out.
    var heapBuffers: [LLVMValueRef] = []

    init(function: LLVMValueRef, context: LLVMContextRef) {
        self.function = function
        entry = LLVMAppendBasicBlockInContext(context, function, "prologue")
        bodyStart = LLVMAppendBasicBlockInContext(context, function, "body")
        failure = LLVMAppendBasicBlockInContext(context, function, "out_of_memory")
        exit = LLVMAppendBasicBlockInContext(context, function, "exit")
    }
}

/// Splits long bodies into parts.
///
/// Why. A scheduled kernel can be long straight-line code: an unrolled loop whose iterations were
/// interleaved, or an on-chip attention chain with one body per block of queries. Each engine op becomes a
/// small loop nest, so such a function has tens of thousands of basic blocks in one chain, and LLVM's
/// dominator tree updates (in simplifycfg, loop simplification and rotation) cost time proportional to that
/// chain's depth for each change: the optimiser ran for many minutes on 40K blocks (flash attention at
/// S = 4096). Functions of bounded size keep it linear.
///
/// Algorithm. A function whose body weighs more than `outlineAbove` (an op weighs 1 plus its loop body's
/// weight) is lowered in parts. In each block, consecutive ops that a part can hold (engine ops, syncs, tile
/// and HBM allocations, and loops of these) are gathered into runs of at most `partWeight`; a run of at least
/// `smallestPart` becomes a part, shorter runs and other ops are lowered in place, and a loop too heavy for one
/// part is lowered in place with its body split the same way. A part is an internal, never-inlined function
/// `SYMBOL.partN` returning a status. Its tiles are allocated by the kernel function before the call (so
/// every part and the kernel see the same buffers); every buffer, loop variable and scalar the part's ops
/// refer to is passed as an argument (one per distinct LLVM value; buffers are distinct allocations, so the
/// pointers are `noalias`). Scratch the part's ops need for themselves (f32 staging) is allocated and freed
/// in the part. The kernel checks the returned status as it checks a callee's: a gather out of range inside
/// a part fails the kernel with the same status as it would in place.
extension FunctionLowering {
    /// Bodies heavier than this are split into parts.
    static let outlineAbove = 1_500
    /// The most ops one part holds.
    static let partWeight = 400
    /// Runs shorter than this stay in place.
    static let smallestPart = 16

    /// The op count of a block, loop bodies included once.
    static func weight(of block: Block) -> Int {
        block.ops.reduce(0) { $0 + weight(of: $1) }
    }

    static func weight(of op: Operation) -> Int {
        if case .forLoop(let loop) = op.kind { return 1 + weight(of: loop.body) }
        return 1
    }

    /// True for ops a part can hold: tile-level ops with no tensor-level value and no return.
    static func fitsInPart(_ op: Operation) -> Bool {
        switch op.kind {
        case .engine, .syncSignal, .syncWait, .alloc, .view, .hbmAlloc: true
        case .forLoop(let loop): loop.body.ops.allSatisfy(fitsInPart)
        default: false
        }
    }

    /// Lowers `block`, its long runs of tile-level ops as parts.
    func lowerInParts(_ block: Block) {
        var run: [Operation] = []
        var runWeight = 0
        func flush() {
            if runWeight >= Self.smallestPart {
                lowerAsPart(run)
            } else {
                for op in run { lower(op) }
            }
            run = []
            runWeight = 0
        }
        for op in block.ops {
            let weight = Self.weight(of: op)
            guard weight <= Self.partWeight, Self.fitsInPart(op) else {
                flush()
                lower(op)
                continue
            }
            if runWeight + weight > Self.partWeight { flush() }
            run.append(op)
            runWeight += weight
        }
        flush()
    }

    /// Emits `ops` as one part and a call to it here.
    private func lowerAsPart(_ ops: [Operation]) {
        preallocate(ops)
        var captured: [ValueID] = []
        var seen: Set<ValueID> = []
        func capture(_ value: ValueID) {
            guard values[value] != nil, seen.insert(value).inserted else { return }
            captured.append(value)
            if let base = viewBases[value]?.base { capture(base) }
        }
        walk(ops) { $0.kind.forEachUse(capture) }
        // A value computed where it is used cannot be passed; such a run stays in place (not expected at tile level).
        guard captured.allSatisfy({ if case .lazy? = values[$0] { false } else { true } }) else {
            for op in ops { lower(op) }
            return
        }
        var arguments: [LLVMValueRef] = []
        var argumentTypes: [LLVMTypeRef?] = []
        var argumentIndex: [LLVMValueRef: Int] = [:]
        for value in captured {
            guard let (ref, type) = argument(for: value), argumentIndex[ref] == nil else { continue }
            argumentIndex[ref] = arguments.count
            arguments.append(ref)
            argumentTypes.append(type)
        }
        let part = declarePart(argumentTypes)
        var callArguments: [LLVMValueRef?] = arguments
        let type = LLVMGlobalGetValueType(part)!
        checkStatus(LLVMBuildCall2(b, type, part, &callArguments, UInt32(arguments.count), "")!)
        let resume = LLVMGetInsertBlock(b)!

        let saved = (emission: emission, values: captured.map { values[$0] }, outlining: outlining)
        let scope = lowering.debugInfo?.enterPart(llvmFunction: part, at: ops.first?.span ?? function.span, lowering: lowering)
        emission = EmissionTarget(function: part, context: lowering.context)
        outlining = false
        for value in captured {
            guard let (ref, _) = argument(for: value), let index = argumentIndex[ref] else { continue }
            values[value] = rebound(values[value], to: LLVMGetParam(part, UInt32(index))!)
        }
        LLVMPositionBuilderAtEnd(b, emission.bodyStart)
        for op in ops { lower(op) }
        LLVMBuildBr(b, emission.exit)
        finish(emission)
        emission = saved.emission
        outlining = saved.outlining
        for (value, original) in zip(captured, saved.values) { values[value] = original }
        lowering.debugInfo?.leavePart(restoring: scope, lowering: lowering)
        LLVMPositionBuilderAtEnd(b, resume)
    }

    /// Binds the results of every `alloc`, `view` and `hbm.alloc` among `ops` (loop bodies included) now, in
    /// the function being emitted, and marks them so their ops do nothing later.
    private func preallocate(_ ops: [Operation]) {
        walk(ops) { op in
            switch op.kind {
            case .alloc, .view, .hbmAlloc:
                lower(op)
                if let result = op.result { preallocated.insert(result.id) }
            default:
                break
            }
        }
    }

    private func walk(_ ops: [Operation], _ body: (Operation) -> Void) {
        for op in ops {
            body(op)
            if case .forLoop(let loop) = op.kind { walk(loop.body.ops, body) }
        }
    }

    /// The LLVM value a part is passed for `value`, and its parameter type.
    private func argument(for value: ValueID) -> (LLVMValueRef, LLVMTypeRef)? {
        switch values[value] {
        case .buffer(let buffer)?: (buffer.pointer, lowering.types.pointer)
        case .index(let index)?: (index, lowering.types.i64)
        case .scalar(let scalar)?: (scalar.ref, lowering.types.type(of: scalar.kind))
        case .lazy?, nil: nil
        }
    }

    /// `value` with its LLVM value replaced by the part's parameter.
    private func rebound(_ value: LoweredValue?, to parameter: LLVMValueRef) -> LoweredValue? {
        switch value {
        case .buffer(var buffer)?:
            buffer.pointer = parameter
            return .buffer(buffer)
        case .index?: return .index(parameter)
        case .scalar(let scalar)?: return .scalar(ComputedValue(ref: parameter, kind: scalar.kind))
        case .lazy?, nil: return value
        }
    }

    /// Adds the next part: `i32 SYMBOL.partN(...)`, internal, never inlined, with the kernel's CPU attributes.
    private func declarePart(_ parameters: [LLVMTypeRef?]) -> LLVMValueRef {
        var parameterTypes = parameters
        let type = LLVMFunctionType(lowering.types.i32, &parameterTypes, UInt32(parameters.count), 0)!
        let name = "\(lowered.signature.symbol).part\(partCount)"
        partCount += 1
        let part = LLVMAddFunction(lowering.module.ref, name, type)!
        LLVMSetLinkage(part, LLVMInternalLinkage)
        let functionIndex = LLVMAttributeIndex(truncatingIfNeeded: LLVMAttributeFunctionIndex)
        for attribute in ["nounwind", "noinline"] {
            let kind = LLVMGetEnumAttributeKindForName(attribute, attribute.utf8.count)
            LLVMAddAttributeAtIndex(part, functionIndex, LLVMCreateEnumAttribute(lowering.context, kind, 0))
        }
        for key in ["target-cpu", "target-features"] {
            if let attribute = LLVMGetStringAttributeAtIndex(lowered.function, functionIndex, key, UInt32(key.utf8.count)) {
                LLVMAddAttributeAtIndex(part, functionIndex, attribute)
            }
        }
        let noalias = LLVMCreateEnumAttribute(lowering.context, LLVMGetEnumAttributeKindForName("noalias", 7), 0)
        for (index, parameter) in parameters.enumerated() where parameter == lowering.types.pointer {
            LLVMAddAttributeAtIndex(part, LLVMAttributeIndex(index + 1), noalias)
        }
        return part
    }
}
