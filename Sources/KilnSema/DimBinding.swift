// DimBinding.swift: binding a kernel's symbolic dims to sizes (--dim, input shapes, defaults) and re-checking limits.

import KilnSource

/// Concrete sizes for every dim of one kernel.
public struct BoundDims: Sendable, Hashable {
    /// In the kernel's dim order.
    public var ordered: [(name: String, size: Int)]
    public var sizes: [String: Int] { Dictionary(ordered.map { ($0.name, $0.size) }, uniquingKeysWith: { a, _ in a }) }

    /// The concrete size of a dim expression; nil on overflow or an unknown name.
    public func evaluate(_ dim: Dim) -> Int? { dim.evaluate(sizes) }
    /// The concrete shape of a type.
    public func shape(of type: ValueType) -> [Int]? {
        var result: [Int] = []
        for dim in type.shape {
            guard let size = evaluate(dim) else { return nil }
            result.append(size)
        }
        return result
    }

    /// Elements times the dtype's size, overflow-checked (nil if it does not fit in an Int).
    public func byteSize(of type: ValueType) -> Int? {
        guard let shape = shape(of: type) else { return nil }
        var total = type.dtype.byteSize
        for size in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: size)
            if overflow { return nil }
            total = product
        }
        return total
    }

    public static func == (a: BoundDims, b: BoundDims) -> Bool { a.sizes == b.sizes }
    public func hash(into hasher: inout Hasher) { hasher.combine(sizes) }
}

extension CheckedKernel {
    /// Binds every dim of the kernel. Sizes come, in priority order, from `flags` (`--dim N=1024`), then
    /// from `inputShapes` (parameter name -> shape of the array given for it; a parameter dim written as
    /// a single name takes the input's size), then from the `<N = 256>` default. Reports unknown names in
    /// `flags`, non-positive sizes, inputs whose shape contradicts the declared one, and unbound dims
    /// (naming the `--dim` flag). Then re-checks every limit that was symbolic at check time (partition
    /// dim <= 128, nc_matmul K, M <= 128 and N <= 512, shapes and slice sizes positive).
    public func bindDims(_ flags: [String: Int], inputShapes: [String: [Int]] = [:]) -> (BoundDims?, DiagnosticBag) {
        var diagnostics = DiagnosticBag()
        let names = dims.map(\.name)
        var sizes: [String: Int] = [:]
        for (name, size) in flags.sorted(by: { $0.key < $1.key }) {
            guard names.contains(name) else {
                diagnostics.report(DiagnosticCatalogue.unknownDimFlag(name, kernel: self.name, dims: names))
                continue
            }
            guard size > 0 else {
                diagnostics.report(DiagnosticCatalogue.dimFlagNotPositive(name, value: size))
                continue
            }
            sizes[name] = size
        }
        bindFromInputs(inputShapes, into: &sizes, &diagnostics)
        var ordered: [(name: String, size: Int)] = []
        for dim in dims {
            if let size = sizes[dim.name] ?? dim.defaultSize {
                ordered.append((dim.name, size))
                sizes[dim.name] = size
            } else if flags[dim.name] == nil {
                diagnostics.report(DiagnosticCatalogue.unboundDim(dim.name, kernel: name, at: dim.span))
            }
        }
        guard ordered.count == dims.count, !diagnostics.hasErrors else { return (nil, diagnostics) }
        let bound = BoundDims(ordered: ordered)
        let bindings = ordered.map { "\($0.name) = \($0.size)" }.joined(separator: ", ")
        var reported: Set<StaticLimit> = []
        for limit in limits + shapeLimits where reported.insert(limit).inserted {
            guard let value = bound.evaluate(limit.dim) else {
                diagnostics.report(DiagnosticCatalogue.boundDimInvalid(
                    limit.dim.description, bindings: bindings, problem: "overflows 64-bit integers", at: limit.span))
                continue
            }
            if let diagnostic = limitViolation(limit, value: value) { diagnostics.report(diagnostic) }
        }
        if !diagnostics.hasErrors {
            for (name, type, span) in params.map({ ($0.name, $0.type, $0.span) }) + results.map({ ($0.name, $0.type, $0.span) })
            where bound.byteSize(of: type) == nil {
                diagnostics.report(DiagnosticCatalogue.boundDimInvalid(
                    "\(name): \(type)", bindings: bindings, problem: "has a byte size that overflows 64-bit integers",
                    at: span))
            }
        }
        return (diagnostics.hasErrors ? nil : bound, diagnostics)
    }

    /// Every parameter and result dim must come out positive (and fit in 64 bits) once bound.
    private var shapeLimits: [StaticLimit] {
        (params.map { ($0.type, $0.span) } + results.map { ($0.type, $0.span) }).flatMap { type, span in
            type.shape.filter { $0.constantValue == nil }.map { StaticLimit(kind: .positive, dim: $0, span: span) }
        }
    }

    /// Matches each given input's shape against its parameter's declared shape.
    private func bindFromInputs(_ inputShapes: [String: [Int]], into sizes: inout [String: Int],
                                _ diagnostics: inout DiagnosticBag) {
        var solved: [(param: ParamInfo, dim: Dim, size: Int, shape: [Int])] = []
        defer { bindExpressions(solved, into: &sizes, &diagnostics) }
        for param in params {
            guard let shape = inputShapes[param.name] else { continue }
            let declared = param.type.shape
            guard shape.count == declared.count else {
                diagnostics.report(DiagnosticCatalogue.inputShapeMismatch(
                    param.name, "has rank \(shape.count) but parameter '\(param.name)' is \(param.type)",
                    at: param.span))
                continue
            }
            for (dim, size) in zip(declared, shape) {
                if let constant = dim.constantValue {
                    if constant != size {
                        diagnostics.report(DiagnosticCatalogue.inputShapeMismatch(
                            param.name, "has shape \(shape) but parameter '\(param.name)' is \(param.type)",
                            at: param.span))
                    }
                } else if dim.symbolName == nil {
                    solved.append((param, dim, size, shape))
                } else if let name = dim.symbolName {
                    if let existing = sizes[name], existing != size {
                        diagnostics.report(DiagnosticCatalogue.inputShapeMismatch(
                            param.name, "has shape \(shape), giving \(name) = \(size), but \(name) is already \(existing)",
                            at: param.span))
                    } else if size <= 0 {
                        diagnostics.report(DiagnosticCatalogue.inputShapeMismatch(
                            param.name, "has an empty dim in shape \(shape)", at: param.span))
                    } else {
                        sizes[name] = size
                    }
                }
            }
        }
    }

    /// Dims written as expressions (`2 * H`, `N + M`, `128 * T + 1`) bind their one unknown dim from an input's
    /// size: `H = 96 / 2`. Repeated while one binding makes another expression solvable (`N + M` once N is
    /// bound); a size that no integer solves is an error naming the parameter and the expression. Expressions
    /// left with two unknowns stay for `--dim` or the defaults, and are checked against the input later.
    private func bindExpressions(_ pending: [(param: ParamInfo, dim: Dim, size: Int, shape: [Int])],
                                 into sizes: inout [String: Int], _ diagnostics: inout DiagnosticBag) {
        var pending = pending
        var progress = true
        while progress {
            progress = false
            pending = pending.filter { item in
                let affine = item.dim.affine
                let unknown = affine.variables.filter { sizes[$0.name] == nil }
                guard unknown.count == 1, let variable = unknown.first, let coefficient = affine.terms[variable] else {
                    return unknown.count > 1
                }
                var rest = affine.constant
                for (other, factor) in affine.terms where other != variable {
                    let (product, o1) = factor.multipliedReportingOverflow(by: sizes[other.name] ?? 0)
                    let (sum, o2) = rest.addingReportingOverflow(product)
                    if o1 || o2 { return false }
                    rest = sum
                }
                let (difference, overflow) = item.size.subtractingReportingOverflow(rest)
                guard !overflow, difference % coefficient == 0, difference / coefficient > 0 else {
                    diagnostics.report(DiagnosticCatalogue.inputShapeMismatch(item.param.name,
                        "has shape \(item.shape), but no positive integer \(variable.name) makes \(item.dim) equal \(item.size)",
                        at: item.param.span))
                    return false
                }
                sizes[variable.name] = difference / coefficient
                progress = true
                return false
            }
        }
    }
}
