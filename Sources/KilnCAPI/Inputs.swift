// Inputs.swift: caller-owned kiln_tensor inputs read in place into the arrays the driver binds (as .npy files are).

import CKiln
import KilnMachine
import KilnNpy
import KilnNumerics
import KilnSema

/// Reads `count` kiln_tensor structs into arrays by parameter name. A buffer of the parameter's own dtype
/// keeps its bit patterns; another float dtype is handed over as floats, so the driver rounds it to the
/// parameter's dtype as `kiln run` rounds a .npy file (a bf16 or fp8 buffer for another dtype is widened
/// to f32 first, which is exact). Structural problems (NULL pointers, unknown dtype codes, negative dims)
/// are usage errors.
func readInputs(_ inputs: UnsafePointer<kiln_tensor>?, count: Int, kernel: CheckedKernel?,
                function: String) -> Result<[String: NpyArray], Problem> {
    guard count == 0 || inputs != nil else { return .failure(Problem(function, "inputs is NULL but input_count is \(count)")) }
    var arrays: [String: NpyArray] = [:]
    for index in 0..<count {
        let input = inputs![index]
        guard let namePointer = input.name else { return .failure(Problem(function, "inputs[\(index)].name is NULL")) }
        let name = String(cString: namePointer)
        guard arrays[name] == nil else { return .failure(Problem(function, "input '\(name)' is given more than once")) }
        guard input.rank >= 0, input.rank == 0 || input.shape != nil else {
            return .failure(Problem(function, "input '\(name)': rank \(input.rank) with \(input.shape == nil ? "a NULL" : "a") shape"))
        }
        let shape = (0..<Int(input.rank)).map { Int(clamping: input.shape[$0]) }
        guard let count = Tensor.elementCount(of: shape) else {
            return .failure(Problem(function, "input '\(name)': shape \(shape) has a negative dim or too many elements"))
        }
        guard let encoding = encoding(of: input.dtype) else {
            return .failure(Problem(function, "input '\(name)': unknown dtype code \(input.dtype.rawValue)"))
        }
        let byteCount = count.multipliedReportingOverflow(by: encoding.byteSize)
        guard !byteCount.overflow else { return .failure(Problem(function, "input '\(name)': too many bytes")) }
        guard count == 0 || input.data != nil else { return .failure(Problem(function, "input '\(name)': data is NULL")) }
        let bytes = count == 0 ? [] : Array(UnsafeRawBufferPointer(start: input.data, count: byteCount.partialValue))
        var array = NpyArray(shape: shape, encoding: encoding, data: bytes)
        let parameterType = kernel?.params.first { $0.name == name }?.type.dtype
        if let stored = storedType(of: input.dtype), let parameterType, parameterType != stored {
            array = widenedToF32(array, from: stored)
        }
        arrays[name] = array
    }
    return .success(arrays)
}

/// How a buffer of `dtype` is encoded, in the .npy reader's terms (bf16 and fp8 as raw patterns).
private func encoding(of dtype: kiln_dtype) -> NpyElementEncoding? {
    switch dtype {
    case KILN_F32: .float32
    case KILN_F16: .float16
    case KILN_F64: .float64
    case KILN_I32: .int32
    case KILN_I64: .int64
    case KILN_BOOL: .bool
    case KILN_BF16: .bits16
    case KILN_F8E4M3, KILN_F8E4M3FN, KILN_F8E5M2, KILN_F4E2M1FN: .bits8
    default: nil
    }
}

/// The Kiln dtype whose raw bit patterns a buffer of `dtype` holds (bf16, fp8), else nil.
private func storedType(of dtype: kiln_dtype) -> ElementType? {
    switch dtype {
    case KILN_BF16: .bf16
    case KILN_F8E4M3: .f8e4m3
    case KILN_F8E4M3FN: .f8e4m3fn
    case KILN_F4E2M1FN: .f4e2m1fn
    case KILN_F8E5M2: .f8e5m2
    default: nil
    }
}

/// Raw `type` patterns as f32 values: exact, since every bf16 and fp8 value is an f32 value.
private func widenedToF32(_ array: NpyArray, from type: ElementType) -> NpyArray {
    var data: [UInt8] = []
    data.reserveCapacity(array.count * 4)
    for index in 0..<array.count {
        let bits = Float(type.value(fromBits: array.rawElement(index))).bitPattern
        for shift in stride(from: 0, to: 32, by: 8) { data.append(UInt8(truncatingIfNeeded: bits >> UInt32(shift))) }
    }
    return NpyArray(shape: array.shape, encoding: .float32, data: data)
}
