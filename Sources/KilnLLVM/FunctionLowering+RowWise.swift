// FunctionLowering+RowWise.swift: row-wise fusion of tensor-level bodies (softmax, norms): one pass per row, in cache.

internal import CLLVM
import KilnMachine
import KilnTileIR

extension FunctionLowering {
    /// The number of rows N when the body can run row by row, else nil.
    ///
    /// Algorithm. A body qualifies when it is straight-line tensor-level code (elementwise ops, broadcasts,
    /// constants and reductions along axis 1, then `return`), every value it defines is `[N, D]` or `[N, 1]`
    /// for one N > 1, and every operand is such a value, a scalar, or a function parameter (read through the
    /// broadcast index mapping). Row i of every value then depends only on row i of the inputs, so the whole
    /// body runs inside one loop over rows: each materialised intermediate is a one-row scratch buffer that
    /// stays in cache, inputs are read from memory once and outputs written once (softmax: 2 memory passes
    /// instead of 6).
    func rowWiseRows() -> Int? {
        guard let last = function.body.ops.last, case .ret = last.kind else { return nil }
        let parameters = Set(function.parameters.map(\.value.id))
        var rows: Int?
        func fits(_ type: IRType?) -> Bool {
            guard let shape = type?.tensorType?.shape, shape.count == 2, shape[0] > 1 else { return false }
            if rows == nil { rows = shape[0] }
            return shape[0] == rows
        }
        for op in function.body.ops.dropLast() {
            switch op.kind {
            case .constant, .iota, .unary, .binary, .broadcast, .select, .cast: break
            case .reduce(_, _, let axis) where axis == 1: break
            default: return nil
            }
            guard fits(op.result?.type) else { return nil }
            for operand in op.kind.uses where !parameters.contains(operand) {
                if case .scalar? = types[operand] { continue }
                guard fits(types[operand]) else { return nil }
            }
        }
        return rows
    }

    /// Loops over every index of `shape`; in a row-wise body an `[N, ...]` shape loops over the current row only.
    func emitElementLoop(_ shape: [Int], _ body: ([LLVMValueRef]) -> Void) {
        if let rowIndex, shape.count == 2, shape[0] == rowCount {
            lowering.emitLoopNest(Array(shape.dropFirst())) { rest in body([rowIndex] + rest) }
        } else {
            lowering.emitLoopNest(shape, body)
        }
    }

    /// A scratch buffer for a value of `shape`: one row of it in a row-wise body, else all of it.
    func scratch(_ element: ElementType, shape: [Int]) -> LoweredBuffer {
        guard rowIndex != nil, shape.count == 2, shape[0] == rowCount else { return allocate(element, shape: shape) }
        var buffer = allocate(element, shape: [1] + shape.dropFirst())
        buffer.shape = shape
        buffer.rowLocal = true
        return buffer
    }

    /// The linear index of `index` in `buffer` (a row-local buffer holds row 0 only).
    func position(in buffer: LoweredBuffer, _ index: [LLVMValueRef]) -> LLVMValueRef {
        guard buffer.shape.count == index.count else { return lowering.int64(0) }
        guard buffer.rowLocal else { return lowering.linearIndex(index, shape: buffer.shape) }
        return lowering.linearIndex([lowering.int64(0)] + index.dropFirst(), shape: [1] + buffer.shape.dropFirst())
    }
}
