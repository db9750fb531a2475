// DiagnosticCatalogue+Shared.swift: the diagnostics more than one stage emits; each stage keeps its others itself.

extension DiagnosticCatalogue {
    /// The checker (K2024): a tile's partition dim over the 128 partitions, at the kernel source.
    public static func partitionDimTooLarge(_ dim: String, value: Int, space: String, at span: SourceSpan) -> Diagnostic {
        let shown = dim == String(value) ? dim : "\(dim) = \(value)"
        return make("K2024", "partition-dim-too-large", .error,
                    "partition dim \(shown) exceeds the 128 \(space.uppercased()) partitions", at: span)
    }

    /// The tile IR verifier (K3301, machine limits K33xx): a tile with more partitions than the target has.
    public static func partitionDimTooLarge(_ actual: Int, limit: Int, target: String, at span: SourceSpan) -> Diagnostic {
        make("K3301", "partition-dim", .error,
             "tile has \(actual) partitions; \(target) has \(limit)", at: span)
    }
}
