// LoopEmitter.swift: counted loops and loop nests in LLVM IR (i64 induction variables, static bounds).

internal import CLLVM

extension LoweringContext {
    /// Emits `for (i = lower; i < upper; i += step) body(i)` at the builder's position and leaves the builder
    /// after the loop. The induction variable is an i64 phi; `body` may emit further blocks and loops.
    func emitLoop(from lower: Int, to upper: Int, step: Int = 1, name: String = "i", _ body: (LLVMValueRef) -> Void) {
        emitLoop(from: int64(lower), to: int64(upper), step: step, name: name, body)
    }

    /// The same with bounds that are i64 values (computed at run time).
    func emitLoop(from lower: LLVMValueRef, to upper: LLVMValueRef, step: Int = 1, name: String = "i",
                  _ body: (LLVMValueRef) -> Void) {
        let function = LLVMGetBasicBlockParent(LLVMGetInsertBlock(b))
        let preheader = LLVMGetInsertBlock(b)
        let header = LLVMAppendBasicBlockInContext(context, function, "\(name).header")!
        let bodyBlock = LLVMAppendBasicBlockInContext(context, function, "\(name).body")!
        let exit = LLVMAppendBasicBlockInContext(context, function, "\(name).exit")!
        LLVMBuildBr(b, header)
        LLVMPositionBuilderAtEnd(b, header)
        let induction = LLVMBuildPhi(b, types.i64, name)!
        let inRange = LLVMBuildICmp(b, LLVMIntSLT, induction, upper, "")
        LLVMBuildCondBr(b, inRange, bodyBlock, exit)
        LLVMPositionBuilderAtEnd(b, bodyBlock)
        body(induction)
        let next = LLVMBuildNSWAdd(b, induction, int64(step), "\(name).next")!
        let latch = LLVMGetInsertBlock(b)
        LLVMBuildBr(b, header)
        var incomingValues: [LLVMValueRef?] = [lower, next]
        var incomingBlocks: [LLVMBasicBlockRef?] = [preheader, latch]
        LLVMAddIncoming(induction, &incomingValues, &incomingBlocks, 2)
        LLVMPositionBuilderAtEnd(b, exit)
    }

    /// Loops over every index of `shape` in row-major order (the last dim innermost); `body` gets one i64 per dim.
    func emitLoopNest(_ shape: [Int], _ body: ([LLVMValueRef]) -> Void) {
        func level(_ dim: Int, _ prefix: [LLVMValueRef]) {
            if dim == shape.count {
                body(prefix)
                return
            }
            emitLoop(from: 0, to: shape[dim], name: "d\(dim)") { index in level(dim + 1, prefix + [index]) }
        }
        level(0, [])
    }

    /// The row-major linear index of `index` in `shape`: sum(index[k] * stride[k]).
    func linearIndex(_ index: [LLVMValueRef], shape: [Int]) -> LLVMValueRef {
        var elementStride = 1
        var total: LLVMValueRef?
        for dim in stride(from: shape.count - 1, through: 0, by: -1) {
            let term = elementStride == 1 ? index[dim] : LLVMBuildNSWMul(b, index[dim], int64(elementStride), "")!
            total = total.map { LLVMBuildNSWAdd(b, $0, term, "")! } ?? term
            elementStride *= shape[dim]
        }
        return total ?? int64(0)
    }
}
