// FunctionLowering+MX.swift: the MX ops as loops: dve.quantize_mx / dve.scale_mx and pe.matmul_mx (dequantize, then matmul).

internal import CLLVM
import KilnMachine
import KilnNumerics
import KilnSource
import KilnTileIR

/// Algorithm (KilnNumerics' MXQuantization, bit for bit): per partition and block of 32 elements, the block's
/// largest magnitude `amax` is `llvm.maximum` of the |values| (NaN propagates, an infinity stays infinite); from
/// amax's f32 exponent field `f` the scale exponent is `e = max((f == 0 ? -127 : f - 127) - emax + 1, -127)`, or the
/// NaN scale when `f == 255`; each element is `v * 2^-e` (exact but in f32's subnormal range, far below half the
/// element type's smallest subnormal), clamped to +-largest finite and stored in the element type (round to nearest
/// even, `storeElement`); in a NaN-scale block every element is +NaN stored in the element type. `pe.matmul_mx`
/// multiplies each element by its block's scale rounded to E8M0 (`roundE8M0`) into f32 scratch tiles and runs the
/// f32 matmul kernel `pe.matmul` uses.
extension FunctionLowering {
    /// `dve.quantize_mx %src -> %dst` (dst an MX element tile) or `dve.scale_mx %src -> %dst emax E` (f32 scales).
    func emitQuantizeMX(_ src: LoweredBuffer, into dst: LoweredBuffer, scales: Bool, emax: Int) {
        let f32 = lowering.types.f32, i32 = lowering.types.i32
        let free = src.count / max(1, src.shape.first ?? 1)
        let blocks = free / MXQuantization.blockSize
        let exponent = scales ? emax : MXQuantization.largestNormalExponent(dst.element)
        let limit = Float(dst.element.floatFormat?.largestFinite ?? 0)
        let amaxSlot = stackSlot(f32, name: "amax")
        lowering.emitLoopNest([src.shape.first ?? 1, blocks]) { index in
            let (partition, block) = (index[0], index[1])
            let start = LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, partition, lowering.int64(free), ""),
                                        LLVMBuildNSWMul(b, block, lowering.int64(MXQuantization.blockSize), ""), "")!
            LLVMBuildStore(b, lowering.float(0), amaxSlot)
            lowering.emitLoop(from: 0, to: MXQuantization.blockSize, name: "e") { e in
                let v = lowering.convert(lowering.loadElement(src.pointer, src.element, index: LLVMBuildNSWAdd(b, start, e, "")!),
                                         to: .f32).ref
                let magnitude = lowering.callIntrinsic("llvm.fabs", overloads: [f32], [v])
                let amax = LLVMBuildLoad2(b, f32, amaxSlot, "")!
                LLVMBuildStore(b, lowering.callIntrinsic("llvm.maximum", overloads: [f32], [amax, magnitude]), amaxSlot)
            }
            let bits = LLVMBuildBitCast(b, LLVMBuildLoad2(b, f32, amaxSlot, ""), i32, "")!
            let field = LLVMBuildLShr(b, bits, lowering.int(i32, 23), "")!   // amax >= 0: no sign bit
            let isSpecial = LLVMBuildICmp(b, LLVMIntEQ, field, lowering.int(i32, 255), "")!
            let floorLog2 = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, field, lowering.int(i32, 0), ""),
                                            lowering.int(i32, UInt64(bitPattern: -127)),
                                            LLVMBuildSub(b, field, lowering.int(i32, 127), ""), "")!
            let unclamped = LLVMBuildSub(b, floorLog2, lowering.int(i32, UInt64(exponent - 1)), "")!
            let scaleExponent = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, unclamped, lowering.int(i32, UInt64(bitPattern: -127)), ""),
                                                lowering.int(i32, UInt64(bitPattern: -127)), unclamped, "")!
            let nan = LLVMBuildBitCast(b, lowering.int(i32, 0x7FC0_0000), f32, "")!
            if scales {
                // 2^e: the subnormal 2^-127 (0x00400000), or the normal field e + 127.
                let normal = LLVMBuildShl(b, LLVMBuildAdd(b, scaleExponent, lowering.int(i32, 127), ""), lowering.int(i32, 23), "")!
                let isSmallest = LLVMBuildICmp(b, LLVMIntEQ, scaleExponent, lowering.int(i32, UInt64(bitPattern: -127)), "")!
                let scaleBits = LLVMBuildSelect(b, isSmallest, lowering.int(i32, 0x0040_0000), normal, "")!
                let scale = LLVMBuildSelect(b, isSpecial, nan, LLVMBuildBitCast(b, scaleBits, f32, ""), "")!
                let at = LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, partition, lowering.int64(blocks), ""), block, "")!
                lowering.storeElement(ComputedValue(ref: scale, kind: .f32), dst.pointer, dst.element, index: at)
                return
            }
            // 2^-e is normal for every e in -127...(128 - emax): field 127 - e >= 1.
            let inverseBits = LLVMBuildShl(b, LLVMBuildSub(b, lowering.int(i32, 127), scaleExponent, ""), lowering.int(i32, 23), "")!
            let inverse = LLVMBuildBitCast(b, inverseBits, f32, "")!
            lowering.emitLoop(from: 0, to: MXQuantization.blockSize, name: "e") { e in
                let at = LLVMBuildNSWAdd(b, start, e, "")!
                let v = lowering.convert(lowering.loadElement(src.pointer, src.element, index: at), to: .f32).ref
                let scaled = LLVMBuildFMul(b, v, inverse, "")!
                let clamped = lowering.callIntrinsic("llvm.minnum", overloads: [f32], [
                    lowering.callIntrinsic("llvm.maxnum", overloads: [f32], [scaled, lowering.float(-limit)]), lowering.float(limit)])
                let value = LLVMBuildSelect(b, isSpecial, nan, clamped, "")!
                lowering.storeElement(ComputedValue(ref: value, kind: .f32), dst.pointer, dst.element, index: at)
            }
        }
    }

    /// `pe.matmul_mx`: the operands dequantized into f32 scratch tiles, then the f32 matmul of `pe.matmul`.
    func emitMatmulMX(_ instruction: EngineInstruction, _ span: SourceSpan) {
        guard let s = tile(instruction.tile(0), span), let m = tile(instruction.tile(1), span),
              let ss = tile(instruction.tile(2), span), let ms = tile(instruction.tile(3), span),
              let acc = tile(instruction.tile(4), span),
              case .condition(let startCondition) = instruction.operands[5] else { return }
        let k = s.shape.first ?? 1
        let mCount = s.count / max(1, k), nCount = m.count / max(1, k)
        let stationary = dequantizeMX(s, scales: ss, columns: mCount), moving = dequantizeMX(m, scales: ms, columns: nCount)
        let accumulator = acc.element == .f32 ? acc : allocate(.f32, shape: acc.shape)
        let start = matmulCondition(startCondition)
        if accumulator.pointer != acc.pointer { copyElements(from: acc, to: accumulator, count: acc.count) }
        lowering.emitMatmulKernel(MatmulOperands(a: stationary.pointer, aRowStride: 1, aColumnStride: mCount, b: moving.pointer,
                                                 c: accumulator.pointer, m: mCount, n: nCount, k: k),
                                  accumulate: LLVMBuildNot(b, start, ""), slots: { type, name in self.stackSlot(type, name: name) })
        if accumulator.pointer != acc.pointer { copyElements(from: accumulator, to: acc, count: acc.count) }
    }

    /// An f32 scratch copy of an MX data tile `[K | columns]`, each element times its block's scale
    /// (`scales[k / 32][column]`) rounded to E8M0, the product rounded to f32 (MXQuantization.dequantize).
    private func dequantizeMX(_ data: LoweredBuffer, scales: LoweredBuffer, columns: Int) -> LoweredBuffer {
        let out = allocate(.f32, shape: data.shape)
        let k = data.shape.first ?? 1
        lowering.emitLoopNest([k, columns]) { index in
            let at = LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, index[0], lowering.int64(columns), ""), index[1], "")!
            let block = LLVMBuildSDiv(b, index[0], lowering.int64(MXQuantization.blockSize), "")!
            let scaleAt = LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, block, lowering.int64(columns), ""), index[1], "")!
            let element = lowering.convert(lowering.loadElement(data.pointer, data.element, index: at), to: .f32).ref
            let scale = roundE8M0(lowering.convert(lowering.loadElement(scales.pointer, scales.element, index: scaleAt), to: .f32).ref)
            lowering.storeElement(ComputedValue(ref: LLVMBuildFMul(b, element, scale, "")!, kind: .f32), out.pointer, .f32, index: at)
        }
        return out
    }

    /// An f32 rounded to E8M0 as `ScaleFormat.encode` rounds (back as the f32 power of two, or NaN): positive finite
    /// values only (else NaN); a normal's exponent goes up when its fraction is >= 0.5 (m >= 1.5), NaN past 2^127; an
    /// f32 subnormal gives 2^-126 from 1.5 * 2^-127 up, else 2^-127.
    private func roundE8M0(_ value: LLVMValueRef) -> LLVMValueRef {
        let i32 = lowering.types.i32
        let bits = LLVMBuildBitCast(b, value, i32, "")!
        let valid = LLVMBuildAnd(b, LLVMBuildICmp(b, LLVMIntSGT, bits, lowering.int(i32, 0), ""),
                                 LLVMBuildICmp(b, LLVMIntSLT, bits, lowering.int(i32, 0x7F80_0000), ""), "")!
        let up = LLVMBuildShl(b, LLVMBuildAnd(b, bits, lowering.int(i32, 0x0040_0000), ""), lowering.int(i32, 1), "")!
        let normal = LLVMBuildAdd(b, LLVMBuildAnd(b, bits, lowering.int(i32, 0x7F80_0000), ""), up, "")!
        let subnormal = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntUGE, bits, lowering.int(i32, 0x0060_0000), ""),
                                        lowering.int(i32, 0x0080_0000), lowering.int(i32, 0x0040_0000), "")!
        let isSubnormal = LLVMBuildICmp(b, LLVMIntULT, bits, lowering.int(i32, 0x0080_0000), "")!
        let rounded = LLVMBuildSelect(b, isSubnormal, subnormal, normal, "")!
        let finite = LLVMBuildAnd(b, valid, LLVMBuildICmp(b, LLVMIntULT, rounded, lowering.int(i32, 0x7F80_0000), ""), "")!
        let result = LLVMBuildSelect(b, finite, rounded, lowering.int(i32, 0x7FC0_0000), "")!
        return LLVMBuildBitCast(b, result, lowering.types.f32, "")!
    }
}
