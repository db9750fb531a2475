// Scope.swift: lexical scopes of a kernel or function body and the symbols they declare.

import KilnSource
import KilnSyntax

/// A named thing visible in a body.
struct Symbol {
    enum Kind: Equatable {
        case parameter(index: Int)
        case dim
        case letBinding
        case varBuffer
        case loopVariable
        case result(index: Int)

        /// "parameter", "let", ..., for messages such as "cannot assign to let 'x'".
        var noun: String {
            switch self {
            case .parameter: "parameter"
            case .dim: "dim"
            case .letBinding: "let"
            case .varBuffer: "var"
            case .loopVariable: "loop variable"
            case .result: "result"
            }
        }
    }
    var name: String
    var kind: Kind
    /// nil when the declaration itself had an error (uses stay silent).
    var type: ValueType?
    var span: SourceSpan
    var used = false
    /// Unique id, used as the identity of loop variables in affine expressions.
    var id: Int

    var resolution: NameResolution {
        switch kind {
        case .parameter(let index): .parameter(index: index)
        case .dim: .dim(name)
        case .letBinding: .letBinding(declaredAt: span)
        case .varBuffer: .varBuffer(declaredAt: span)
        case .loopVariable: .loopVariable(declaredAt: span)
        case .result(let index): .result(index: index)
        }
    }
}

/// A stack of blocks, innermost last. Lookup walks outwards, so an inner `let` shadows an outer one;
/// declaring a name twice in one block is an error the caller reports using `declaredInInnermost`.
struct ScopeStack {
    private(set) var symbols: [Symbol] = []
    private var blocks: [[String: Int]] = [[:]]

    mutating func push() { blocks.append([:]) }

    /// Leaves the innermost block and returns the symbols it declared (to warn about unused lets).
    @discardableResult
    mutating func pop() -> [Symbol] {
        guard blocks.count > 1, let last = blocks.popLast() else { return [] }
        return last.values.sorted().map { symbols[$0] }
    }

    /// The symbols of the outermost block (for the final unused check).
    var outermost: [Symbol] { (blocks.first ?? [:]).values.sorted().map { symbols[$0] } }

    func declaredInInnermost(_ name: String) -> Symbol? {
        guard let id = blocks.last?[name] else { return nil }
        return symbols[id]
    }

    /// Declares a symbol in the innermost block (replacing a same-named one there) and returns its id.
    @discardableResult
    mutating func declare(_ name: String, _ kind: Symbol.Kind, type: ValueType?, span: SourceSpan) -> Int {
        let id = symbols.count
        symbols.append(Symbol(name: name, kind: kind, type: type, span: span, id: id))
        blocks[blocks.count - 1][name] = id
        return id
    }

    func lookup(_ name: String) -> Symbol? {
        for block in blocks.reversed() {
            if let id = block[name] { return symbols[id] }
        }
        return nil
    }

    mutating func markUsed(_ id: Int) {
        if id >= 0 && id < symbols.count { symbols[id].used = true }
    }

    func symbol(_ id: Int) -> Symbol? { id >= 0 && id < symbols.count ? symbols[id] : nil }
}
