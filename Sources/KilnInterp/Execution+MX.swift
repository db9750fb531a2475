// Execution+MX.swift: the MX builtins in the reference interpreter: quantize_mx, scale_mx and nc_matmul_mx.

import KilnMachine
import KilnNumerics
import KilnSema
import KilnSource
import KilnSyntax

extension Execution {
    /// `quantize_mx(t, dt)` / `scale_mx(t, dt)`: each valid partition's valid elements in blocks of 32 through
    /// MXQuantization (the values as stored, exact in f32): the `dt` elements, or the f32 block scales.
    func quantizeMX(_ builtin: Builtin, _ arguments: [Argument], _ expr: Expr,
                    _ frame: Frame) throws(InterpreterError) -> Value {
        let positional = arguments.filter { $0.label == nil }
        guard positional.count == 2, case .name(let name) = positional[1].value.kind, let element = DType(name: name) else {
            throw invariant("'\(builtin)' has no MX element dtype", expr.span)
        }
        let value = try evaluate(positional[0].value, frame)
        let (partitions, free) = (value.valid.first ?? 1, value.valid.count > 1 ? value.valid[1] : 1)
        let (elements, scales) = MXQuantization.quantizeRows(value.elements, partitions: partitions, free: free,
                                                             element: element)
        if builtin == .quantize_mx {
            return Value(dtype: element, staticShape: value.staticShape, valid: value.valid, elements: elements)
        }
        let blocks = (free + MXQuantization.blockSize - 1) / MXQuantization.blockSize
        let staticBlocks = (value.staticColumns + MXQuantization.blockSize - 1) / MXQuantization.blockSize
        return Value(dtype: .f32, staticShape: [value.staticShape.first ?? 1, staticBlocks], valid: [partitions, blocks],
                     elements: scales)
    }

    /// The operands of `nc_matmul_mx(s, m, s_scale, m_scale)` dequantized (each element times its block's scale, the
    /// scale rounded to E8M0, the product rounded to f32): the stationary and moving f32 tiles the tensor engine
    /// multiplies, as `nc_matmul` multiplies its operands.
    func dequantizedMX(_ values: [Value]) -> (stationary: Value, moving: Value) {
        func dequantized(_ data: Value, _ scales: Value) -> Value {
            let columns = data.columns
            var out = data.elements
            for index in out.indices {
                let (k, column) = (index / max(1, columns), index % max(1, columns))
                let scaleIndex = (k / MXQuantization.blockSize) * scales.columns + column
                let scale = scaleIndex < scales.elements.count && column < scales.columns ? scales.elements[scaleIndex] : .nan
                out[index] = MXQuantization.dequantize(data.elements[index], scale: scale)
            }
            return Value(dtype: .f32, staticShape: data.staticShape, valid: data.valid, elements: out)
        }
        return (dequantized(values[0], values[2]), dequantized(values[1], values[3]))
    }
}
