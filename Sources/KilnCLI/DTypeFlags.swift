// DTypeFlags.swift: `--dtype NAME=DTYPE`, binding the dtype parameters (`T: float`) of generic kernels.

import ArgumentParser
import KilnMachine

/// `--dtype T=bf16`. The dtype name is checked when the flags are resolved, so an unknown one is an error of
/// the input (`kiln: error: ...`, exit 1) naming the dtypes there are.
struct DTypeBinding: ExpressibleByArgument {
    var name: String
    var dtype: String

    init?(argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        name = parts[0]
        dtype = parts[1]
    }
}

/// The `--dtype` option of every command that compiles a kernel source (beside `--dim`).
struct DTypeFlags: ParsableArguments {
    @Option(name: .customLong("dtype"),
            help: ArgumentHelp("Bind a kernel's dtype parameter, e.g. --dtype T=bf16 (repeatable).", valueName: "NAME=DTYPE"))
    var bindings: [DTypeBinding] = []

    /// The flags as a dictionary: a name given twice is a usage error, an unknown dtype an input error.
    func resolved() throws -> [String: ElementType] {
        var result: [String: ElementType] = [:]
        for binding in bindings {
            guard let dtype = ElementType(rawValue: binding.dtype) else {
                printError("kiln: error: --dtype \(binding.name)=\(binding.dtype): unknown dtype '\(binding.dtype)'; expected one of \(ElementType.allNames)")
                throw ExitCode(1)
            }
            guard result.updateValue(dtype, forKey: binding.name) == nil else {
                throw ValidationError("--dtype \(binding.name) is given more than once")
            }
        }
        return result
    }
}
