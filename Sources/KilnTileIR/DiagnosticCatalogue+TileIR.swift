// DiagnosticCatalogue+TileIR.swift: the diagnostics KilnTileIR emits (K3101-K3310) (ids in the ranges DiagnosticCatalogue.swift gives).

import KilnSource

extension DiagnosticCatalogue {
    // IR text (K31xx)
    public static func tileIRExpected(_ what: String, found: String, at span: SourceSpan) -> Diagnostic {
        make("K3101", "tir-expected", .error, "expected \(what), found \(found)", at: span)
    }
    public static func tileIRUndefinedValue(_ name: String, at span: SourceSpan) -> Diagnostic {
        make("K3102", "tir-undefined-value", .error, "use of undefined value %\(name)", at: span)
    }
    public static func tileIRRedefinedValue(_ name: String, at span: SourceSpan, previous: SourceSpan) -> Diagnostic {
        make("K3103", "tir-redefined-value", .error, "value %\(name) is defined twice",
             at: span, notes: [DiagnosticNote("first defined here", at: previous)])
    }
    public static func tileIRUnknownOpcode(_ name: String, suggestions: [String], at span: SourceSpan) -> Diagnostic {
        let hint = suggestions.isEmpty ? "" : "; did you mean \(suggestions.map { "'\($0)'" }.joined(separator: " or "))?"
        return make("K3104", "tir-unknown-op", .error, "unknown operation '\(name)'\(hint)", at: span)
    }
    public static func tileIRUnknownName(_ kind: String, _ name: String, allowed: String, at span: SourceSpan) -> Diagnostic {
        make("K3105", "tir-unknown-name", .error, "unknown \(kind) '\(name)'; expected one of: \(allowed)", at: span)
    }
    public static func tileIRBadNumber(_ text: String, _ reason: String, at span: SourceSpan) -> Diagnostic {
        make("K3106", "tir-bad-number", .error, "bad number '\(text)': \(reason)", at: span)
    }
    public static func tileIRUnterminatedString(at span: SourceSpan) -> Diagnostic {
        make("K3107", "tir-unterminated-string", .error, "unterminated string; '\"' has no closing '\"'", at: span)
    }
    public static func tileIRStrayCharacter(_ text: String, at span: SourceSpan) -> Diagnostic {
        make("K3108", "tir-stray-character", .error, "unexpected character \(text) in tile IR", at: span)
    }
    public static func tileIRUnknownTarget(_ name: String, known: String, at span: SourceSpan) -> Diagnostic {
        make("K3109", "tir-unknown-target", .error, "unknown target '\(name)'; known targets: \(known)", at: span)
    }
    public static func tileIRDuplicateFunction(_ name: String, at span: SourceSpan) -> Diagnostic {
        make("K3110", "tir-duplicate-function", .error, "function @\(name) is defined twice", at: span)
    }
    public static func tileIRNestingTooDeep(limit: Int, at span: SourceSpan) -> Diagnostic {
        make("K3111", "tir-nesting-too-deep", .error, "loops nest too deeply (the limit is \(limit))", at: span)
    }
    // Structure (K32xx)
    public static func tileIRValueDefinedTwice(_ value: String, at span: SourceSpan) -> Diagnostic {
        make("K3201", "ssa-redefinition", .error, "value \(value) is defined more than once", at: span)
    }
    public static func tileIRUseNotDominated(_ value: String, in opcode: String, at span: SourceSpan) -> Diagnostic {
        make("K3202", "use-not-dominated", .error,
             "'\(opcode)' uses \(value), which is not defined before it in an enclosing block", at: span)
    }
    public static func tileIROperandType(_ opcode: String, _ role: String, expected: String, found: String,
                                         at span: SourceSpan) -> Diagnostic {
        make("K3203", "operand-type", .error, "'\(opcode)' \(role) must be \(expected), found \(found)", at: span)
    }
    public static func tileIRShapeMismatch(_ opcode: String, _ detail: String, at span: SourceSpan) -> Diagnostic {
        make("K3204", "tir-shape-mismatch", .error, "'\(opcode)' shapes do not match: \(detail)", at: span)
    }
    public static func tileIRInvalidAxis(_ axis: Int, rank: Int, at span: SourceSpan) -> Diagnostic {
        make("K3205", "invalid-axis", .error, "axis \(axis) is out of range for a rank-\(rank) tensor", at: span)
    }
    public static func tileIRMisplacedReturn(_ detail: String, at span: SourceSpan) -> Diagnostic {
        make("K3206", "misplaced-return", .error, detail, at: span)
    }
    public static func tileIRResultType(_ opcode: String, expected: String, found: String, at span: SourceSpan) -> Diagnostic {
        make("K3207", "result-type", .error, "'\(opcode)' produces \(expected), but its result is declared \(found)", at: span)
    }
    public static func tileIRSliceOutOfBounds(dim: Int, first: Int, last: Int, size: Int, at span: SourceSpan) -> Diagnostic {
        make("K3208", "dma-out-of-bounds", .error,
             "DMA slice covers indices \(first)...\(last) of dim \(dim), but the HBM tensor has \(size)", at: span)
    }
    public static func tileIRCallMismatch(_ detail: String, at span: SourceSpan) -> Diagnostic {
        make("K3209", "call-mismatch", .error, detail, at: span)
    }
    public static func tileIRInvalidLoop(_ detail: String, at span: SourceSpan) -> Diagnostic {
        make("K3210", "invalid-loop", .error, detail, at: span)
    }
    public static func tileIRStoreToInput(_ value: String, at span: SourceSpan) -> Diagnostic {
        make("K3211", "store-to-input", .error,
             "'dma.store' writes \(value), a function input; only outputs and hbm.alloc scratch tensors can be stored to", at: span)
    }
    public static func tileIRInvalidDims(_ detail: String, at span: SourceSpan) -> Diagnostic {
        make("K3212", "invalid-dims", .error, detail, at: span)
    }
    public static func tileIRNotLoopVariable(_ value: String, at span: SourceSpan) -> Diagnostic {
        make("K3213", "not-a-loop-variable", .error,
             "\(value) is used as a loop variable but is not the induction variable of an enclosing 'for'", at: span)
    }
    public static func matmulLimit(_ dim: String, _ actual: Int, limit: Int, at span: SourceSpan) -> Diagnostic {
        make("K3302", "matmul-limit", .error,
             "matmul \(dim) is \(actual); the tensor engine allows at most \(limit)", at: span)
    }
    public static func psumBankOverflow(_ detail: String, at span: SourceSpan) -> Diagnostic {
        make("K3303", "psum-bank", .error, detail, at: span)
    }
    public static func tileExceedsMemory(_ space: String, bytes: Int, capacity: Int, target: String,
                                         at span: SourceSpan) -> Diagnostic {
        make("K3304", "tile-too-large", .error,
             "\(space) tile needs \(bytes) bytes per partition; \(target) has \(capacity)", at: span)
    }
    public static func allocationOutOfRange(_ space: String, end: Int, capacity: Int, target: String,
                                            at span: SourceSpan) -> Diagnostic {
        make("K3305", "allocation-out-of-range", .error,
             "\(space) tile placed up to byte \(end) of each partition; \(target) has \(capacity)", at: span)
    }
    public static func allocationOverlap(_ space: String, at span: SourceSpan, other: SourceSpan?) -> Diagnostic {
        make("K3306", "allocation-overlap", .error,
             "\(space) tile overlaps another tile that is live at the same time", at: span,
             notes: [DiagnosticNote("the other tile is allocated here", at: other)])
    }
    public static func engineMemoryAccess(_ opcode: String, engine: String, access: String, memory: String,
                                          allowed: String, at span: SourceSpan) -> Diagnostic {
        make("K3307", "engine-memory", .error,
             "'\(opcode)' runs on \(engine), which cannot \(access) \(memory) (it can \(access): \(allowed))", at: span)
    }
    public static func partitionStartMisaligned(start: Int, partitions: Int, allowed: [Int], at span: SourceSpan) -> Diagnostic {
        make("K3308", "partition-start", .error,
             "a tile of \(partitions) partitions cannot start at partition \(start); allowed starts: "
                + allowed.map(String.init).joined(separator: ", "), at: span)
    }
    public static func unsupportedOnTarget(_ feature: String, target: String, at span: SourceSpan) -> Diagnostic {
        make("K3309", "unsupported-on-target", .error, "\(feature) is not supported on \(target)", at: span)
    }
    public static func partitionRangeOutOfBounds(start: Int, partitions: Int, limit: Int, at span: SourceSpan) -> Diagnostic {
        make("K3310", "partition-range", .error,
             "tile covers partitions \(start)..<\(start + partitions); the memory has \(limit)", at: span)
    }
}
