// OpKind.swift: the closed set of tile IR operations, with their operands and attributes as typed fields.

import KilnISA
import KilnMachine

/// Every operation the IR has. Tensor-level cases are pure and define a value; engine ops (`engine`) run on
/// their declared engine, write into destination tiles and define nothing; `alloc` defines a tile.
public enum OpKind: Hashable, Sendable {
    // Tensor level.
    /// `constant 0.5 : f32[128, 4]`: a splat tensor or a scalar.
    case constant(Double)
    /// `exp %a : T`: an elementwise math function.
    case unary(UnaryFunction, ValueID)
    /// `add %a, %b : T`: an elementwise operator on two tensors of the result's shape.
    case binary(BinaryOperator, ValueID, ValueID)
    /// `broadcast %a : T`: stretches size-1 dims (or a scalar) to the result's shape.
    case broadcast(ValueID)
    /// `reduce max %a axis 1 : T`: reduces one axis to size 1.
    case reduce(ReduceKind, ValueID, axis: Int)
    /// `matmul %a, %b : T`: a[M, K] @ b[K, N].
    case matmul(ValueID, ValueID)
    /// `transpose %a : T`: swaps the two dims of a 2-D tensor.
    case transpose(ValueID)
    /// `permute %a perm [0, 2, 1, 3] : T`: NumPy's `transpose(a, perm)`; result axis i is operand axis perm[i].
    /// The perm keeps the last axis (a swap of the last two dims is `transpose`).
    case permute(ValueID, perm: [Int])
    /// `reshape %a : T`: the same row-major elements with T's shape (same element count).
    case reshape(ValueID)
    /// `select %c, %a, %b : T`: elementwise c ? a : b.
    case select(ValueID, ValueID, ValueID)
    /// `cast %a : T`: converts the element type.
    case cast(ValueID)
    /// `iota axis 1 : i32[300, 300]`: each element's index along one axis of the result's shape.
    case iota(axis: Int)
    /// `scan %a, %b axis 1 : T`: along the last axis, h[t] = a[t] * h[t - 1] + b[t] from h = 0 (each step in
    /// fp32, each h rounded to T's element): cumulative sums (a = 1) and linear recurrences (Mamba's scan).
    case scan(ValueID, ValueID, axis: Int)
    /// `slice %a [0, 64] : T`: the block of `a` that starts at `offsets` (one per dim) and has T's shape;
    /// `slice %a [0, 1] step [1, 2] : T` takes every `strides[d]`-th element along dim d from its offset.
    case slice(ValueID, offsets: [Int], strides: [Int])
    /// `concat %a, %b axis 1 : T`: the operands joined along one axis (their other dims are equal).
    case concat([ValueID], axis: Int)
    /// `gather %table, %indices : T`: rows of a rank-2 table chosen by an i32 index tensor; T is the indices'
    /// shape plus the table's row length. An index outside the table's rows is a run-time error.
    case gather(ValueID, ValueID)
    /// `scatter_add %table, %ids, %values : T`: a copy of the rank-2 table with row `values[n]` added into row `ids[n]`
    /// for each index n in row-major order (f32 sums rounded to T's element); an index outside the rows is a run-time error.
    case scatterAdd(ValueID, ValueID, ValueID)
    /// `topk %a k 4 : T` / `argtopk %a k 4 : T`: the k first-ranked elements of each row of `a` (its last axis) in
    /// rank order (`TopKOrder`: larger first, NaN first of all, ties by position), or their i32 positions.
    case topk(ValueID, k: Int, indices: Bool)
    /// `call @f(%a, %b) : T`: a helper function with one output.
    case call(String, [ValueID])

    // Tile level.
    /// `for %i = 0 to 8 step 1 { ... }`.
    case forLoop(ForLoop)
    /// `alloc sbuf f32[128 | 512] at partition 0 offset 0`: a tile, placed once `allocate` has run.
    case alloc(TileType, TilePlacement?)
    /// `view %t offset 256 : sbuf bf16[128 | 128]`: a tile that *is* part of another tile's memory (no copy): the
    /// base's leading partitions, and in each of them the result's free elements from element `offset` of the
    /// base's row-major free elements on. Reads and writes of the view are reads and writes of those bytes of the
    /// base (`TileViews` resolves a view to its base for liveness, placement, dependences and backends).
    case view(ValueID, offset: Int)
    /// `%s = hbm.alloc f32[256, 256]`: an internal HBM scratch tensor (not a kernel input or output) that
    /// `dma.store` may write and `dma.load` read; `tile` passes values between loop nests through it.
    case hbmAlloc(TensorType)
    /// An engine op from the op table (`dma.load`, `pe.matmul`, `act.activate`, `dve.*`, `pool.*`): its
    /// operands follow its declaration in KilnISA's `EngineOp`.
    case engine(EngineInstruction)
    /// `sync.signal sem 3 on pe`: the engine's queue increments semaphore 3 once everything before it in that
    /// queue has finished. On DMA the queue is named: `sync.signal sem 3 on dma queue 2`.
    case syncSignal(semaphore: Int, engine: Engine, queue: Int? = nil)
    /// `sync.wait sem 3 >= 2 on act`: the engine's queue waits until semaphore 3 is at least 2, then takes 2
    /// from it (a counting semaphore); `on dma queue 2` for a DMA queue.
    case syncWait(semaphore: Int, atLeast: Int, engine: Engine, queue: Int? = nil)
    /// `return %a, %b`: ends a function, giving its outputs (tensor level) or nothing (tile level).
    case ret([ValueID])
}

/// An elementwise math function of the tensor level: KilnMachine's one list of them.
public typealias UnaryFunction = MathFunction

/// A tensor-level reduction.
public enum ReduceKind: String, CaseIterable, Hashable, Sendable {
    case sum, max, min, mean
}

/// Where `allocate` placed a tile: its first partition and its byte offset within each partition.
public struct TilePlacement: Hashable, Sendable {
    public var partition: Int
    public var offset: Int
    public init(partition: Int, offset: Int) {
        self.partition = partition
        self.offset = offset
    }
}

/// `c + sum(coefficient * variable)` over loop induction variables: an HBM offset.
public struct AffineExpr: Hashable, Sendable {
    public struct Term: Hashable, Sendable {
        public var variable: ValueID
        public var coefficient: Int
        public init(_ variable: ValueID, _ coefficient: Int) {
            self.variable = variable
            self.coefficient = coefficient
        }
    }

    public var terms: [Term]
    public var constant: Int

    public init(terms: [Term] = [], constant: Int = 0) {
        self.terms = terms
        self.constant = constant
    }

    public static func constant(_ value: Int) -> AffineExpr { AffineExpr(constant: value) }
}

/// One DMA transfer between an HBM tensor slice and a tile. The slice starts at `offsets` (one per HBM dim)
/// and has the tile's shape (reversed for a transposing load).
public struct DMATransfer: Hashable, Sendable {
    public var hbm: ValueID
    public var offsets: [AffineExpr]
    public var tile: ValueID
    public var transpose: Bool
    /// The DMA queue, once scheduled.
    public var queue: Int?
    /// A broadcasting load: the slice has the shape of the tile's free dims (padded with leading 1s to the
    /// HBM rank) and is copied into every partition of the tile.
    public var broadcast: Bool
    /// A strided load's steps (`DMASlice`): partition p at `p * steps.row` along its dim, the last free dim's
    /// element f at `f * steps.column`.
    public var steps: DMASteps

    public init(hbm: ValueID, offsets: [AffineExpr], tile: ValueID, transpose: Bool = false, queue: Int? = nil,
                broadcast: Bool = false, steps: DMASteps = .unit) {
        self.hbm = hbm
        self.offsets = offsets
        self.tile = tile
        self.transpose = transpose
        self.queue = queue
        self.broadcast = broadcast
        self.steps = steps
    }
}

/// When a matmul flag holds: never, on every execution, or when a loop variable equals a value.
public enum IterationCondition: Hashable, Sendable {
    case never
    case always
    case when(ValueID, equals: Int)
}

/// `stationary[K | M]`^T @ `moving[K | N]` into `accumulator[M | N]` in PSUM. `start` overwrites the
/// accumulator (the first matmul of a group); otherwise it accumulates. `stop` ends the group.
public struct PEMatmul: Hashable, Sendable {
    public var stationary: ValueID
    public var moving: ValueID
    public var accumulator: ValueID
    public var start: IterationCondition
    public var stop: IterationCondition

    public init(stationary: ValueID, moving: ValueID, accumulator: ValueID,
                start: IterationCondition = .always, stop: IterationCondition = .always) {
        self.stationary = stationary
        self.moving = moving
        self.accumulator = accumulator
        self.start = start
        self.stop = stop
    }
}

/// A constant or a per-partition [P | 1] tile.
public enum ScalarOperand: Hashable, Sendable {
    case constant(Double)
    case value(ValueID)
}

/// A reduction along the free axis that `act.activate` performs as it writes, into a [P | 1] tile.
public struct FreeAxisReduce: Hashable, Sendable {
    public var op: EngineReduceOp
    public var destination: ValueID
    public init(_ op: EngineReduceOp, into destination: ValueID) {
        self.op = op
        self.destination = destination
    }
}

/// func(source * scale + bias) into `destination`, optionally also reducing along the free axis. `scale` and
/// `bias` are each a constant or a per-partition `[P | 1]` tile (NKI's `activation(scale=, bias=)`).
public struct Activation: Hashable, Sendable {
    public var function: ActivationFunction
    public var source: ValueID
    public var destination: ValueID
    public var scale: ScalarOperand
    public var bias: ScalarOperand
    public var reduce: FreeAxisReduce?

    public init(function: ActivationFunction, source: ValueID, destination: ValueID, scale: ScalarOperand = .constant(1),
                bias: ScalarOperand = .constant(0), reduce: FreeAxisReduce? = nil) {
        self.function = function
        self.source = source
        self.destination = destination
        self.scale = scale
        self.bias = bias
        self.reduce = reduce
    }

    /// With a constant scale.
    public init(function: ActivationFunction, source: ValueID, destination: ValueID, scale: Double,
                bias: ScalarOperand = .constant(0), reduce: FreeAxisReduce? = nil) {
        self.init(function: function, source: source, destination: destination, scale: .constant(scale), bias: bias,
                  reduce: reduce)
    }

    /// The scale when it is a constant.
    public var constantScale: Double? { if case .constant(let value) = scale { value } else { nil } }
}

/// `pool.iota`: element (p, f) = base + p * partitionStep + f * freeStep (f counts over all free dims); the
/// base may depend on the enclosing loops (a tile's row offset), as a DMA offset does.
public struct Iota: Hashable, Sendable {
    public var base: AffineExpr
    public var partitionStep: Int
    public var freeStep: Int
    public var destination: ValueID
    public init(base: Int, partitionStep: Int, freeStep: Int, destination: ValueID) {
        self.init(base: .constant(base), partitionStep: partitionStep, freeStep: freeStep, destination: destination)
    }
    public init(base: AffineExpr, partitionStep: Int, freeStep: Int, destination: ValueID) {
        self.base = base
        self.partitionStep = partitionStep
        self.freeStep = freeStep
        self.destination = destination
    }
}

/// `for %i = lower to upper step s { body }`: the body runs with %i = lower, lower + s, ... < upper.
public struct ForLoop: Hashable, Sendable {
    public var inductionVariable: ValueDef
    public var lowerBound: Int
    public var upperBound: Int
    public var step: Int
    public var body: Block

    public init(inductionVariable: ValueDef, lowerBound: Int, upperBound: Int, step: Int = 1, body: Block = Block()) {
        self.inductionVariable = inductionVariable
        self.lowerBound = lowerBound
        self.upperBound = upperBound
        self.step = step
        self.body = body
    }

    /// Number of iterations (0 for an empty or malformed range).
    public var tripCount: Int {
        guard step > 0, upperBound > lowerBound else { return 0 }
        return (upperBound - lowerBound + step - 1) / step
    }

    /// The last value the induction variable takes, nil if the loop never runs.
    public var lastValue: Int? {
        tripCount > 0 ? lowerBound + (tripCount - 1) * step : nil
    }
}
