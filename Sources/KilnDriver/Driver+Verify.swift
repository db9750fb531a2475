// Driver+Verify.swift: `kiln verify`: run a kernel on several backends with the same random inputs and compare outputs.

import KilnMachine
import KilnNumerics
import KilnSema
import KilnSource
import KilnTileIR

/// How far two executors' values of one dtype may differ (Docs/numerics.md, "Tolerances"; the two additions
/// below are explained in Docs/simulator.md, "Verification"). An element passes when NaN meets NaN, or
///
///     |a - b| <= max(atol + rtol * |b| + normRTol * max|B|,  formatSteps * spacing of the format at |b|)
///
/// where b is the oracle's value (the first backend's) and max|B| the largest finite magnitude of the
/// oracle's whole output. `normRTol` (f32 only, 2^-16) is the f32 accumulation allowance: the oracle sums
/// in f64, the hardware in f32 in its own order, and the error of a K-term f32 sum is proportional to the
/// magnitudes summed, not to the (possibly cancelled) result. `formatSteps` (bf16, f16, fp8: one step)
/// is the docs' "the double rounding may land one step away": one step is up to 2^-p relative, which the
/// rtol column alone (2^-(p+1)) does not cover at the bottom of a binade. `roundedThrough` widens
/// `normRTol` to the unit roundoff of a narrower float type the kernel rounds a computed value to (`p as
/// bf16` in attention): two executors whose f32 values differ slightly may round such a value to
/// neighbouring steps, and the difference propagates to the output at that type's precision.
public struct Tolerance: Sendable, Hashable, CustomStringConvertible {
    public var rtol: Double
    public var atol: Double
    public var normRTol: Double
    public var formatSteps: Double
    let format: FloatFormat?

    /// The documented tolerance of a result dtype.
    public init(for dtype: ElementType) {
        switch dtype {
        case .f32: self.init(rtol: 1e-5, atol: 1e-6, normRTol: 0x1p-16, formatSteps: 0, format: nil)
        case .bf16: self.init(rtol: 0x1p-8, atol: 0x1p-12, normRTol: 0, formatSteps: 1, format: dtype.floatFormat)
        case .f16: self.init(rtol: 0x1p-10, atol: 0x1p-14, normRTol: 0, formatSteps: 1, format: dtype.floatFormat)
        case .f8e4m3, .f8e4m3fn, .f8e5m2, .f4e2m1fn: self.init(rtol: 0, atol: 0, normRTol: 0, formatSteps: 1, format: dtype.floatFormat)
        case .i32, .bool: self.init(rtol: 0, atol: 0, normRTol: 0, formatSteps: 0, format: nil)
        }
    }

    init(rtol: Double, atol: Double, normRTol: Double, formatSteps: Double, format: FloatFormat?) {
        self.rtol = rtol
        self.atol = atol
        self.normRTol = normRTol
        self.formatSteps = formatSteps
        self.format = format
    }

    /// This tolerance, allowing also one rounding to `type` relative to the output's largest magnitude.
    public func roundedThrough(_ type: ElementType) -> Tolerance {
        guard let format = type.floatFormat else { return self }
        var widened = self
        widened.normRTol = max(normRTol, Double(sign: .plus, exponent: -(format.mantissaBits + 1), significand: 1))
        return widened
    }

    /// The largest allowed |a - b| for the oracle's value `b`, the other value `a`, and the oracle output's
    /// largest finite magnitude `outputMax`.
    public func allowed(_ a: Double, _ b: Double, outputMax: Double) -> Double {
        var bound = atol + rtol * abs(b) + normRTol * outputMax
        if let format, formatSteps > 0 {
            let magnitude = max(abs(a), abs(b))
            let smallestExponent = 1 - format.bias
            let exponent = magnitude > 0 && magnitude.isFinite ? max(smallestExponent, Int(magnitude.exponent)) : smallestExponent
            bound = max(bound, formatSteps * Double(sign: .plus, exponent: exponent - format.mantissaBits, significand: 1))
        }
        return bound
    }

    public func matches(_ a: Double, _ b: Double, outputMax: Double) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a == b { return true }
        return abs(a - b) <= allowed(a, b, outputMax: outputMax)
    }

    public var description: String {
        var text = rtol > 0 || atol > 0 ? "rtol \(rtol), atol \(atol)" : ""
        if normRTol > 0 { text += " + \(normRTol) x max|out|" }
        if formatSteps > 0 { text += text.isEmpty ? "one step of the format" : ", or one step of the format" }
        return text.isEmpty ? "exact" : text
    }
}

/// One output compared between two backends.
public struct OutputComparison: Sendable {
    public var output: String
    public var dtype: ElementType
    public var tolerance: Tolerance
    public var maxAbsError: Double
    /// max |a - b| / |b| over elements with b != 0.
    public var maxRelError: Double
    public var mismatches: Int
    public var count: Int
    /// The element that exceeds its tolerance the most (or has the largest error when none does):
    /// its index and both values (first backend, second backend).
    public var worstIndex: [Int]
    public var worstValues: (first: Double, second: Double)
    /// Set when the two outputs cannot be compared element by element.
    public var shapeProblem: String?

    public var passed: Bool { shapeProblem == nil && mismatches == 0 }
}

/// The comparisons of one backend pair.
public struct BackendPairComparison: Sendable {
    public var first: RunBackend
    public var second: RunBackend
    public var outputs: [OutputComparison]
}

/// What `verify` found for one kernel file.
public struct VerifyReport: Sendable {
    public var kernel: String?
    /// The runs by backend, in the order asked for.
    public var runs: [(backend: RunBackend, outcome: RunOutcome)]
    public var pairs: [BackendPairComparison]
    /// Run failures, and one located error per mismatching output.
    public var diagnostics: DiagnosticBag
    public var source: SourceFile

    public var passed: Bool { !diagnostics.hasErrors && pairs.allSatisfy { $0.outputs.allSatisfy(\.passed) } }

    public func renderedDiagnostics(showIDs: Bool = false) -> String {
        DiagnosticRenderer(showIDs: showIDs).render(diagnostics.sorted(), in: source)
    }
}

extension Driver {
    /// Runs the kernel on every backend of `backends` (the first is the oracle) with the same inputs
    /// (`--random seed`, `RunRequest.inputs`), then compares every pair of backends output by output with
    /// the tolerance of the output's dtype. A backend that fails to run contributes its diagnostics; each
    /// mismatching output adds a K4516 error naming the kernel, the output and its worst element.
    public static func verify(_ source: SourceFile, backends: [RunBackend], request: RunRequest) -> VerifyReport {
        var report = VerifyReport(kernel: nil, runs: [], pairs: [], diagnostics: DiagnosticBag(), source: source)
        let frontEnd = runFrontEnd(source, dtypes: request.dtypes, inputDTypes: inputDTypes(request.inputs))  // parsed and checked once, for every executor
        for backend in backends {
            var backendRequest = request
            backendRequest.backend = backend
            let outcome = run(frontEnd, request: backendRequest)
            report.kernel = report.kernel ?? outcome.kernel
            report.runs.append((backend, outcome))
            // The front end's diagnostics are the same for every backend: report each once.
            for diagnostic in outcome.diagnostics.diagnostics where !report.diagnostics.diagnostics.contains(diagnostic) {
                report.diagnostics.report(diagnostic)
            }
            if outcome.hasErrors, outcome.diagnostics.diagnostics.isEmpty {
                report.diagnostics.report(DiagnosticCatalogue.interpreterInvariant("backend \(backend) produced no outputs",
                                                                                  at: source.span(0, 0)))
            }
        }
        let completed = report.runs.filter { !$0.outcome.hasErrors }
        guard completed.count == report.runs.count else { return report }
        let kernel = report.kernel ?? "?"
        let span = report.runs.first.flatMap { run in
            run.outcome.frontEnd.program.kernel(named: kernel).map(\.syntax.name.span)
        } ?? source.span(0, 0)
        let rounded = intermediateRoundings(frontEnd, kernel: kernel, dims: report.runs.first?.outcome.bound?.sizes ?? request.dims)
        let (pairs, mismatches) = comparePairs(completed.map { ($0.backend, $0.outcome.outputs ?? []) }, kernel: kernel, at: span,
                                               roundedThrough: rounded)
        report.pairs = pairs
        report.diagnostics.append(contentsOf: mismatches)
        return report
    }

    /// Compares every pair of runs (the first of each pair as the oracle) output by output; each output that
    /// fails adds a K4516 (values) or K4517 (shapes) error naming the kernel, the output and both backends.
    public static func comparePairs(_ runs: [(backend: RunBackend, outputs: [(name: String, tensor: Tensor)])], kernel: String,
                                    at span: SourceSpan, roundedThrough rounded: [ElementType])
        -> ([BackendPairComparison], DiagnosticBag) {
        var pairs: [BackendPairComparison] = []
        var diagnostics = DiagnosticBag()
        for (i, first) in runs.enumerated() {
            for second in runs.dropFirst(i + 1) {
                let outputs = compare(first.outputs, second.outputs, roundedThrough: rounded)
                pairs.append(BackendPairComparison(first: first.backend, second: second.backend, outputs: outputs))
                for comparison in outputs where !comparison.passed {
                    let backends = "\(first.backend) and \(second.backend)"
                    if let problem = comparison.shapeProblem {
                        diagnostics.report(DiagnosticCatalogue.verifyShapeMismatch(
                            kernel: kernel, output: comparison.output, detail: "\(backends): \(problem)", at: span))
                    } else {
                        diagnostics.report(DiagnosticCatalogue.verifyMismatch(
                            kernel: kernel, output: comparison.output, backends: backends, detail: comparison.summary, at: span))
                    }
                }
            }
        }
        return (pairs, diagnostics)
    }

    /// Compares outputs by name (the first list's order).
    public static func compare(_ first: [(name: String, tensor: Tensor)], _ second: [(name: String, tensor: Tensor)],
                               roundedThrough: [ElementType] = []) -> [OutputComparison] {
        first.map { name, tensor in
            guard let other = second.first(where: { $0.name == name })?.tensor else {
                return OutputComparison(output: name, dtype: tensor.dtype, tolerance: Tolerance(for: tensor.dtype), maxAbsError: 0,
                                        maxRelError: 0, mismatches: 0, count: tensor.count, worstIndex: [], worstValues: (0, 0),
                                        shapeProblem: "the second backend has no output '\(name)'")
            }
            return compare(name, tensor, other, roundedThrough: roundedThrough)
        }
    }

    /// The float types narrower than f32 to which `kernel` rounds a computed value (a `cast` whose operand
    /// is not a parameter), from its lowered IR (no passes). Empty when it does not lower.
    public static func intermediateRoundings(_ frontEnd: FrontEndResult, kernel: String, dims: [String: Int]) -> [ElementType] {
        let compilation = compile(frontEnd, dims: dims, options: PipelineOptions(passes: ""))
        guard let function = compilation.lowered?.functions.first(where: { $0.name == kernel }) else { return [] }
        let parameters = Set(function.parameters.map(\.value.id))
        var types: Set<ElementType> = []
        for candidate in compilation.lowered?.functions ?? [] {
            candidate.body.walk { op in
                guard case .cast(let operand) = op.kind, !parameters.contains(operand),
                      case .tensor(let type) = op.result?.type, let format = type.element.floatFormat,
                      format.mantissaBits < 23 else { return }
                types.insert(type.element)
            }
        }
        return types.sorted { $0.rawValue < $1.rawValue }
    }

    /// One output: element-wise errors, mismatches, and the worst element.
    public static func compare(_ name: String, _ first: Tensor, _ second: Tensor,
                               roundedThrough: [ElementType] = []) -> OutputComparison {
        let tolerance = roundedThrough.reduce(Tolerance(for: first.dtype)) { $0.roundedThrough($1) }
        var result = OutputComparison(output: name, dtype: first.dtype, tolerance: tolerance, maxAbsError: 0, maxRelError: 0,
                                      mismatches: 0, count: first.count, worstIndex: [], worstValues: (0, 0))
        guard first.shape == second.shape, first.dtype == second.dtype else {
            result.shapeProblem = "\(first.typeDescription) vs \(second.typeDescription)"
            return result
        }
        var worstScore = -Double.infinity
        var worst = 0
        let outputMax = first.values.reduce(0) { $1.isFinite ? max($0, abs($1)) : $0 }
        first.values.withUnsafeBufferPointer { a in
            second.values.withUnsafeBufferPointer { b in
                for index in 0..<a.count {
                    let (oracle, other) = (a[index], b[index])
                    let matches = tolerance.matches(other, oracle, outputMax: outputMax)
                    let error = oracle.isNaN || other.isNaN ? (matches ? 0 : Double.infinity) : abs(other - oracle)
                    result.maxAbsError = max(result.maxAbsError, error)
                    if oracle != 0, error.isFinite { result.maxRelError = max(result.maxRelError, error / abs(oracle)) }
                    if !matches { result.mismatches += 1 }
                    // Score: how many times the allowed error this one is (infinite for NaN mismatches).
                    let allowed = tolerance.allowed(other, oracle, outputMax: outputMax)
                    let score = error == 0 ? 0 : allowed > 0 ? error / allowed : .infinity
                    if score > worstScore {
                        worstScore = score
                        worst = index
                    }
                }
            }
        }
        if first.count > 0 {
            result.worstIndex = unflatten(worst, shape: first.shape)
            result.worstValues = (first.values[worst], second.values[worst])
        }
        return result
    }

    static func unflatten(_ flat: Int, shape: [Int]) -> [Int] {
        var index: [Int] = []
        var rest = flat
        for size in shape.reversed() {
            index.append(size > 0 ? rest % size : 0)
            rest = size > 0 ? rest / size : 0
        }
        return index.reversed()
    }
}

extension OutputComparison {
    /// `3 of 4096 elements exceed rtol 1e-05, atol 1e-06; worst [12, 7]: 0.5 vs 0.50002; max abs 2e-05, max rel 4e-05`
    public var summary: String {
        let worst = worstIndex.isEmpty ? "" : "; worst [\(worstIndex.map(String.init).joined(separator: ", "))]: "
            + "\(worstValues.first) vs \(worstValues.second)"
        return "\(mismatches) of \(count) elements exceed \(tolerance)\(worst); max abs \(maxAbsError), max rel \(maxRelError)"
    }
}
