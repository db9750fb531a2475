// OpDeclaration.swift: what an engine op's one declaration holds, and the facts derived from it for every op.

import KilnMachine
import Synchronization

/// How long an op keeps its engine busy.
public enum OpCost: Sendable {
    /// A DMA transfer of the tile operand to or from the HBM operand (`MachineTarget.dmaNanoseconds`, one descriptor
    /// per contiguous run: `DMAFacts.runBytes`), transposing when the flag is set.
    case dmaTransfer(tile: Int, hbm: Int, transposeFlag: Int?)
    /// Engine cycles at the engine's clock, from one of `KilnMachine`'s cost formulas.
    case cycles(@Sendable (OperandFacts, MachineTarget) -> Int)
}

/// Everything Kiln knows about one engine op, in one place (`EngineOp.declare`): the tile IR's parser,
/// printer, effects and verifier, the passes' engine and cost estimates, the bytecode's opcode and field
/// layout, and the simulator's timing all read it. What the op computes lives with each executor, found by an
/// exhaustive switch over `EngineOp` (KilnSim's `Execute.swift`, KilnLLVM's `FunctionLowering+TileOps.swift`).
public struct OpDeclaration: Sendable {
    /// The text form's name, also the disassembler's: `dve.tensor_tensor`.
    public var mnemonic: String
    /// The engine whose queue runs it.
    public var engine: Engine
    /// Operands in text, bytecode and executor order.
    public var fields: [OperandField]
    /// Type rules and machine limits.
    public var rules: [OperandRule]
    public var cost: OpCost
    /// FLOPs the tensor engine performs (hardware) and the model asked for (model: matmuls only), for HFU/MFU.
    public var flops: (@Sendable (OperandFacts) -> (hardware: Double, model: Double))?
    /// One line for the docs and `kiln ops`.
    public var summary: String

    public init(_ mnemonic: String, on engine: Engine, _ fields: [OperandField], rules: [OperandRule] = [],
                cost: OpCost, flops: (@Sendable (OperandFacts) -> (hardware: Double, model: Double))? = nil,
                summary: String) {
        self.mnemonic = mnemonic
        self.engine = engine
        self.fields = fields
        self.rules = rules
        self.cost = cost
        self.flops = flops
        self.summary = summary
    }

    /// The index of the field with this name (declarations name each field once).
    public func field(_ name: String) -> Int? { fields.firstIndex { $0.name == name } }

    /// Every rule's violations for these operands.
    public func violations(_ operands: OperandFacts, target: MachineTarget) -> [RuleViolation] {
        rules.flatMap { $0.violations(operands, fields: fields, target: target) }
    }

    /// Engine cycles, for ops that are not DMA transfers.
    public func cycles(_ operands: OperandFacts, target: MachineTarget) -> Int? {
        if case .cycles(let formula) = cost { return formula(operands, target) }
        return nil
    }

    /// Nanoseconds the op keeps its engine (or DMA queue) busy, at the engine's clock.
    public func nanoseconds(_ operands: OperandFacts, target: MachineTarget) -> Double {
        switch cost {
        case .cycles(let formula):
            return target.nanoseconds(cycles: formula(operands, target), on: engine)
        case .dmaTransfer:
            return dmaTiming(operands, target: target)?.nanoseconds ?? 0
        }
    }

    /// A DMA op's transfer timing (its fixed cost, its own rate and the rate at which it occupies the core's
    /// shared DMA bandwidth); nil for ops that are not DMA transfers or whose tile is not seen.
    public func dmaTiming(_ operands: OperandFacts, target: MachineTarget) -> DMATransferTiming? {
        guard case .dmaTransfer(let tileField, let hbmField, let transposeFlag) = cost,
              let tile = operands.tile(tileField) else { return nil }
        let transpose = transposeFlag.map(operands.flag) ?? false
        return target.dmaTransfer(partitions: tile.partitions, bytesPerPartition: tile.freeElements * tile.element.byteSize,
                                  runBytes: dmaRunBytes(operands, tile: tileField, hbm: hbmField, transpose: transpose),
                                  transpose: transpose)
    }

    /// Bytes in one contiguous HBM run (one descriptor) of a DMA op (`DMASlice.runElements`); nil when the HBM
    /// operand is not seen. A `broadcast` flag field, where the op has one, selects the broadcasting geometry, and
    /// `row_step` / `column_step` fields a strided one.
    public func dmaRunBytes(_ operands: OperandFacts, tile tileField: Int, hbm hbmField: Int, transpose: Bool) -> Int? {
        guard let tile = operands.tile(tileField), case .hbm(_, let shape)? = operands[hbmField] else { return nil }
        let broadcast = field("broadcast").map(operands.flag) ?? false
        return DMASlice.runElements(partitions: tile.partitions, freeDims: tile.freeDims, shape: shape,
                                    transpose: transpose, broadcast: broadcast, steps: dmaSteps(operands)) * tile.element.byteSize
    }

    /// A DMA op's steps (`row_step`, `column_step`; 1 where the op has no such field).
    public func dmaSteps(_ operands: OperandFacts) -> DMASteps {
        func step(_ name: String) -> Int {
            guard let index = field(name), case .integer(let value)? = operands[index] else { return 1 }
            return value
        }
        return DMASteps(row: step("row_step"), column: step("column_step"))
    }
}

extension EngineOp {
    /// The op's declaration (built once per process), or its override in the current task.
    public var declaration: OpDeclaration {
        if let replaced = EngineOp.activeOverrides?[self] { return replaced }
        return EngineOp.table[Int(rawValue)]!
    }

    /// Runs `body` with declarations that stand in for the table's within the current task: for tests and
    /// tools that show which consumers read a declared fact. No compilation uses it.
    public static func withDeclarationOverrides<Result>(_ overrides: [EngineOp: OpDeclaration],
                                                        _ body: () throws -> Result) rethrows -> Result {
        overrideScopes.add(1, ordering: .sequentiallyConsistent)
        defer { overrideScopes.subtract(1, ordering: .sequentiallyConsistent) }
        return try $declarationOverrides.withValue(overrides, operation: body)
    }

    @TaskLocal private static var declarationOverrides: [EngineOp: OpDeclaration] = [:]
    /// How many override scopes are open in the process: every op's declaration is read per operand by the
    /// verifier and the passes, so the task-local is consulted only while a scope is open somewhere.
    private static let overrideScopes = Atomic<Int>(0)

    private static var activeOverrides: [EngineOp: OpDeclaration]? {
        overrideScopes.load(ordering: .relaxed) == 0 ? nil : declarationOverrides
    }

    /// The op named `mnemonic` in the text form, if any.
    public init?(mnemonic: String) {
        guard let op = EngineOp.byMnemonic[mnemonic] else { return nil }
        self = op
    }

    public var mnemonic: String { declaration.mnemonic }

    /// The declaration's fields (what effects and syntax read most often, without copying the whole declaration).
    public var fields: [OperandField] {
        if let replaced = EngineOp.activeOverrides?[self] { return replaced.fields }
        return EngineOp.fieldTable[Int(rawValue)]
    }
    public var engine: Engine { declaration.engine }

    private static let table: [OpDeclaration?] = {
        var table = [OpDeclaration?](repeating: nil, count: 256)
        for op in allCases { table[Int(op.rawValue)] = op.declare() }
        return table
    }()

    private static let fieldTable: [[OperandField]] = table.map { $0?.fields ?? [] }

    private static let byMnemonic: [String: EngineOp] = Dictionary(
        uniqueKeysWithValues: allCases.map { ($0.declare().mnemonic, $0) })
}
