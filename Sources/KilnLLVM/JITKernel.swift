// JITKernel.swift: a JIT-compiled kernel: inputs as Tensors in, outputs as Tensors out, or a prepared call for timing.

import KilnMachine
import KilnNumerics
import KilnSource

/// A kernel compiled by the JIT. It keeps its JIT session (and so its code) alive.
public final class JITKernel: @unchecked Sendable {
    public let signature: EntrySignature
    private let session: LLVMJITSession
    private let entry: @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32

    init(signature: EntrySignature, session: LLVMJITSession, address: UInt64) {
        self.signature = signature
        self.session = session
        let pointer = UnsafeRawPointer(bitPattern: UInt(address))
        entry = unsafeBitCast(pointer, to: (@convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32).self)
    }

    /// Runs the kernel once. `inputs` maps each parameter name to a tensor of its dtype and shape; a scalar
    /// parameter takes a rank-0 tensor (or one element) and falls back to its default. Returns the outputs
    /// in order.
    public func run(inputs: [String: Tensor]) throws(LLVMBackendError) -> [(name: String, tensor: Tensor)] {
        let call = try prepare(inputs: inputs)
        try call.invoke()
        return call.outputs()
    }

    /// Packs the inputs into native buffers once, so that `invoke()` times the kernel alone.
    public func prepare(inputs: [String: Tensor]) throws(LLVMBackendError) -> PreparedCall {
        var buffers: [NativeBuffer] = []
        var problems: [Diagnostic] = []
        for argument in signature.arguments {
            switch argument.kind {
            case .buffer(let shape):
                let count = shape.reduce(1, *)
                if argument.isOutput {
                    // Result elements no `store` writes read as NaN, as on the reference (Docs/numerics.md).
                    let output = NativeBuffer(element: argument.element, count: count)
                    if argument.element.isFloat { for index in 0..<count { output.store(.nan, at: index) } }
                    buffers.append(output)
                    continue
                }
                guard let tensor = inputs[argument.name] else {
                    problems.append(DiagnosticCatalogue.llvmInputMismatch(argument.name, "no tensor given for this \(argument.element)\(shape) parameter"))
                    continue
                }
                guard tensor.dtype == argument.element, tensor.shape == shape else {
                    problems.append(DiagnosticCatalogue.llvmInputMismatch(
                        argument.name, "expected \(argument.element)\(shape), got \(tensor.typeDescription)"))
                    continue
                }
                buffers.append(NativeBuffer(element: argument.element, values: tensor.values))
            case .scalar(let defaultValue):
                let given = inputs[argument.name]
                guard let value = given.flatMap({ $0.count == 1 ? $0.values[0] : nil }) ?? defaultValue else {
                    problems.append(DiagnosticCatalogue.llvmInputMismatch(
                        argument.name, given == nil ? "no value for this scalar parameter and no default" : "a scalar takes one value"))
                    continue
                }
                buffers.append(NativeBuffer(scalar: argument.element, value: value))
            }
        }
        guard problems.isEmpty else { throw LLVMBackendError(problems) }
        return PreparedCall(kernel: self, buffers: buffers)
    }

    fileprivate func call(_ arguments: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> Int32 {
        withExtendedLifetime(session) { entry(arguments) }
    }
}

/// A kernel call with its argument buffers in native layout; `invoke` may run any number of times.
public final class PreparedCall: @unchecked Sendable {
    private let kernel: JITKernel
    private let buffers: [NativeBuffer]
    private let arguments: UnsafeMutablePointer<UnsafeMutableRawPointer?>

    fileprivate init(kernel: JITKernel, buffers: [NativeBuffer]) {
        self.kernel = kernel
        self.buffers = buffers
        arguments = .allocate(capacity: max(1, buffers.count))
        for (index, buffer) in buffers.enumerated() { arguments[index] = buffer.pointer }
    }

    /// Runs the kernel on the prepared buffers.
    public func invoke() throws(LLVMBackendError) {
        let status = kernel.call(arguments)
        let sites = kernel.signature.gatherSites
        if status >= 2, Int(status) - 2 < sites.count {
            throw LLVMBackendError([DiagnosticCatalogue.llvmGatherIndexOutOfRange(at: sites[Int(status) - 2])])
        }
        let scatters = kernel.signature.scatterSites
        if status >= 2, Int(status) - 2 - sites.count < scatters.count {
            throw LLVMBackendError([DiagnosticCatalogue.llvmScatterIndexOutOfRange(at: scatters[Int(status) - 2 - sites.count])])
        }
        if status != 0 {
            throw LLVMBackendError([DiagnosticCatalogue.llvmError("running kernel '\(kernel.signature.kernelName)'",
                                                                  "out of memory for its scratch buffers (status \(status))")])
        }
    }

    /// The output buffers as tensors, in the order of the function's outputs.
    public func outputs() -> [(name: String, tensor: Tensor)] {
        zip(kernel.signature.arguments, buffers).compactMap { argument, buffer in
            guard argument.isOutput, case .buffer(let shape) = argument.kind,
                  let tensor = Tensor(dtype: argument.element, shape: shape, values: buffer.values()) else { return nil }
            return (argument.name, tensor)
        }
    }

    deinit { arguments.deallocate() }
}

/// Native storage of one argument: a buffer of elements (f32, uint16/uint8 bit patterns, int32, uint8 bools),
/// or a scalar's storage (float, int32, uint8).
final class NativeBuffer {
    let element: ElementType
    let count: Int
    let byteSize: Int
    let pointer: UnsafeMutableRawPointer

    init(element: ElementType, count: Int) {
        self.element = element
        self.count = count
        byteSize = element.byteSize
        pointer = .allocate(byteCount: max(1, count * byteSize), alignment: 64)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: max(1, count * byteSize))
    }

    convenience init(element: ElementType, values: [Double]) {
        self.init(element: element, count: values.count)
        for (index, value) in values.enumerated() { store(value, at: index) }
    }

    /// A scalar argument, stored as the entry point's by-value type (float, int32_t, uint8_t).
    convenience init(scalar element: ElementType, value: Double) {
        let storage: ElementType = element.isFloat ? .f32 : element
        self.init(element: storage, count: 1)
        store(element.convert(value), at: 0)
    }

    func store(_ value: Double, at index: Int) {
        let bits = element.bitPattern(of: value)
        switch byteSize {
        case 4: pointer.storeBytes(of: UInt32(truncatingIfNeeded: bits), toByteOffset: index * 4, as: UInt32.self)
        case 2: pointer.storeBytes(of: UInt16(truncatingIfNeeded: bits), toByteOffset: index * 2, as: UInt16.self)
        default: pointer.storeBytes(of: UInt8(truncatingIfNeeded: bits), toByteOffset: index, as: UInt8.self)
        }
    }

    func values() -> [Double] {
        (0..<count).map { index in
            let bits: UInt64
            switch byteSize {
            case 4: bits = UInt64(pointer.load(fromByteOffset: index * 4, as: UInt32.self))
            case 2: bits = UInt64(pointer.load(fromByteOffset: index * 2, as: UInt16.self))
            default: bits = UInt64(pointer.load(fromByteOffset: index, as: UInt8.self))
            }
            return element.value(fromBits: bits)
        }
    }

    deinit { pointer.deallocate() }
}
