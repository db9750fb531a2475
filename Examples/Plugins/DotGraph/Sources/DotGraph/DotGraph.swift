// DotGraph.swift: the `dot` backend plugin: the engine instruction dependency graph of a kernel, for Graphviz.

import KilnMachine
import KilnPluginAPI
import KilnSource
import KilnTileIR

/// A backend that writes the kernel function's engine instructions as a Graphviz `digraph`: one node per
/// engine op (DMA transfers, pe / act / dve / pool instructions, sync signals and waits), labelled with its
/// opcode, its engine (and DMA queue) and the kernel source line it came from, grouped in one cluster per
/// engine; solid edges for data dependencies, dashed edges from each `sync.signal` to every `sync.wait`
/// on the same semaphore.
///
/// Algorithm: one walk of the function body in program order (loop bodies once, not unrolled; nodes in a
/// loop say so). Each op's reads (`OpKind.reads`) get an edge from the last op that wrote that value
/// (`OpKind.writes`), a read-after-write dependency; then the op becomes the last writer of what it
/// writes. Signals and waits are collected per semaphore and joined after the walk.
public struct DotGraph: Backend {
    public init() {}
    public var name: String { "dot" }
    public var summary: String { "the engine instruction dependency graph (data and semaphore edges) as Graphviz dot" }
    public var fileExtension: String { "dot" }
    public var outputKind: BackendOutputKind { .text }

    /// One graph node: an engine op.
    struct Node {
        var id: Int
        var engine: Engine
        var label: String
    }

    public func emit(module: Module, context: BackendContext) throws(BackendFailure) -> BackendOutput {
        let function = try kernelFunction(of: module, named: context.function)
        var nodes: [Node] = []
        var dataEdges: [(from: Int, to: Int)] = []
        var lastWriter: [ValueID: Int] = [:]
        var signals: [Int: [Int]] = [:]
        var waits: [Int: [Int]] = [:]

        func visit(_ block: Block, loops: [String]) {
            for op in block.ops {
                if case .forLoop(let loop) = op.kind {
                    visit(loop.body, loops: loops + ["%\(loop.inductionVariable.nameHint ?? loop.inductionVariable.id.description) x\(loop.tripCount)"])
                    continue
                }
                guard let engine = op.kind.engine else { continue }
                let id = nodes.count
                nodes.append(Node(id: id, engine: engine, label: label(of: op, engine: engine, loops: loops, context: context)))
                for read in op.kind.reads {
                    if let writer = lastWriter[read], !dataEdges.contains(where: { $0.from == writer && $0.to == id }) {
                        dataEdges.append((writer, id))
                    }
                }
                for written in op.kind.writes { lastWriter[written] = id }
                switch op.kind {
                case .syncSignal(let semaphore, _, _): signals[semaphore, default: []].append(id)
                case .syncWait(let semaphore, _, _, _): waits[semaphore, default: []].append(id)
                default: break
                }
            }
        }
        visit(function.body, loops: [])

        var out = "digraph \"\(escaped(function.name))\" {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\"];\n"
        for engine in Engine.allCases {
            let members = nodes.filter { $0.engine == engine }
            guard !members.isEmpty else { continue }
            out += "  subgraph cluster_\(engine) {\n    label=\"\(engine)\";\n"
            for node in members { out += "    n\(node.id) [label=\"\(escaped(node.label))\"];\n" }
            out += "  }\n"
        }
        for edge in dataEdges { out += "  n\(edge.from) -> n\(edge.to);\n" }
        for semaphore in signals.keys.sorted() {
            for signal in signals[semaphore] ?? [] {
                for wait in waits[semaphore] ?? [] {
                    out += "  n\(signal) -> n\(wait) [style=dashed, label=\"sem \(semaphore)\"];\n"
                }
            }
        }
        return .text(out + "}\n")
    }

    /// `opcode\nengine[ queue Q]  line L` (`?` when the op has no kernel location), plus its loops.
    func label(of op: Operation, engine: Engine, loops: [String], context: BackendContext) -> String {
        var queue: Int?
        switch op.kind {
        case .engine(let instruction): queue = instruction.queue
        case .syncSignal(_, _, let q), .syncWait(_, _, _, let q): queue = q
        default: break
        }
        var place = "\(engine)"
        if let queue { place += " queue \(queue)" }
        let line = context.lineColumn(of: op.span).map { "line \($0.line)" } ?? "line ?"
        var text = "\(op.opcode)\n\(place)  \(line)"
        if !loops.isEmpty { text += "\nin loop " + loops.joined(separator: ", ") }
        return text
    }

    /// The function `name` names; else the only function; else the one no other function calls.
    func kernelFunction(of module: Module, named name: String?) throws(BackendFailure) -> Function {
        if let name {
            guard let function = module.function(named: name) else {
                throw BackendFailure([DiagnosticCatalogue.backendFailed(self.name, "the module has no function @\(name)")])
            }
            return function
        }
        var called = Set<String>()
        for function in module.functions {
            function.body.walk { op in if case .call(let callee, _) = op.kind { called.insert(callee) } }
        }
        let roots = module.functions.filter { !called.contains($0.name) }
        guard roots.count == 1, let root = roots.first else {
            throw BackendFailure([DiagnosticCatalogue.backendFailed(
                self.name, "cannot tell which of the module's \(roots.count) uncalled functions is the kernel")])
        }
        return root
    }

    /// Escapes a string for a dot double-quoted string: `"` and `\`, newlines as `\n`.
    func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }
}

/// The plugin's entry point: the descriptor, whose callback registers the `dot` backend.
@_cdecl("kiln_plugin_entry")
public func kilnPluginEntry() -> UnsafeRawPointer {
    KilnPlugin.descriptor(name: "dot", register: { raw in
        PluginRegistrar.fromOpaque(raw).register(backend: DotGraph())
    })
}
