// PreparedJIT.swift: a JIT-compiled kernel run once or timed, inputs converted to the entry arguments' dtypes.

import KilnBackendLibraryABI
import KilnLLVM
import KilnNumerics

/// A JIT-compiled kernel. Inputs are converted to the entry arguments' dtypes (a `--input` array of another
/// dtype is rounded as the reference interpreter rounds it), scalars passed as rank-0 tensors.
struct PreparedJIT: Sendable {
    var kernel: JITKernel

    func run(inputs: [String: Tensor]) -> LibraryResult<[(name: String, tensor: Tensor)]> {
        do {
            return .success(try kernel.run(inputs: converted(inputs)))
        } catch {
            return .failure(error.diagnostics)
        }
    }

    /// Packs the inputs into native buffers once, calls once untimed, then times each call alone.
    func time(inputs: [String: Tensor], iterations: Int) -> LibraryResult<[Double]> {
        do {
            let call = try kernel.prepare(inputs: converted(inputs))
            try call.invoke()
            let clock = ContinuousClock()
            var wall: [Double] = []
            for _ in 0..<iterations {
                let start = clock.now
                try call.invoke()
                let (whole, attoseconds) = (clock.now - start).components
                wall.append(Double(whole) + Double(attoseconds) * 1e-18)
            }
            return .success(wall)
        } catch {
            return .failure(error.diagnostics)
        }
    }

    private func converted(_ inputs: [String: Tensor]) -> [String: Tensor] {
        var converted = inputs
        for argument in kernel.signature.inputs {
            guard let tensor = inputs[argument.name], tensor.dtype != argument.element,
                  let retyped = Tensor(dtype: argument.element, shape: tensor.shape,
                                       values: tensor.values.map(argument.element.convert)) else { continue }
            converted[argument.name] = retyped
        }
        return converted
    }
}
