// AssignEngines.swift: the `assign-engines` pass: moves ops that act and dve can both run to the less busy engine.

import KilnMachine
import KilnPluginAPI
import KilnTileIR

/// `assign-engines`: picks the engine of every op that more than one engine can run, by estimated busy time.
///
/// Algorithm, per function. Ops whose meaning only one engine has stay where they are: `exp`, `gelu` and the
/// other activation functions only on act, `tensor_tensor`, reductions and `select` on dve / pool, matmul
/// and transpose on pe. Five meanings have a form on both the scalar engine (act) and the vector engine (dve)
/// (`SchedulingPortableOp`): a copy (`dve.copy` / `act.activate identity`), a multiply by a constant
/// (`dve.tensor_scalar mul` / `identity scale c`), an add of a constant or per-partition tile
/// (`dve.tensor_scalar add|sub` / `identity bias b`), `relu` (`dve.tensor_scalar max x, 0` / `act relu`)
/// and a reciprocal (`dve.reciprocal` / `act reciprocal`), on float tiles. GpSimd (pool) has no form for any
/// of them in the IR, so it is never a candidate; a candidate engine must also reach the op's memories
/// (`MachineTarget.allows`: pool cannot touch PSUM).
///
/// Walk the ops in program order, keeping the estimated busy time of act, dve and pool in nanoseconds (each
/// op's cycles from `CostModel` at its engine's clock, times the trip counts of its enclosing loops). A fixed
/// op adds to its engine. A portable op goes to the candidate that would finish it first, ties to the
/// cheaper form, then to the engine it was written for; deterministic by construction.
///
/// trn1's port sharing is modelled: vector and gpsimd share the SBUF port, vector and scalar the PSUM port
/// (`MachineTarget.exclusiveMemoryUse`). Each shared port has its own busy time, which every op on either
/// engine touching that memory adds to; a candidate's finish time is the latest of its engine's and its
/// ports'. (The `schedule` pass also orders such ops so they never overlap.)
public struct AssignEngines: Pass {
    public let name = "assign-engines"
    public let summary = "move copies, scalings, relu and reciprocals between act and dve by estimated busy time"
    public let options: [PassOption] = [
        PassOption("portable", .choices(["balance", "act", "dve", "keep"]), default: "balance",
                   help: "portable ops go to the engine that finishes them first, all to act or dve where they can, or stay as written"),
    ]

    public init() {}

    public func run(on module: inout Module, context: inout PassContext) throws {
        for index in module.functions.indices {
            var balancer = EngineBalancer(target: context.target, types: module.functions[index].valueTable(),
                                          policy: context.options.word("portable") ?? "balance")
            module.functions[index].body = balancer.assign(module.functions[index].body, repetitions: 1)
        }
    }
}

/// The running busy-time estimate behind `assign-engines`.
struct EngineBalancer {
    let target: MachineTarget
    let types: [ValueID: ValueDef]
    /// Estimated busy nanoseconds per engine.
    private(set) var busy: [Engine: Double] = [:]
    /// Estimated busy nanoseconds per shared memory port (trn1).
    private(set) var portBusy: [ExclusiveMemoryUse: Double] = [:]

    /// `balance`, or the one engine (`act`, `dve`) portable ops go to where they can, or `keep` (as written).
    let policy: String

    init(target: MachineTarget, types: [ValueID: ValueDef], policy: String = "balance") {
        self.target = target
        self.types = types
        self.policy = policy
    }

    mutating func assign(_ block: Block, repetitions: Double) -> Block {
        var out: [Operation] = []
        for var op in block.ops {
            if case .forLoop(var loop) = op.kind {
                loop.body = assign(loop.body, repetitions: repetitions * Double(loop.tripCount))
                op.kind = .forLoop(loop)
            } else if let portable = SchedulingPortableOp(op.kind, types: types) {
                op.kind = place(portable, written: op.kind, repetitions: repetitions)
            } else if let engine = op.kind.engine {
                let cost = nanoseconds(of: op.kind, on: engine) * repetitions
                charge(engine, cost, memories: memories(of: op.kind))
            }
            out.append(op)
        }
        return Block(out)
    }

    /// The kind of the cheapest-to-finish candidate engine's form.
    private mutating func place(_ portable: SchedulingPortableOp, written original: OpKind, repetitions: Double) -> OpKind {
        let touched = memories(of: original)
        var best: (engine: Engine, finish: Double, cost: Double)?
        var candidates = [Engine.act, .dve].filter { canRun($0, original) }
        switch policy {
        case "keep": candidates = candidates.filter { $0 == original.engine }
        case "act", "dve": if candidates.contains(where: { $0.rawValue == policy }) { candidates = candidates.filter { $0.rawValue == policy } }
        default: break
        }
        for engine in candidates {
            let cost = nanoseconds(of: portable.kind(on: engine), on: engine) * repetitions
            var finish = busy[engine, default: 0] + cost
            for port in ports(of: engine, touching: touched) { finish = max(finish, portBusy[port, default: 0] + cost) }
            let better: Bool
            if let current = best {
                better = finish < current.finish || (finish == current.finish && cost < current.cost)
                    || (finish == current.finish && cost == current.cost && engine == original.engine)
            } else {
                better = true
            }
            if better { best = (engine, finish, cost) }
        }
        guard let chosen = best else { return original }
        charge(chosen.engine, chosen.cost, memories: touched)
        return chosen.engine == original.engine ? original : portable.kind(on: chosen.engine)
    }

    private mutating func charge(_ engine: Engine, _ cost: Double, memories: Set<MemorySpace>) {
        busy[engine, default: 0] += cost
        for port in ports(of: engine, touching: memories) { portBusy[port, default: 0] += cost }
    }

    /// The shared ports an op on `engine` touching `memories` occupies.
    private func ports(of engine: Engine, touching memories: Set<MemorySpace>) -> [ExclusiveMemoryUse] {
        target.exclusiveMemoryUse.filter { ($0.first == engine || $0.second == engine) && memories.contains($0.memory) }
    }

    /// True if `engine` may read every memory the op reads and write every memory it writes.
    private func canRun(_ engine: Engine, _ kind: OpKind) -> Bool {
        let space = { (value: ValueID) in self.types[value]?.type.tileType?.space }
        return kind.reads.compactMap(space).allSatisfy { target.allows(engine, .read, $0) }
            && kind.writes.compactMap(space).allSatisfy { target.allows(engine, .write, $0) }
    }

    /// The on-chip memories an op reads or writes.
    func memories(of kind: OpKind) -> Set<MemorySpace> {
        Set((kind.reads + kind.writes).compactMap { types[$0]?.type.tileType?.space })
    }

    /// The estimated time of one execution of an op, from its declared cost.
    func nanoseconds(of kind: OpKind, on engine: Engine) -> Double {
        guard let instruction = kind.instruction else { return 0 }
        return instruction.nanoseconds({ types[$0]?.type }, target: target)
    }
}
