// SearchSpace.swift: the tuning space, declared in one place: which pass options vary and the values tried.

import KilnMachine
import KilnPluginAPI

/// One dimension of the space: a pass option (declared by the pass, `Pass.options`) and the values the tuner
/// tries for it, the pass's default first.
public struct TuneKnob: Sendable, Equatable {
    /// The pass's registered name (`tile`).
    public var pass: String
    /// The option's name (`tile_m`).
    public var option: String
    /// The values tried; index 0 is what the pass does without the option (its default).
    public var values: [PassOptionValue]

    public init(pass: String, option: String, values: [PassOptionValue]) {
        self.pass = pass
        self.option = option
        self.values = values
    }

    /// `tile.tile_m`, for listings.
    public var label: String { "\(pass).\(option)" }
}

/// A point of the space: one value index per knob (`SearchSpace.knobs` order).
public typealias TuneCandidate = [Int]

/// The knobs the tuner varies and the pipeline a candidate stands for: the target's default pipeline with
/// the candidate's option values on its passes (`tile{tile_m=64,...}`), so every candidate replays exactly
/// with `kiln build --passes`.
public struct SearchSpace: Sendable, Equatable {
    public var knobs: [TuneKnob]
    /// The default pipeline's entries (pass names), in order.
    public var basePipeline: [String]

    public init(knobs: [TuneKnob], basePipeline: [String]) {
        self.knobs = knobs
        self.basePipeline = basePipeline
    }

    /// Every knob of Kiln's passes that changes generated code, with the values worth trying. Values a pass
    /// would reject on the target (a tile wider than the tensor engine) are left out.
    ///
    /// What is not a knob, because no pass can vary it today: the loop order within each matmul schedule (the
    /// resident-slab one keeps B's slab and streams A; the K-blocked one, `block_*`, keeps an output block in
    /// SBUF and streams A and B blocks), unroll factors apart from `bufs` (which is `double-buffer`'s unroll
    /// factor), and the order of passes (`interleave`'s window stands for the one order that matters today: how
    /// far its list schedule may reorder).
    public static func standard(for target: MachineTarget) -> SearchSpace {
        let int = { (values: [Int]) in values.map(PassOptionValue.integer) }
        let maxM = min(target.tensorEngine.maxM, target.sbuf.partitions)
        let knobs = [
            TuneKnob(pass: "tile", option: "tile_m", values: int([maxM, maxM / 2])),
            TuneKnob(pass: "tile", option: "tile_n", values: int([target.tensorEngine.maxN, 256, 128])),
            TuneKnob(pass: "tile", option: "tile_k", values: int([target.tensorEngine.maxK, 64])),
            TuneKnob(pass: "tile", option: "accumulators",
                     values: int([target.psumBanks / 2] + (1...target.psumBanks).filter { $0 != target.psumBanks / 2 })),
            TuneKnob(pass: "tile", option: "a_bufs", values: int([2, 3, 4])),
            // The K-blocked matmul schedule: any block_ value selects it (0: not given, the resident-slab schedule).
            TuneKnob(pass: "tile", option: "block_k", values: int([0, 4, 8, 16])),
            TuneKnob(pass: "tile", option: "block_m", values: int([0, 4, 8, 16])),
            TuneKnob(pass: "tile", option: "block_n", values: int([0, 2, 4, 8])),
            // Row blocks per loop body of an on-chip matmul -> softmax -> matmul chain (attention).
            TuneKnob(pass: "tile", option: "chain_blocks", values: int([4, 2, 1])),
            TuneKnob(pass: "double-buffer", option: "bufs", values: int([2, 1, 3, 4])),
            // How far `interleave` may move an op ahead (1: program order). Its list schedule sees one straight-line
            // block, not the overlap across loop iterations that program order can give (Docs/simulator.md, MX).
            TuneKnob(pass: "interleave", option: "window", values: int([512, 1, 32, 128])),
            TuneKnob(pass: "schedule", option: "dma_queues", values: int([target.dma.queuesPerEngine, 8, 4])),
            TuneKnob(pass: "schedule", option: "store_queues", values: int([0, 2, 4])),
            TuneKnob(pass: "assign-engines", option: "portable",
                     values: ["balance", "act", "dve", "keep"].map(PassOptionValue.word)),
        ]
        let base = PassPipeline.defaultPipeline(for: target).split(separator: ",").map(String.init)
        return SearchSpace(knobs: knobs, basePipeline: base)
    }

    /// The number of candidates.
    public var count: Int { knobs.reduce(1) { $0 * $1.values.count } }

    /// The default pipeline's candidate: every knob at its default.
    public var defaultCandidate: TuneCandidate { Array(repeating: 0, count: knobs.count) }

    /// The candidate's pipeline string: the base pipeline with each non-default value on the first entry of
    /// its pass. The default candidate is the default pipeline string itself.
    public func pipeline(_ candidate: TuneCandidate) -> String {
        var options: [String: [String]] = [:]
        for (knob, index) in zip(knobs, candidate) where index != 0 {
            options[knob.pass, default: []].append("\(knob.option)=\(knob.values[index])")
        }
        var placed = Set<String>()
        return basePipeline.map { pass in
            guard let given = options[pass], !placed.contains(pass) else { return pass }
            placed.insert(pass)
            return pass + "{" + given.joined(separator: ",") + "}"
        }.joined(separator: ",")
    }

    /// The candidate as a `@schedule(...)` attribute: the knobs the kernel language's attribute has (tile_m,
    /// tile_n, tile_k, bufs), each at the value the pass will use; nil when a knob the attribute cannot say
    /// is off its default (then only the pipeline string replays it).
    public func scheduleAttribute(_ candidate: TuneCandidate) -> (attribute: String, complete: Bool) {
        let spelled = ["tile_m", "tile_n", "tile_k", "bufs"]
        var parts: [String] = []
        var complete = true
        for (knob, index) in zip(knobs, candidate) {
            if spelled.contains(knob.option) {
                parts.append("\(knob.option): \(knob.values[index])")
            } else if index != 0 {
                complete = false
            }
        }
        return ("@schedule(" + parts.joined(separator: ", ") + ")", complete)
    }

    /// The candidate `index` of the whole space in mixed radix, the last knob varying fastest.
    public func candidate(atIndex index: Int) -> TuneCandidate {
        var rest = index
        var candidate = Array(repeating: 0, count: knobs.count)
        for position in knobs.indices.reversed() {
            candidate[position] = rest % knobs[position].values.count
            rest /= knobs[position].values.count
        }
        return candidate
    }

    /// This space without the knobs at `positions` (they are held at their defaults).
    public func removing(_ positions: Set<Int>) -> SearchSpace {
        SearchSpace(knobs: knobs.enumerated().filter { !positions.contains($0.offset) }.map(\.element), basePipeline: basePipeline)
    }
}
