// ArrayConversion.swift: the dtype rules for reading a .npy array into a parameter of a given dtype.

import KilnMachine
import KilnNpy
import KilnNumerics
import KilnSource

/// Converts one .npy array to a tensor of a parameter's dtype:
///
/// | array | parameter | result |
/// |---|---|---|
/// | same dtype (`<f4` f32, `<f2` f16, `<i4` i32, `|b1` bool) | | bit for bit |
/// | `<u2` / `<V2` raw 16-bit | bf16 or f16 | the bits, as that type |
/// | `|u1` / `<V1` / `<f1` raw 8-bit | f8e4m3, f8e4m3fn, f8e5m2 or f4e2m1fn | the bits, as that type |
/// | another float (`<f8`, `<f4`, `<f2`) | a float type | rounded to nearest even, with a note; an error with `--strict-dtypes` |
/// | `<i8` | i32 | each value must fit in i32; a note; an error with `--strict-dtypes` |
/// | anything else | | an error naming both dtypes |
public struct ArrayConversion: Sendable {
    public let parameter: String
    public let dtype: ElementType
    public let strict: Bool
    public let span: SourceSpan

    /// `span` locates the diagnostics (the parameter in the kernel source; `.unknown` without one).
    public init(parameter: String, dtype: ElementType, strict: Bool, span: SourceSpan) {
        self.parameter = parameter
        self.dtype = dtype
        self.strict = strict
        self.span = span
    }

    /// The tensor, with a note when values were rounded; or an error naming both dtypes.
    public func tensor(from array: NpyArray) -> Result<(Tensor, Diagnostic?), InterpreterError> {
        let values: [Double]
        let sourceName: String
        if let packed = exactPacked(array) { return .success((packed.tensor, nil)) }
        switch (array.encoding, dtype) {
        case (.float64, _) where dtype.isFloat:
            values = (0..<array.count).map { Double(bitPattern: array.rawElement($0)) }
            sourceName = "f64"
        case (.float32, _) where dtype.isFloat:
            values = (0..<array.count).map { ElementType.f32.value(fromBits: array.rawElement($0)) }
            sourceName = "f32"
        case (.float16, _) where dtype.isFloat:
            values = (0..<array.count).map { ElementType.f16.value(fromBits: array.rawElement($0)) }
            sourceName = "f16"
        case (.int64, .i32):
            values = (0..<array.count).map { Double(Int64(bitPattern: array.rawElement($0))) }
            if let outside = values.first(where: { $0 < -2_147_483_648 || $0 > 2_147_483_647 }) {
                return .failure(InterpreterError(DiagnosticCatalogue.inputValueOutOfRange(parameter, value: String(Int64(outside)), type: "i32", at: span)))
            }
            sourceName = "i64"
        default:
            return .failure(InterpreterError(DiagnosticCatalogue.inputDTypeMismatch(
                parameter, found: "'\(array.encoding.descr)' data", expected: dtype.description,
                reason: "Kiln does not convert between these kinds; convert the array in numpy", at: span)))
        }
        if strict {
            return .failure(InterpreterError(DiagnosticCatalogue.inputDTypeMismatch(
                parameter, found: "\(sourceName) data ('\(array.encoding.descr)')", expected: dtype.description,
                reason: "--strict-dtypes requires the exact dtype", at: span)))
        }
        let converted = values.map(dtype.convert)
        let changed = zip(values, converted).filter { $0.0 != $0.1 && !($0.0.isNaN && $0.1.isNaN) }.count
        return make(converted, array.shape, note: DiagnosticCatalogue.inputRounded(parameter, from: sourceName, to: dtype.description, changed: changed, at: span))
    }

    /// `tensor(from:)` as stored bit patterns: an array of exactly the parameter's type (or its raw bits) is
    /// taken as it is, with one copy; any other goes through `tensor(from:)`.
    public func packed(from array: NpyArray) -> Result<(PackedTensor, Diagnostic?), InterpreterError> {
        if let packed = exactPacked(array) { return .success((packed, nil)) }
        return tensor(from: array).map { (PackedTensor($0.0), $0.1) }
    }

    /// The array's data as the parameter's stored patterns when its encoding is that type's own (or the raw
    /// 16/8-bit patterns of a 2/1-byte float type); bool bytes are normalised to 0 or 1.
    private func exactPacked(_ array: NpyArray) -> PackedTensor? {
        switch (array.encoding, dtype) {
        case (.bits16, .bf16), (.bits16, .f16), (.bits8, .f8e4m3), (.bits8, .f8e4m3fn), (.bits8, .f8e5m2), (.bits8, .f4e2m1fn),
             (.float32, .f32), (.float16, .f16), (.int32, .i32):
            return PackedTensor(dtype: dtype, shape: array.shape, bytes: array.data)
        case (.bool, .bool):
            return PackedTensor(dtype: dtype, shape: array.shape, bytes: array.data.map { $0 == 0 ? 0 : 1 })
        default:
            return nil
        }
    }

    private func make(_ values: [Double], _ shape: [Int], note: Diagnostic?) -> Result<(Tensor, Diagnostic?), InterpreterError> {
        guard let tensor = Tensor(dtype: dtype, shape: shape, values: values) else {
            return .failure(InterpreterError(DiagnosticCatalogue.interpreterInvariant("input '\(parameter)' has an invalid shape", at: span)))
        }
        return .success((tensor, note))
    }
}
