// Printer.swift: prints a tile IR module in its one text form (which `TileIRParser` reads back).

import KilnMachine
import KilnSource

/// Prints modules. Values print by their name hint when it is free in the function, otherwise
/// by a number (`%0`, `%1`, ... in order of definition), so the output is stable: printing a parsed
/// printout gives the same text. Spans print as `loc(start:end)` byte offsets into the kernel source;
/// given the kernel source file, the printer adds its line and column: `loc(120:135 at 12:5)`.
public struct TileIRPrinter {
    public var kernelSource: SourceFile?
    /// Line:column of span starts as the parsed text gave them, used when there is no kernel source.
    private var positions: [Int: SourcePosition] = [:]

    public init(kernelSource: SourceFile? = nil) {
        self.kernelSource = kernelSource
    }

    public func print(_ module: Module) -> String {
        var printer = self
        printer.positions = module.sourcePositions
        return printer.printModule(module)
    }

    private func printModule(_ module: Module) -> String {
        var out = "kiln.module target \(quoted(module.target))"
        if let source = module.sourcePath { out += " source \(quoted(source))" }
        out += " {\n"
        for (index, function) in module.functions.enumerated() {
            if index > 0 { out += "\n" }
            out += print(function)
        }
        return out + "}\n"
    }

    func print(_ function: Function) -> String {
        let names = ValueNames(function)
        func parameter(_ value: ValueDef, _ defaultValue: Double?) -> String {
            "\(names[value.id]): \(value.type)" + (defaultValue.map { " = \(number($0))" } ?? "")
        }
        let parameters = function.parameters.map { parameter($0.value, $0.defaultValue) }.joined(separator: ", ")
        let outputs = function.outputs.map { parameter($0, nil) }.joined(separator: ", ")
        var out = "  func @\(function.name)(\(parameters)) -> (\(outputs))\(schedule(function.schedule))"
            + "\(location(function.span)) {\n"
        print(function.body, names: names, indent: "    ", into: &out)
        return out + "  }\n"
    }

    private func print(_ block: Block, names: ValueNames, indent: String, into out: inout String) {
        for op in block.ops {
            out += indent
            if let result = op.result { out += "\(names[result.id]) = " }
            out += body(of: op, names: names)
            if let group = op.fusionGroup { out += " group \(group)" }
            if case .forLoop(let loop) = op.kind {
                out += " {\n"
                print(loop.body, names: names, indent: indent + "  ", into: &out)
                out += indent + "}"
            }
            out += location(op.span) + "\n"
        }
    }

    /// The op without its result name and without its location.
    private func body(of op: Operation, names: ValueNames) -> String {
        let n = { (value: ValueID) in names[value] }
        let type = op.result.map { " : \($0.type)" } ?? ""
        func affine(_ expr: AffineExpr) -> String {
            var parts: [String] = []
            for term in expr.terms where term.coefficient != 0 {
                let magnitude = abs(term.coefficient)
                let text = magnitude == 1 ? n(term.variable) : "\(n(term.variable)) * \(magnitude)"
                if parts.isEmpty {
                    parts.append(term.coefficient < 0 ? "-" + text : text)
                } else {
                    parts.append(term.coefficient < 0 ? "- " + text : "+ " + text)
                }
            }
            if parts.isEmpty { return String(expr.constant) }
            if expr.constant > 0 { parts.append("+ \(expr.constant)") }
            if expr.constant < 0 { parts.append("- \(-expr.constant)") }
            return parts.joined(separator: " ")
        }

        switch op.kind {
        case .constant(let value): return "constant \(number(value))\(type)"
        case .iota(let axis): return "iota axis \(axis)\(type)"
        case .scan(let a, let b, let axis): return "scan \(n(a)), \(n(b)) axis \(axis)\(type)"
        case .unary(let function, let a): return "\(function.rawValue) \(n(a))\(type)"
        case .binary(let op, let a, let b): return "\(op.rawValue) \(n(a)), \(n(b))\(type)"
        case .broadcast(let a): return "broadcast \(n(a))\(type)"
        case .reduce(let kind, let a, let axis): return "reduce \(kind.rawValue) \(n(a)) axis \(axis)\(type)"
        case .matmul(let a, let b): return "matmul \(n(a)), \(n(b))\(type)"
        case .transpose(let a): return "transpose \(n(a))\(type)"
        case .permute(let a, let perm): return "permute \(n(a)) perm [\(perm.map(String.init).joined(separator: ", "))]\(type)"
        case .reshape(let a): return "reshape \(n(a))\(type)"
        case .slice(let a, let offsets, let strides):
            let step = strides.allSatisfy { $0 == 1 } ? "" : " step [\(strides.map(String.init).joined(separator: ", "))]"
            return "slice \(n(a)) [\(offsets.map(String.init).joined(separator: ", "))]\(step)\(type)"
        case .gather(let table, let indices): return "gather \(n(table)), \(n(indices))\(type)"
        case .scatterAdd(let table, let ids, let values): return "scatter_add \(n(table)), \(n(ids)), \(n(values))\(type)"
        case .topk(let a, let k, let indices): return "\(indices ? "argtopk" : "topk") \(n(a)) k \(k)\(type)"
        case .concat(let operands, let axis): return "concat \(operands.map(n).joined(separator: ", ")) axis \(axis)\(type)"
        case .select(let c, let a, let b): return "select \(n(c)), \(n(a)), \(n(b))\(type)"
        case .cast(let a): return "cast \(n(a))\(type)"
        case .call(let callee, let arguments):
            return "call @\(callee)(\(arguments.map(n).joined(separator: ", ")))\(type)"
        case .forLoop(let loop):
            let step = loop.step == 1 ? "" : " step \(loop.step)"
            return "for \(n(loop.inductionVariable.id)) = \(loop.lowerBound) to \(loop.upperBound)\(step)"
        case .alloc(let tile, let placement):
            let at = placement.map { " at partition \($0.partition) offset \($0.offset)" } ?? ""
            return "alloc \(IRType.tile(tile))\(at)"
        case .view(let base, let offset):
            return "view \(n(base)) offset \(offset)\(type)"
        case .hbmAlloc(let tensor):
            return "hbm.alloc \(IRType.tensor(tensor))"
        case .engine(let instruction):
            return EngineSyntax.text(instruction, name: n, affine: affine)
        case .syncSignal(let semaphore, let engine, let queue):
            return "sync.signal sem \(semaphore) on \(engine)" + (queue.map { " queue \($0)" } ?? "")
        case .syncWait(let semaphore, let atLeast, let engine, let queue):
            return "sync.wait sem \(semaphore) >= \(atLeast) on \(engine)" + (queue.map { " queue \($0)" } ?? "")
        case .ret(let values): return values.isEmpty ? "return" : "return \(values.map(n).joined(separator: ", "))"
        }
    }

    /// ` schedule(tile_k = 128, tile_n = 512)`, keys sorted; nothing when there are no hints.
    private func schedule(_ hints: [String: Int]) -> String {
        guard !hints.isEmpty else { return "" }
        return " schedule(" + hints.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }.joined(separator: ", ") + ")"
    }

    private func location(_ span: SourceSpan) -> String {
        guard span.isKnown else { return "" }
        if let kernelSource {
            let position = kernelSource.lineColumn(of: span.start)
            return " loc(\(span.start):\(span.end) at \(position.line):\(position.column))"
        }
        guard let position = positions[span.start] else { return " loc(\(span.start):\(span.end))" }
        return " loc(\(span.start):\(span.end) at \(position.line):\(position.column))"
    }
}

/// A double in the shortest text that reads back to the same value (`0.5`, `1e-05`, `inf`, `nan`).
func number(_ value: Double) -> String {
    value.description
}

/// A string literal with `"`, `\` and control characters escaped.
func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "?"  // other control characters have no escape in the text form
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

/// The printed name of every value of a function: its hint if valid and free (`%x`, then `%x_1`, ...),
/// otherwise the next number.
struct ValueNames {
    private var names: [ValueID: String] = [:]

    init(_ function: Function) {
        var used = Set<String>()
        var counter = 0
        var ordered = function.parameters.map(\.value) + function.outputs
        function.body.walk { op in ordered += op.definitions }
        for def in ordered where names[def.id] == nil {
            if let hint = def.nameHint, ValueNames.isValidHint(hint) {
                var candidate = hint
                var suffix = 1
                while used.contains(candidate) {
                    candidate = "\(hint)_\(suffix)"
                    suffix += 1
                }
                used.insert(candidate)
                names[def.id] = "%" + candidate
            } else {
                names[def.id] = "%\(counter)"
                counter += 1
            }
        }
    }

    /// A value not defined in the function (malformed IR built in memory) prints as `%?N`.
    subscript(_ id: ValueID) -> String {
        names[id] ?? "%?\(id.raw)"
    }

    /// A hint prints as a name if it starts with a letter or `_` and continues with letters, digits, `_`, `.`.
    static func isValidHint(_ hint: String) -> Bool {
        guard let first = hint.unicodeScalars.first, first.properties.isAlphabetic && first.isASCII || first == "_" else {
            return false
        }
        return hint.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "_" || $0 == "." }
    }
}
