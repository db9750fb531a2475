// FunctionLowering+TopK.swift: `topk` rows, `dve.max8` and `dve.find_index8` in LLVM IR, in KilnMachine's TopKOrder.

internal import CLLVM
import KilnMachine
import KilnSource
import KilnTileIR

extension FunctionLowering {
    /// `topk` / `argtopk` of a whole tensor: each row's k first-ranked elements, or their positions as i32.
    func emitTopK(_ source: ValueID, k: Int, indices: Bool, into target: LoweredBuffer) {
        guard let length = shape(of: source).last else { return }
        lowering.emitLoopNest(Array(target.shape.dropLast())) { prefix in
            emitTopRow(length: length, count: k, read: { lowering.convert(element(source, at: prefix + [$0]), to: .f32).ref }) {
                pick, position, value in
                let result = indices ? ComputedValue(ref: LLVMBuildSIToFP(b, position, lowering.types.f64, "")!, kind: .f64)
                    : ComputedValue(ref: value, kind: .f32)
                lowering.storeElement(result, target.pointer, target.element,
                                      index: lowering.linearIndex(prefix + [pick], shape: target.shape))
            }
        }
    }

    /// `dve.max8 src -> dst`: each partition's 8 first-ranked values.
    func emitMax8(_ source: LoweredBuffer, into destination: LoweredBuffer) {
        let free = source.count / max(1, source.shape.first ?? 1)
        lowering.emitLoop(from: 0, to: source.shape.first ?? 1, name: "p") { partition in
            let row = LLVMBuildNSWMul(b, partition, lowering.int64(free), "")!
            let outRow = LLVMBuildNSWMul(b, partition, lowering.int64(8), "")!
            emitTopRow(length: free, count: 8, read: { f32(source, LLVMBuildNSWAdd(b, row, $0, "")!) }) { pick, _, value in
                lowering.storeElement(ComputedValue(ref: value, kind: .f32), destination.pointer, destination.element,
                                      index: LLVMBuildNSWAdd(b, outRow, pick, "")!)
            }
        }
    }

    /// `dve.find_index8 data, vals -> dst`: for val m of a partition, the position of the (d + 1)-th element of the row
    /// equal to it, d the number of vals before m equal to it (duplicates take their occurrences in order); -1 if none.
    func emitFindIndex8(_ data: LoweredBuffer, _ wanted: LoweredBuffer, into destination: LoweredBuffer) {
        let free = data.count / max(1, data.shape.first ?? 1)
        let i64 = lowering.types.i64
        let (earlier, seen, found) = (stackSlot(i64, name: "earlier"), stackSlot(i64, name: "seen"), stackSlot(i64, name: "found"))
        lowering.emitLoop(from: 0, to: data.shape.first ?? 1, name: "p") { partition in
            let row = LLVMBuildNSWMul(b, partition, lowering.int64(free), "")!
            let valueRow = LLVMBuildNSWMul(b, partition, lowering.int64(8), "")!
            lowering.emitLoop(from: 0, to: 8, name: "m") { m in
                let value = f32(wanted, LLVMBuildNSWAdd(b, valueRow, m, "")!)
                LLVMBuildStore(b, lowering.int64(0), earlier)
                lowering.emitLoop(from: 0, to: 8, name: "e") { e in
                    let other = f32(wanted, LLVMBuildNSWAdd(b, valueRow, e, "")!)
                    let counts = LLVMBuildAnd(b, LLVMBuildICmp(b, LLVMIntSLT, e, m, ""), equal(other, value), "")!
                    increment(earlier, if: counts)
                }
                LLVMBuildStore(b, lowering.int64(0), seen)
                LLVMBuildStore(b, lowering.int64(-1), found)
                lowering.emitLoop(from: 0, to: free, name: "f") { f in
                    let matches = equal(f32(data, LLVMBuildNSWAdd(b, row, f, "")!), value)
                    let count = LLVMBuildLoad2(b, i64, seen, "")!
                    let current = LLVMBuildLoad2(b, i64, found, "")!
                    let isIt = LLVMBuildAnd(b, matches, LLVMBuildICmp(b, LLVMIntEQ, count, LLVMBuildLoad2(b, i64, earlier, "")!, ""), "")!
                    LLVMBuildStore(b, LLVMBuildSelect(b, LLVMBuildAnd(b, isIt, LLVMBuildICmp(b, LLVMIntSLT, current, lowering.int64(0), ""), "")!,
                                                      f, current, "")!, found)
                    increment(seen, if: matches)
                }
                let position = LLVMBuildSIToFP(b, LLVMBuildLoad2(b, i64, found, "")!, lowering.types.f64, "")!
                lowering.storeElement(ComputedValue(ref: position, kind: .f64), destination.pointer, destination.element,
                                      index: LLVMBuildNSWAdd(b, valueRow, m, "")!)
            }
        }
    }

    /// The `count` first-ranked elements of a row of `length` (`read(position)` gives an f32) in rank order, by
    /// selection passes: pass m takes the first-ranked element that ranks after the one pass m - 1 took, and gives
    /// `take(m, position, value)` (-1 and -inf once the row has no more).
    private func emitTopRow(length: Int, count: Int, read: (LLVMValueRef) -> LLVMValueRef,
                            take: (LLVMValueRef, LLVMValueRef, LLVMValueRef) -> Void) {
        let (i64, f32Type) = (lowering.types.i64, lowering.types.f32)
        let (best, bestValue) = (stackSlot(i64, name: "best"), stackSlot(f32Type, name: "best.value"))
        let (last, lastValue) = (stackSlot(i64, name: "last"), stackSlot(f32Type, name: "last.value"))
        let none = lowering.int64(-1), lowest = lowering.float(-.infinity)
        LLVMBuildStore(b, none, last)
        LLVMBuildStore(b, lowest, lastValue)
        lowering.emitLoop(from: 0, to: count, name: "pick") { pick in
            LLVMBuildStore(b, none, best)
            LLVMBuildStore(b, lowest, bestValue)
            lowering.emitLoop(from: 0, to: length, name: "c") { position in
                let x = read(position)
                let previous = LLVMBuildLoad2(b, i64, last, "")!
                let after = LLVMBuildOr(b, LLVMBuildICmp(b, LLVMIntSLT, previous, lowering.int64(0), "")!,
                                        ranksBefore(LLVMBuildLoad2(b, f32Type, lastValue, "")!, previous, x, position), "")!
                let current = LLVMBuildLoad2(b, i64, best, "")!, currentValue = LLVMBuildLoad2(b, f32Type, bestValue, "")!
                let better = LLVMBuildOr(b, LLVMBuildICmp(b, LLVMIntSLT, current, lowering.int64(0), "")!,
                                         ranksBefore(x, position, currentValue, current), "")!
                let takes = LLVMBuildAnd(b, after, better, "")!
                LLVMBuildStore(b, LLVMBuildSelect(b, takes, position, current, "")!, best)
                LLVMBuildStore(b, LLVMBuildSelect(b, takes, x, currentValue, "")!, bestValue)
            }
            let chosen = LLVMBuildLoad2(b, i64, best, "")!, chosenValue = LLVMBuildLoad2(b, f32Type, bestValue, "")!
            let found = LLVMBuildICmp(b, LLVMIntSGE, chosen, lowering.int64(0), "")!
            LLVMBuildStore(b, LLVMBuildSelect(b, found, chosen, LLVMBuildLoad2(b, i64, last, "")!, "")!, last)
            LLVMBuildStore(b, LLVMBuildSelect(b, found, chosenValue, LLVMBuildLoad2(b, f32Type, lastValue, "")!, "")!, lastValue)
            take(pick, chosen, chosenValue)
        }
    }

    /// TopKOrder.ranksBefore on f32 values at i64 positions: NaN first, then larger; equal values by position.
    private func ranksBefore(_ x: LLVMValueRef, _ i: LLVMValueRef, _ y: LLVMValueRef, _ j: LLVMValueRef) -> LLVMValueRef {
        let nanX = LLVMBuildFCmp(b, LLVMRealUNO, x, x, "")!, nanY = LLVMBuildFCmp(b, LLVMRealUNO, y, y, "")!
        let byValue = LLVMBuildSelect(b, equal(x, y), LLVMBuildICmp(b, LLVMIntSLT, i, j, ""),
                                      LLVMBuildFCmp(b, LLVMRealOGT, x, y, ""), "")!
        return LLVMBuildSelect(b, LLVMBuildXor(b, nanX, nanY, ""), nanX, byValue, "")!
    }

    /// Equal values, NaN equal to NaN.
    private func equal(_ x: LLVMValueRef, _ y: LLVMValueRef) -> LLVMValueRef {
        let bothNaN = LLVMBuildAnd(b, LLVMBuildFCmp(b, LLVMRealUNO, x, x, ""), LLVMBuildFCmp(b, LLVMRealUNO, y, y, ""), "")!
        return LLVMBuildOr(b, bothNaN, LLVMBuildFCmp(b, LLVMRealOEQ, x, y, ""), "")!
    }

    private func f32(_ buffer: LoweredBuffer, _ index: LLVMValueRef) -> LLVMValueRef {
        lowering.convert(lowering.loadElement(buffer.pointer, buffer.element, index: index), to: .f32).ref
    }

    private func increment(_ slot: LLVMValueRef, if condition: LLVMValueRef) {
        let count = LLVMBuildLoad2(b, lowering.types.i64, slot, "")!
        LLVMBuildStore(b, LLVMBuildNSWAdd(b, count, LLVMBuildZExt(b, condition, lowering.types.i64, ""), "")!, slot)
    }
}
