// Builtins.swift: the table of builtin functions: names, aliases and argument shapes.

/// How a builtin is called: its positional parameters and its optional labelled ones.
struct BuiltinSpec {
    var positional: [String]
    var labels: [String] = []
    /// Takes any number of positional arguments from `positional.count` up (`concat`).
    var variadic = false

    func accepts(_ count: Int) -> Bool { variadic ? count >= positional.count : count == positional.count }

    /// "1 argument", "2 arguments", "1 argument and an optional 'axis:'", for arity messages.
    var expected: String {
        let count = positional.count == 1 ? "1 argument"
            : "\(positional.count)\(variadic ? " or more" : "") arguments"
        return labels.isEmpty ? count : count + " and an optional " + labels.map { "'\($0):'" }.joined(separator: ", ")
    }
}

/// The builtin functions, looked up by the name written at the call.
enum BuiltinTable {
    /// The builtin a name calls; `where` is an alias of `select`.
    static func lookup(_ name: String) -> Builtin? {
        name == "where" ? .select : Builtin(name: name)
    }

    static func spec(_ builtin: Builtin) -> BuiltinSpec {
        switch builtin {
        case .math: BuiltinSpec(positional: ["x"])
        case .maximum, .minimum, .pow, .matmul, .bitwise_and, .bitwise_or, .bitwise_xor: BuiltinSpec(positional: ["a", "b"])
        case .left_shift, .right_shift: BuiltinSpec(positional: ["a", "bits"])
        case .clamp: BuiltinSpec(positional: ["x", "lo", "hi"])
        case .iota: BuiltinSpec(positional: ["shape"], labels: ["axis"])
        case .argmax, .argmin: BuiltinSpec(positional: ["x"], labels: ["axis"])
        case .topk, .argtopk: BuiltinSpec(positional: ["x", "k"])
        case .cumsum: BuiltinSpec(positional: ["x"], labels: ["axis", "initial"])
        case .scan: BuiltinSpec(positional: ["a", "b"], labels: ["axis", "initial"])
        case .concat: BuiltinSpec(positional: ["a", "b"], labels: ["axis"], variadic: true)
        case .broadcast_to, .reshape: BuiltinSpec(positional: ["x", "shape"])
        case .gather: BuiltinSpec(positional: ["table", "indices"])
        case .scatter_add: BuiltinSpec(positional: ["table", "indices", "values"])
        case .sum, .max, .min, .mean: BuiltinSpec(positional: ["x"], labels: ["axis"])
        case .transpose: BuiltinSpec(positional: ["x"], labels: ["perm"])
        case .copy: BuiltinSpec(positional: ["x"])
        case .select: BuiltinSpec(positional: ["cond", "a", "b"])
        case .load: BuiltinSpec(positional: ["src"])
        case .store: BuiltinSpec(positional: ["dst", "tile"])
        case .nc_matmul: BuiltinSpec(positional: ["stationary", "moving"])
        case .nc_transpose: BuiltinSpec(positional: ["tile"])
        case .bn_stats: BuiltinSpec(positional: ["tile"])
        case .bn_aggr: BuiltinSpec(positional: ["stats"])
        case .quantize_mx, .scale_mx: BuiltinSpec(positional: ["tile", "dtype"])
        case .nc_matmul_mx: BuiltinSpec(positional: ["stationary", "moving", "stationary_scale", "moving_scale"])
        case .activation: BuiltinSpec(positional: ["function", "x"], labels: ["bias", "scale"])
        case .affine_select: BuiltinSpec(positional: ["x", "fill"], labels: ["partition", "free", "offset"])
        }
    }

    /// Unary math that also accepts i32 tensors.
    static func acceptsInteger(_ builtin: Builtin) -> Bool {
        if case .math(let function) = builtin { return function.acceptsInteger }
        return false
    }
}
