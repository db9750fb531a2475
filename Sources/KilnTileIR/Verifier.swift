// Verifier.swift: checks a tile IR module: SSA, dominance, region rules, then op types and machine limits.

import KilnMachine
import KilnSource

/// Verifies modules against one target. Structural rules (each value defined once, every use after its
/// definition in an enclosing block, `return` last, loops well-formed) and type rules per op are
/// target-independent; machine rules (`MachineRules`) read their limits from the target. All problems
/// are collected; each is located at the op's kernel source span, or at its IR text span when the op
/// has no kernel location.
public struct TileIRVerifier {
    public var target: MachineTarget

    public init(target: MachineTarget) {
        self.target = target
    }

    public func verify(_ module: Module) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        var seenFunctions = Set<String>()
        for function in module.functions {
            if !seenFunctions.insert(function.name).inserted {
                diagnostics.append(.at(function) { DiagnosticCatalogue.tileIRDuplicateFunction(function.name, at: $0) })
            }
            let walker = FunctionVerifier(function: function, module: module, target: target)
            walker.verify()
            diagnostics += walker.diagnostics
        }
        return diagnostics
    }
}

/// What the verifier knows at one point of a function walk.
final class FunctionVerifier {
    let function: Function
    let module: Module
    let target: MachineTarget
    var diagnostics: [Diagnostic] = []
    /// The diagnostics recorded so far, to record each once.
    private var reported = Set<DiagnosticKey>()
    /// Types of the values defined so far (a value is defined once it has one: the SSA check).
    var types = ValueTable<ValueDef>()
    /// Whether each value is visible at the current point (defined earlier in an enclosing block).
    var visible = ValueTable<Bool>()
    /// The values each enclosing block defined, hidden again when the block ends.
    var scopes: [[ValueID]] = [[]]
    /// The value range of each enclosing loop's induction variable.
    var loopRanges = ValueTable<ClosedRange<Int>>()
    /// Placed tiles allocated so far, per enclosing block, for the overlap check.
    var liveAllocations: [[PlacedTile]] = [[]]
    /// Where each placed tile visible here lives.
    var placements = ValueTable<TilePlacement>()
    /// Each tile's live range (first access to last); tiles whose ranges are disjoint may share memory.
    lazy var liveness = TileLiveness(function)
    /// The internal HBM scratch tensors (`hbm.alloc` results), which `dma.store` may write like outputs.
    lazy var scratchTensors: Set<ValueID> = {
        var found = Set<ValueID>()
        func walk(_ block: Block) {
            for op in block.ops {
                if case .hbmAlloc = op.kind, let result = op.result { found.insert(result.id) }
                if case .forLoop(let loop) = op.kind { walk(loop.body) }
            }
        }
        walk(function.body)
        return found
    }()

    init(function: Function, module: Module, target: MachineTarget) {
        self.function = function
        self.module = module
        self.target = target
    }

    func verify() {
        for parameter in function.parameters { define(parameter.value, at: nil) }
        for output in function.outputs { define(output, at: nil) }
        for def in function.parameters.map(\.value) + function.outputs {
            checkDeclaredType(def.type, at: nil)
        }
        verify(function.body, isFunctionBody: true)
        if case .ret = function.body.ops.last?.kind {} else {
            report(at: nil) { DiagnosticCatalogue.tileIRMisplacedReturn("function @\(function.name) does not end with 'return'", at: $0) }
        }
    }

    func verify(_ block: Block, isFunctionBody: Bool) {
        for (position, op) in block.ops.enumerated() {
            if case .ret = op.kind, !(isFunctionBody && position == block.ops.count - 1) {
                report(at: op) { DiagnosticCatalogue.tileIRMisplacedReturn(
                    "'return' must be the last operation of the function body, not inside a loop or before other ops", at: $0) }
            }
            let usesVisible = checkUses(of: op)
            if usesVisible { checkTypes(of: op) }
            if case .forLoop(let loop) = op.kind {
                verifyLoop(loop, op: op)
            }
            if let result = op.result { define(result, at: op) }
            if case .alloc = op.kind { checkAllocation(op) }
        }
    }

    func verifyLoop(_ loop: ForLoop, op: Operation) {
        if loop.step <= 0 {
            report(at: op) { DiagnosticCatalogue.tileIRInvalidLoop("loop step must be positive, found \(loop.step)", at: $0) }
        }
        if loop.inductionVariable.type != .index {
            report(at: op) { DiagnosticCatalogue.tileIRInvalidLoop(
                "a loop's induction variable has type index, found \(loop.inductionVariable.type)", at: $0) }
        }
        scopes.append([])
        liveAllocations.append([])
        define(loop.inductionVariable, at: op)
        if let last = loop.lastValue { loopRanges[loop.inductionVariable.id] = loop.lowerBound...last }
        verify(loop.body, isFunctionBody: false)
        for id in scopes.removeLast() { visible[id] = false }
        for placed in liveAllocations.removeLast() { placements[placed.id] = nil }
    }

    /// Records a definition; reports a second definition of the same value.
    func define(_ def: ValueDef, at op: Operation?) {
        if types[def.id] != nil {
            report(at: op) { DiagnosticCatalogue.tileIRValueDefinedTwice(name(def.id), at: $0) }
        }
        visible[def.id] = true
        scopes[scopes.count - 1].append(def.id)
        types[def.id] = def
    }

    /// Every value an op refers to must be defined before it in an enclosing block.
    func checkUses(of op: Operation) -> Bool {
        var allVisible = true
        var reported: [ValueID] = []
        op.kind.forEachUse { use in
            guard visible[use] != true, !reported.contains(use) else { return }
            reported.append(use)
            allVisible = false
        }
        for use in reported {
            report(at: op) { DiagnosticCatalogue.tileIRUseNotDominated(name(use), in: op.opcode, at: $0) }
        }
        return allVisible
    }

    /// The name a value prints with, for messages.
    func name(_ id: ValueID) -> String {
        if let hint = types[id]?.nameHint, ValueNames.isValidHint(hint) { return "%" + hint }
        return "value #\(id.raw)"
    }

    /// Reports at an op, or at the function for problems of its signature.
    /// Records a problem once: ops that passes copied from one source op (an unrolled loop's bodies) report the same
    /// diagnostic at the same kernel span, and the user is told of it once.
    func report(at op: Operation?, _ make: (SourceSpan) -> Diagnostic) {
        let diagnostic: Diagnostic = if let op { .at(op, make) } else { .at(function, make) }
        if reported.insert(DiagnosticKey(diagnostic)).inserted { diagnostics.append(diagnostic) }
    }

    /// Dimensions must be positive and tile types must be on chip.
    func checkDeclaredType(_ type: IRType, at op: Operation?) {
        let dims: [Int]
        switch type {
        case .tensor(let tensor), .hbm(let tensor): dims = tensor.shape
        case .tile(let tile):
            dims = tile.shape
            if tile.space == .hbm {
                report(at: op) { DiagnosticCatalogue.tileIRInvalidDims("a tile lives in sbuf or psum, not hbm", at: $0) }
            }
        case .scalar, .index: dims = []
        }
        if dims.contains(where: { $0 <= 0 }) || (type.tensorType ?? type.hbmType)?.shape.isEmpty == true {
            report(at: op) { DiagnosticCatalogue.tileIRInvalidDims("dimensions must be positive, found \(type)", at: $0) }
        }
    }
}

/// A value per `ValueID`, in an array indexed by the id (ids are small and dense within a function): what
/// the verifier reads for every operand of every op, so no hashing.
struct ValueTable<Element> {
    private var slots: [Element?] = []

    subscript(id: ValueID) -> Element? {
        get { id.raw >= 0 && id.raw < slots.count ? slots[id.raw] : nil }
        set {
            guard id.raw >= 0 else { return }
            if id.raw >= slots.count {
                guard newValue != nil else { return }
                var grown = [Element?](repeating: nil, count: max(id.raw + 1, 2 * slots.count, 64))
                grown.replaceSubrange(0..<slots.count, with: slots)
                slots = grown
            }
            slots[id.raw] = newValue
        }
    }
}

/// A placed tile allocated in an enclosing block, for the overlap check.
struct PlacedTile {
    var id: ValueID
    var tile: TileType
    var placement: TilePlacement
    var span: SourceSpan
}

/// What makes two diagnostics the same for the reader: code, message and location.
private struct DiagnosticKey: Hashable {
    let id: DiagnosticID, message: String, span: SourceSpan

    init(_ diagnostic: Diagnostic) {
        (id, message, span) = (diagnostic.id, diagnostic.message, diagnostic.span)
    }
}
