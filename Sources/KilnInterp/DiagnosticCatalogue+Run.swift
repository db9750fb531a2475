// DiagnosticCatalogue+Run.swift: the diagnostics KilnInterp emits (K4500-K4599) (ids in the ranges DiagnosticCatalogue.swift gives).

import Foundation
import KilnSource

extension DiagnosticCatalogue {
    public static func inputFileError(_ parameter: String, _ problem: String, at span: SourceSpan) -> Diagnostic {
        make("K4500", "input-file-error", .error, "input '\(parameter)': \(problem)", at: span)
    }
    public static func unknownInput(_ name: String, flag: String, kernel: String, parameters: [String],
                                    at span: SourceSpan) -> Diagnostic {
        let known = parameters.isEmpty ? "it has none" : "its parameters are " + parameters.map { "'\($0)'" }.joined(separator: ", ")
        return make("K4501", "unknown-input", .error,
                    "\(flag) names '\(name)', which is not a parameter of kernel '\(kernel)'; \(known)", at: span)
    }
    public static func missingInput(_ parameter: String, type: String, at span: SourceSpan) -> Diagnostic {
        make("K4502", "missing-input", .error,
             "no input for parameter '\(parameter)' (\(type)); pass --input \(parameter)=FILE.npy or --random SEED",
             at: span)
    }
    public static func inputRounded(_ parameter: String, from: String, to: String, changed: Int, at span: SourceSpan) -> Diagnostic {
        make("K4503", "input-rounded", .note,
             "input '\(parameter)': \(from) values converted to \(to) (round to nearest even; \(changed) changed); "
             + "--strict-dtypes makes this an error", at: span)
    }
    public static func inputDTypeMismatch(_ parameter: String, found: String, expected: String, reason: String,
                                          at span: SourceSpan) -> Diagnostic {
        make("K4504", "input-dtype-mismatch", .error,
             "input '\(parameter)' holds \(found) but the parameter is \(expected): \(reason)", at: span)
    }
    public static func badScalarValue(_ parameter: String, text: String, expected: String, at span: SourceSpan) -> Diagnostic {
        make("K4505", "bad-scalar-value", .error,
             "--scalar \(parameter)=\(text): '\(text)' is not \(expected)", at: span)
    }
    public static func missingScalar(_ parameter: String, type: String, at span: SourceSpan) -> Diagnostic {
        make("K4506", "missing-scalar", .error,
             "scalar parameter '\(parameter)' (\(type)) has no default; pass --scalar \(parameter)=VALUE or --random SEED",
             at: span)
    }
    public static func integerDivisionByZero(at span: SourceSpan) -> Diagnostic {
        make("K4510", "integer-division-by-zero", .error, "integer division by zero", at: span)
    }
    public static func tileReshapeClipped(_ valid: [Int], _ shape: [Int], at span: SourceSpan) -> Diagnostic {
        make("K4520", "tile-reshape-clipped", .error,
             "the reshaped tile holds \(valid) here (its free dims clipped at the tensor's end), which cannot be regrouped "
                + "as \(shape); reshape a tile whose free dims are whole", at: span)
    }
    public static func tileReadBeforeWrite(_ name: String, at span: SourceSpan) -> Diagnostic {
        make("K4511", "tile-read-before-write", .error,
             "tile buffer '\(name)' is read before anything is written to it", at: span)
    }
    public static func inputValueOutOfRange(_ parameter: String, value: String, type: String, at span: SourceSpan) -> Diagnostic {
        make("K4513", "input-value-out-of-range", .error,
             "input '\(parameter)' holds \(value), which does not fit in \(type)", at: span)
    }
    public static func duplicateInput(_ name: String, at span: SourceSpan) -> Diagnostic {
        make("K4514", "duplicate-input", .error, "input '\(name)' is given more than once", at: span)
    }
    public static func gatherIndexOutOfRange(_ index: Int, position: Int, rows: Int, at span: SourceSpan) -> Diagnostic {
        make("K4519", "gather-index-out-of-range", .error,
             "gather index \(index) (element \(position) of the indices, in row-major order) is outside the table's rows "
                + "0 ..< \(rows)", at: span)
    }
    public static func scatterIndexOutOfRange(_ index: Int, position: Int, rows: Int, at span: SourceSpan) -> Diagnostic {
        make("K4521", "scatter-index-out-of-range", .error,
             "scatter_add index \(index) (element \(position) of the indices, in row-major order) is outside the table's "
                + "rows 0 ..< \(rows)", at: span)
    }
    public static func runTooLarge(_ kernel: String, needed: UInt64?, available: UInt64, bindings: String,
                                   at span: SourceSpan) -> Diagnostic {
        func gib(_ bytes: UInt64) -> String { String(format: "%.1f GiB", Double(bytes) / 1_073_741_824) }
        let amount = needed.map { "at least \(gib($0))" } ?? "more than 2^64 bytes"
        return make("K4518", "run-too-large", .error,
                    "running '\(kernel)' with \(bindings) needs \(amount) for its inputs and outputs, more than this "
                        + "machine's \(gib(available)); use smaller dims, or --timing-only for the simulated time alone",
                    at: span)
    }
    /// The checked program broke an invariant the interpreter relies on (a checker bug, not a user error).
    public static func interpreterInvariant(_ problem: String, at span: SourceSpan) -> Diagnostic {
        make("K4599", "interpreter-invariant", .error,
             "internal error in the reference interpreter: \(problem); please report it", at: span)
    }
}
