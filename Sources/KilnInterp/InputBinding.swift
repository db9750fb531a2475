// InputBinding.swift: turning `--input NAME=FILE.npy`, `--scalar NAME=VALUE` and `--random SEED` into a kernel's inputs.

import Foundation
import KilnMachine
import KilnNpy
import KilnNumerics
import KilnSema
import KilnSource

/// What the user gave `kiln run` for a kernel's parameters.
public struct RunInputOptions: Sendable {
    /// `--input NAME=FILE.npy`, in command-line order.
    public var files: [(name: String, path: String)]
    /// `--scalar NAME=VALUE`, in command-line order.
    public var scalars: [(name: String, text: String)]
    /// `--random SEED`: generate every parameter not given otherwise (`RandomInputs`).
    public var randomSeed: UInt64?
    /// `--strict-dtypes`: an array's dtype must be exactly the parameter's.
    public var strictDTypes: Bool

    public init(files: [(name: String, path: String)] = [], scalars: [(name: String, text: String)] = [],
                randomSeed: UInt64? = nil, strictDTypes: Bool = false) {
        self.files = files
        self.scalars = scalars
        self.randomSeed = randomSeed
        self.strictDTypes = strictDTypes
    }
}

/// Binds a kernel's parameters, in two steps around dim binding:
/// 1. `readFiles` reads every `--input` file, checks its name, and returns the array shapes
///    (which bind the kernel's symbolic dims, `CheckedKernel.bindDims(_:inputShapes:)`);
/// 2. `bind` makes one tensor per parameter, in this order of precedence: an `--input` file, a
///    `--scalar` value, the parameter's default (scalars), the `--random SEED` generator; a
///    parameter with none of these is an error naming the flags to use.
///
/// Dtype rules for files (`ArrayConversion`): an array whose dtype is the parameter's is taken
/// bit for bit; a float array of another float dtype is rounded to the parameter's dtype (to
/// nearest, ties to even) with a note (K4503), and `--strict-dtypes` makes any dtype difference an
/// error; raw-bit arrays (`<u2`, `<V2`, `|u1`, `<V1`) are the parameter's own bit patterns.
public struct InputBinding {
    public let kernel: CheckedKernel
    public let options: RunInputOptions

    public init(kernel: CheckedKernel, options: RunInputOptions) {
        self.kernel = kernel
        self.options = options
    }

    /// Step 1: reads the files. Returns the arrays by parameter name, and their shapes.
    public func readFiles() -> (arrays: [String: NpyArray], shapes: [String: [Int]], diagnostics: DiagnosticBag) {
        var diagnostics = DiagnosticBag()
        var arrays: [String: NpyArray] = [:]
        var seen: Set<String> = []
        let names = kernel.params.map(\.name)
        for (name, path) in options.files {
            guard let param = kernel.params.first(where: { $0.name == name }) else {
                diagnostics.report(DiagnosticCatalogue.unknownInput(name, flag: "--input", kernel: kernel.name, parameters: names,
                                                 at: kernel.syntax.name.span))
                continue
            }
            guard seen.insert(name).inserted else {
                diagnostics.report(DiagnosticCatalogue.duplicateInput(name, at: param.span))
                continue
            }
            do {
                arrays[name] = try NpyFile.read(path: path)
            } catch {
                diagnostics.report(DiagnosticCatalogue.inputFileError(name, error.description, at: param.span))
            }
        }
        for (name, _) in options.scalars where !names.contains(name) {
            diagnostics.report(DiagnosticCatalogue.unknownInput(name, flag: "--scalar", kernel: kernel.name, parameters: names,
                                             at: kernel.syntax.name.span))
        }
        return (arrays, arrays.mapValues(\.shape), diagnostics)
    }

    /// Step 2: one tensor per parameter, of its dtype and bound shape.
    public func bind(dims: BoundDims, arrays: [String: NpyArray]) -> (inputs: [String: Tensor]?, diagnostics: DiagnosticBag) {
        let (packed, diagnostics) = bindPacked(dims: dims, arrays: arrays)
        return (packed?.mapValues(\.tensor), diagnostics)
    }

    /// `bind` with every input as the stored bit patterns of its parameter's dtype: an array already in that
    /// dtype is taken as it is (its bytes shared, not copied: `ArrayConversion.packed`), any other converted.
    public func bindPacked(dims: BoundDims, arrays: [String: NpyArray]) -> (inputs: [String: PackedTensor]?,
                                                                          diagnostics: DiagnosticBag) {
        var diagnostics = DiagnosticBag()
        if let tooLarge = Self.memoryCheck(kernel, dims: dims, available: ProcessInfo.processInfo.physicalMemory) {
            diagnostics.report(tooLarge)
            return (nil, diagnostics)
        }
        var inputs: [String: PackedTensor] = [:]
        let random = options.randomSeed.map(RandomInputs.init(seed:))
        for (index, param) in kernel.params.enumerated() {
            let dtype = param.type.dtype
            guard let shape = dims.shape(of: param.type) else {
                diagnostics.report(DiagnosticCatalogue.interpreterInvariant("the shape of '\(param.name)' cannot be evaluated", at: param.span))
                continue
            }
            if let array = arrays[param.name] {
                let conversion = ArrayConversion(parameter: param.name, dtype: dtype, strict: options.strictDTypes, span: param.span)
                switch conversion.packed(from: array) {
                case .success(let (tensor, note)):
                    if let note { diagnostics.report(note) }
                    inputs[param.name] = tensor
                case .failure(let error):
                    diagnostics.report(error.diagnostic)
                }
            } else if let text = options.scalars.last(where: { $0.name == param.name })?.text {
                if let value = Self.parseScalar(text, dtype: dtype) {
                    inputs[param.name] = PackedTensor(Tensor(scalar: value, dtype: dtype))
                } else {
                    diagnostics.report(DiagnosticCatalogue.badScalarValue(param.name, text: text, expected: Self.scalarExpectation(dtype), at: param.span))
                }
            } else if let defaultValue = param.defaultValue {
                inputs[param.name] = PackedTensor(Tensor(scalar: Self.value(of: defaultValue), dtype: dtype))
            } else if let random, kernel.mxScaleParameters.contains(index), dtype.isFloat,
                      let tensor = random.mxScales(named: param.name, dtype: dtype, shape: shape) {
                inputs[param.name] = PackedTensor(tensor)
            } else if let random, let tensor = random.tensor(named: param.name, dtype: dtype, shape: shape) {
                inputs[param.name] = PackedTensor(tensor)
            } else if param.type.isScalar {
                diagnostics.report(DiagnosticCatalogue.missingScalar(param.name, type: param.type.with(space: .value).description, at: param.span))
            } else {
                diagnostics.report(DiagnosticCatalogue.missingInput(param.name, type: param.type.with(space: .value).description, at: param.span))
            }
        }
        return (diagnostics.hasErrors ? nil : inputs, diagnostics)
    }

    /// The memory a run of `kernel` needs at least, before anything is allocated: every parameter and result
    /// held once on the host as 8-byte values (the executors' own buffers and intermediate values come on top).
    /// An error (K4518) with the estimate when it is more than `available` bytes (this machine's memory), or
    /// does not fit in 64 bits; nil when the run may proceed.
    public static func memoryCheck(_ kernel: CheckedKernel, dims: BoundDims, available: UInt64) -> Diagnostic? {
        var needed: UInt64 = 0
        var overflow = false
        for type in kernel.params.map(\.type) + kernel.results.map(\.type) {
            guard let bytes = dims.byteSize(of: type.with(dtype: .f32)).map({ UInt64($0) * 2 }) else {
                overflow = true
                break
            }
            let (sum, over) = needed.addingReportingOverflow(bytes)
            overflow = overflow || over
            needed = sum
        }
        guard overflow || needed > available else { return nil }
        let bindings = dims.ordered.map { "\($0.name) = \($0.size)" }.joined(separator: ", ")
        return DiagnosticCatalogue.runTooLarge(kernel.name, needed: overflow ? nil : needed, available: available,
                                               bindings: bindings, at: kernel.span)
    }

    /// A `--scalar` value: `true`/`false` for bool, an integer for i32, a decimal or `inf`/`nan`
    /// for floats (rounded to the dtype).
    public static func parseScalar(_ text: String, dtype: ElementType) -> Double? {
        switch dtype {
        case .bool: return text == "true" ? 1 : text == "false" ? 0 : nil
        case .i32: return Int32(text).map(Double.init)
        case .f32, .bf16, .f16, .f8e4m3, .f8e4m3fn, .f8e5m2, .f4e2m1fn: return Double(text)
        }
    }

    static func scalarExpectation(_ dtype: ElementType) -> String {
        switch dtype {
        case .bool: "true or false"
        case .i32: "an integer that fits in i32"
        case .f32, .bf16, .f16, .f8e4m3, .f8e4m3fn, .f8e5m2, .f4e2m1fn: "a number"
        }
    }

    public static func value(of scalar: ScalarValue) -> Double {
        switch scalar {
        case .int(let value): Double(value)
        case .float(let value): value
        case .bool(let value): value ? 1 : 0
        }
    }
}
