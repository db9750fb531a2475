// FunctionLowering+BatchNorm.swift: `dve.bn_stats` and `dve.bn_aggr` in LLVM IR, in KilnMachine's BatchNormStats order.

internal import CLLVM
import KilnMachine
import KilnTileIR

extension FunctionLowering {
    /// `dve.bn_stats src -> dst`: per partition, [count, mean, m2] of the even positions, then of the odd ones, each
    /// a sequential f32 sum in position order (BatchNormStats.group); an empty group (a 1-element row's odd one) is 0s.
    func emitBnStats(_ source: LoweredBuffer, into destination: LoweredBuffer) {
        let free = source.count / max(1, source.shape.first ?? 1)
        let f32Type = lowering.types.f32
        let (sum, m2) = (stackSlot(f32Type, name: "bn.sum"), stackSlot(f32Type, name: "bn.m2"))
        lowering.emitLoop(from: 0, to: source.shape.first ?? 1, name: "p") { partition in
            let row = LLVMBuildNSWMul(b, partition, lowering.int64(free), "")!
            let outRow = LLVMBuildNSWMul(b, partition, lowering.int64(BatchNormStats.statsWidth), "")!
            for parity in 0..<2 {
                let count = (free - parity + 1) / 2
                var results = [lowering.float(0), lowering.float(0), lowering.float(0)]
                if count > 0 {
                    LLVMBuildStore(b, lowering.float(0), sum)
                    lowering.emitLoop(from: parity, to: free, step: 2, name: "f") { f in
                        let x = f32(source, LLVMBuildNSWAdd(b, row, f, "")!)
                        LLVMBuildStore(b, LLVMBuildFAdd(b, LLVMBuildLoad2(b, f32Type, sum, "")!, x, "")!, sum)
                    }
                    let mean = LLVMBuildFDiv(b, LLVMBuildLoad2(b, f32Type, sum, "")!, lowering.float(Float(count)), "")!
                    LLVMBuildStore(b, lowering.float(0), m2)
                    lowering.emitLoop(from: parity, to: free, step: 2, name: "f") { f in
                        let d = LLVMBuildFSub(b, f32(source, LLVMBuildNSWAdd(b, row, f, "")!), mean, "")!
                        let square = LLVMBuildFMul(b, d, d, "")!
                        LLVMBuildStore(b, LLVMBuildFAdd(b, LLVMBuildLoad2(b, f32Type, m2, "")!, square, "")!, m2)
                    }
                    results = [lowering.float(Float(count)), mean, LLVMBuildLoad2(b, f32Type, m2, "")!]
                }
                for (k, value) in results.enumerated() {
                    store(value, destination, LLVMBuildNSWAdd(b, outRow, lowering.int64(3 * parity + k), "")!)
                }
            }
        }
    }

    /// `dve.bn_aggr src -> dst`: per partition, the mean and variance of its (count, mean, m2) tuples
    /// (BatchNormStats.aggregate): both 0 unless the counts' f32 sum is > 0.
    func emitBnAggr(_ source: LoweredBuffer, into destination: LoweredBuffer) {
        let free = source.count / max(1, source.shape.first ?? 1)
        let tuples = free / BatchNormStats.tupleWidth
        let f32Type = lowering.types.f32
        let (total, weighted, spread) = (stackSlot(f32Type, name: "bn.total"), stackSlot(f32Type, name: "bn.weighted"),
                                         stackSlot(f32Type, name: "bn.spread"))
        lowering.emitLoop(from: 0, to: source.shape.first ?? 1, name: "p") { partition in
            let row = LLVMBuildNSWMul(b, partition, lowering.int64(free), "")!
            func field(_ k: LLVMValueRef, _ offset: Int) -> LLVMValueRef {
                let tuple = LLVMBuildNSWMul(b, k, lowering.int64(3), "")!
                return f32(source, LLVMBuildNSWAdd(b, row, LLVMBuildNSWAdd(b, tuple, lowering.int64(offset), "")!, "")!)
            }
            LLVMBuildStore(b, lowering.float(0), total)
            LLVMBuildStore(b, lowering.float(0), weighted)
            lowering.emitLoop(from: 0, to: tuples, name: "k") { k in
                let count = field(k, 0)
                LLVMBuildStore(b, LLVMBuildFAdd(b, LLVMBuildLoad2(b, f32Type, total, "")!, count, "")!, total)
                let product = LLVMBuildFMul(b, count, field(k, 1), "")!
                LLVMBuildStore(b, LLVMBuildFAdd(b, LLVMBuildLoad2(b, f32Type, weighted, "")!, product, "")!, weighted)
            }
            let sum = LLVMBuildLoad2(b, f32Type, total, "")!
            let mean = LLVMBuildFDiv(b, LLVMBuildLoad2(b, f32Type, weighted, "")!, sum, "")!
            LLVMBuildStore(b, lowering.float(0), spread)
            lowering.emitLoop(from: 0, to: tuples, name: "k") { k in
                let d = LLVMBuildFSub(b, field(k, 1), mean, "")!
                let scaled = LLVMBuildFMul(b, field(k, 0), LLVMBuildFMul(b, d, d, "")!, "")!
                let term = LLVMBuildFAdd(b, field(k, 2), scaled, "")!
                LLVMBuildStore(b, LLVMBuildFAdd(b, LLVMBuildLoad2(b, f32Type, spread, "")!, term, "")!, spread)
            }
            let variance = LLVMBuildFDiv(b, LLVMBuildLoad2(b, f32Type, spread, "")!, sum, "")!
            let positive = LLVMBuildFCmp(b, LLVMRealOGT, sum, lowering.float(0), "")!
            let outRow = LLVMBuildNSWMul(b, partition, lowering.int64(2), "")!
            store(LLVMBuildSelect(b, positive, mean, lowering.float(0), "")!, destination, outRow)
            store(LLVMBuildSelect(b, positive, variance, lowering.float(0), "")!, destination,
                  LLVMBuildNSWAdd(b, outRow, lowering.int64(1), "")!)
        }
    }

    private func f32(_ buffer: LoweredBuffer, _ index: LLVMValueRef) -> LLVMValueRef {
        lowering.convert(lowering.loadElement(buffer.pointer, buffer.element, index: index), to: .f32).ref
    }

    private func store(_ value: LLVMValueRef, _ buffer: LoweredBuffer, _ index: LLVMValueRef) {
        lowering.storeElement(ComputedValue(ref: value, kind: .f32), buffer.pointer, buffer.element, index: index)
    }
}
