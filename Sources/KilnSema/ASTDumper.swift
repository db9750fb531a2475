// ASTDumper.swift: a deterministic, indented text dump of a checked file for `kiln build --emit ast`.

import KilnMachine
import KilnSource
import KilnSyntax

/// Prints the checked tree, one node per line, two spaces per level, each with its `@line:col`:
///
///     kernel softmax <N=256, D> @3:1
///       dim N = 256 @3:16
///       dim D (implicit) @3:34
///       param x: hbm f32[N, D] @3:28
///       result out: hbm f32[N, D] @3:46
///       let m @4:3
///         call max (axis 1) : f32[N, 1] @4:11
///           name x (param) : hbm f32[N, D] @4:15
///           axis: int 1 : i32 @4:24
///
/// Expressions show their kind, what their name or call resolved to, and their type (`<error>` where
/// checking failed, `void` for `store`). Child expressions in a role carry a label (`lower:`, `axis:`).
/// Output depends only on the input, so golden tests can FileCheck it.
public struct ASTDumper {
    public let program: CheckedProgram
    public let source: SourceFile
    private static let maxDepth = 1000

    public init(program: CheckedProgram, source: SourceFile) {
        self.program = program
        self.source = source
    }

    /// The dump of a whole file.
    public static func dump(_ program: CheckedProgram, source: SourceFile) -> String {
        ASTDumper(program: program, source: source).dump()
    }

    public func dump() -> String {
        var out = ""
        for item in program.syntax.items {
            switch item {
            case .kernel(let kernel): dumpKernel(kernel, into: &out)
            case .function(let function): dumpFunction(function, into: &out)
            }
        }
        return out
    }

    private func at(_ span: SourceSpan) -> String {
        guard span.isKnown else { return "@?" }
        return "@\(source.lineColumn(of: span.start))"
    }

    private func line(_ depth: Int, _ text: String, _ span: SourceSpan, into out: inout String) {
        out += String(repeating: "  ", count: depth) + text + " " + at(span) + "\n"
    }

    private func dimList(_ dims: [DimInfo]) -> String {
        dims.isEmpty ? "" : " <" + dims.map { d in d.defaultSize.map { "\(d.name)=\($0)" } ?? d.name }
            .joined(separator: ", ") + ">"
    }

    private func dumpDims(_ dims: [DimInfo], into out: inout String) {
        for dim in dims {
            let detail = dim.defaultSize.map { " = \($0)" } ?? (dim.isDeclared ? "" : " (implicit)")
            line(1, "dim \(dim.name)\(detail)", dim.span, into: &out)
        }
    }

    private func dumpKernel(_ kernel: KernelDecl, into out: inout String) {
        guard let checked = program.kernels.first(where: { $0.span == kernel.span }) else { return }
        let form = checked.isTileForm ? " (tile form)" : ""
        line(0, "kernel \(kernel.name.name)\(dimList(checked.dims))\(form)", kernel.span, into: &out)
        if let schedule = checked.schedule {
            let values = [("tile_m", schedule.tileM), ("tile_n", schedule.tileN), ("tile_k", schedule.tileK),
                          ("bufs", schedule.bufs)].compactMap { name, value in value.map { "\(name)=\($0)" } }
            line(1, (["schedule"] + values).joined(separator: " "), schedule.span, into: &out)
        }
        dumpDims(checked.dims, into: &out)
        for param in checked.params {
            let value = param.defaultValue.map { " = \($0)" } ?? ""
            line(1, "param \(param.name): \(param.type)\(value)", param.span, into: &out)
        }
        for result in checked.results {
            line(1, "result \(result.name): \(result.type)", result.span, into: &out)
        }
        for statement in kernel.body.statements { dumpStatement(statement, depth: 1, into: &out) }
    }

    private func dumpFunction(_ function: FunctionDecl, into out: inout String) {
        let checked = program.functions.first { $0.syntax.span == function.span }
        line(0, "fn \(function.name.name)\(dimList(checked?.dims ?? []))", function.span, into: &out)
        if let checked {
            dumpDims(checked.dims, into: &out)
            for param in checked.params { line(1, "param \(param.name): \(param.type)", param.span, into: &out) }
            line(1, "returns \(checked.result)", function.result.span, into: &out)
        }
        for statement in function.body.statements { dumpStatement(statement, depth: 1, into: &out) }
    }

    private func declared(_ name: Identifier) -> String {
        program.declarations[name.span].map { ": \($0)" } ?? ""
    }

    private func dumpStatement(_ statement: Statement, depth: Int, into out: inout String) {
        guard depth < ASTDumper.maxDepth else { return }
        switch statement.kind {
        case .letBinding(let name, let annotation, let value):
            let type = annotation == nil ? "" : declared(name)
            line(depth, "let \(name.name)\(type)", statement.span, into: &out)
            dumpExpr(value, depth: depth + 1, into: &out)
        case .varDecl(let name, _, let initial):
            line(depth, "var \(name.name)\(declared(name))", statement.span, into: &out)
            if let initial { dumpExpr(initial, depth: depth + 1, label: "fill", into: &out) }
        case .assign(let target, let op, let value):
            line(depth, "assign \(target.name) \(op.rawValue)", statement.span, into: &out)
            dumpExpr(value, depth: depth + 1, into: &out)
        case .assignWindow(let target, let op, let value):
            line(depth, "assign window \(op.rawValue)", statement.span, into: &out)
            dumpExpr(target, depth: depth + 1, label: "target", into: &out)
            dumpExpr(value, depth: depth + 1, into: &out)
        case .forLoop(let variable, let lower, let upper, let step, let body):
            line(depth, "for \(variable.name)", statement.span, into: &out)
            dumpExpr(lower, depth: depth + 1, label: "lower", into: &out)
            dumpExpr(upper, depth: depth + 1, label: "upper", into: &out)
            if let step { dumpExpr(step, depth: depth + 1, label: "step", into: &out) }
            for inner in body.statements { dumpStatement(inner, depth: depth + 1, into: &out) }
        case .ifStatement(let condition, let then, let otherwise):
            line(depth, "if", statement.span, into: &out)
            dumpExpr(condition, depth: depth + 1, label: "condition", into: &out)
            line(depth + 1, "then", then.span, into: &out)
            for inner in then.statements { dumpStatement(inner, depth: depth + 2, into: &out) }
            if let otherwise {
                line(depth + 1, "else", otherwise.span, into: &out)
                for inner in otherwise.statements { dumpStatement(inner, depth: depth + 2, into: &out) }
            }
        case .returnValues(let values):
            line(depth, "return", statement.span, into: &out)
            for value in values { dumpExpr(value, depth: depth + 1, into: &out) }
        case .expression(let expr):
            line(depth, "expr", statement.span, into: &out)
            dumpExpr(expr, depth: depth + 1, into: &out)
        }
    }

    private func typeText(_ expr: Expr, namesDType: Bool = false) -> String {
        if let type = program.type(of: expr) { return type.description }
        // `quantize_mx(t, f8e4m3fn)`'s second argument names a dtype; it is not a value and resolves to nothing.
        if namesDType, case .name(let name) = expr.kind, DType(name: name)?.isMXElement == true { return "dtype" }
        if case .builtin(.store) = program.calls[expr.id] { return "void" }
        if case .tuple = expr.kind { return "tuple" }   // axes of a reduction, the shape of an iota
        // `activation(exp, ...)`'s first argument names a function; it is not a value and resolves to nothing.
        if case .name(let name) = expr.kind, program.resolutions[expr.id] == nil, MathFunction(rawValue: name) != nil {
            return "function"
        }
        return "<error>"
    }

    private func resolutionText(_ resolution: NameResolution?) -> String {
        switch resolution {
        case .parameter: " (param)"
        case .dim: " (dim)"
        case .letBinding: " (let)"
        case .varBuffer: " (var)"
        case .loopVariable: " (loop)"
        case .result: " (result)"
        case .infinity: " (constant)"
        case nil: ""
        }
    }

    private func callText(_ expr: Expr) -> String {
        switch program.calls[expr.id] {
        case .function(_, let dims):
            let bound = dims.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }
            return bound.isEmpty ? " (fn)" : " (fn, \(bound.joined(separator: ", ")))"
        case .builtin(let builtin):
            return program.reductionAxes[expr.id].map {
                builtin == .transpose ? " (perm " + $0.map(String.init).joined(separator: ", ") + ")"
                    : $0.count == 1 ? " (axis \($0[0]))" : " (axes " + $0.map(String.init).joined(separator: ", ") + ")"
            } ?? ""
        case nil:
            return ""
        }
    }

    private func dumpExpr(_ expr: Expr, depth: Int, label: String? = nil, namesDType: Bool = false,
                          into out: inout String) {
        guard depth < ASTDumper.maxDepth else {
            out += String(repeating: "  ", count: depth) + "...\n"
            return
        }
        let prefix = label.map { "\($0): " } ?? ""
        let head: String
        var children: [(label: String?, expr: Expr)] = []
        var dtypeArgument: Int?
        switch expr.kind {
        case .integer(let value): head = "int \(value)"
        case .float(let value): head = "float \(value)"
        case .bool(let value): head = "bool \(value)"
        case .name(let name): head = "name \(name)\(resolutionText(program.resolutions[expr.id]))"
        case .unary(let op, let operand):
            head = "unary \(op.rawValue)"
            children = [(nil, operand)]
        case .binary(let op, let lhs, let rhs):
            head = "binary \(op.rawValue)"
            children = [(nil, lhs), (nil, rhs)]
        case .call(let callee, let arguments):
            head = "call \(callee.name)\(callText(expr))"
            children = arguments.map { ($0.label?.name, $0.value) }
            if case .builtin(let builtin) = program.calls[expr.id], builtin == .quantize_mx || builtin == .scale_mx {
                dtypeArgument = 1
            }
        case .member(let base, let member):
            head = "member \(member.name)"
            children = [(nil, base)]
        case .cast(let operand, let dtype):
            head = "cast \(dtype.name)"
            children = [(nil, operand)]
        case .tuple(let items):
            head = "tuple"
            children = items.map { (nil, $0) }
        case .index(let base, let items):
            line(depth, "\(prefix)index : \(typeText(expr))", expr.span, into: &out)
            dumpExpr(base, depth: depth + 1, into: &out)
            let infos = program.slices[expr.id]
            for (position, item) in items.enumerated() {
                let info = infos.flatMap { position < $0.count ? $0[position] : nil }
                dumpIndexItem(item, info: info, depth: depth + 1, into: &out)
            }
            return
        case .error: head = "error"
        }
        line(depth, "\(prefix)\(head) : \(typeText(expr, namesDType: namesDType))", expr.span, into: &out)
        for (position, child) in children.enumerated() {
            dumpExpr(child.expr, depth: depth + 1, label: child.label, namesDType: position == dtypeArgument, into: &out)
        }
    }

    private func dumpIndexItem(_ item: IndexItem, info: SliceInfo?, depth: Int, into out: inout String) {
        let detail = info.map { " from \($0.lower) size \($0.size)" + ($0.step.isOne ? "" : " step \($0.step)") } ?? ""
        switch item {
        case .index(let expr):
            line(depth, "at\(detail)", expr.span, into: &out)
            dumpExpr(expr, depth: depth + 1, into: &out)
        case .slice(let lower, let upper, let step, let span):
            line(depth, "slice\(detail)", span, into: &out)
            if let lower { dumpExpr(lower, depth: depth + 1, label: "lower", into: &out) }
            if let upper { dumpExpr(upper, depth: depth + 1, label: "upper", into: &out) }
            if let step { dumpExpr(step, depth: depth + 1, label: "step", into: &out) }
        }
    }
}
