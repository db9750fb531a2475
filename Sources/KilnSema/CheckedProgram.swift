// CheckedProgram.swift: what the checker hands to lowering: per-kernel signatures and per-expression facts.

import KilnMachine
import KilnSource
import KilnSyntax

/// A symbolic dim of a kernel or helper function.
public struct DimInfo: Sendable, Hashable {
    public var name: String
    public var defaultSize: Int?
    /// True if written in the `<...>` list; false if introduced by naming it in a parameter shape.
    public var isDeclared: Bool
    /// The declaration, or the first use for an implicit dim.
    public var span: SourceSpan
}

/// A parameter with its resolved type (kernel tensors are `hbm`, scalars `value`).
public struct ParamInfo: Sendable, Hashable {
    public var name: String
    public var type: ValueType
    /// Only scalar parameters may have one.
    public var defaultValue: ScalarValue?
    public var span: SourceSpan
}

/// A kernel result: its effective name (`out` when unnamed) and its hbm type.
public struct ResultInfo: Sendable, Hashable {
    public var name: String
    public var type: ValueType
    public var span: SourceSpan
}

/// `@schedule(tile_m: 128, tile_n: 512, tile_k: 128, bufs: 2)`; nil fields were not given.
public struct ScheduleAttribute: Sendable, Hashable {
    public var tileM: Int?
    public var tileN: Int?
    public var tileK: Int?
    public var bufs: Int?
    public var span: SourceSpan
    public static let argumentNames = ["tile_m", "tile_n", "tile_k", "bufs"]
}

/// A machine limit on a dim that was symbolic at check time; re-checked once dims are bound.
public struct StaticLimit: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// First dim of an sbuf/psum tile: at most 128.
        case partition(MemorySpace)
        /// nc_matmul contraction dim K, stationary free dim M (<= 128), moving free dim N (<= 512).
        case matmulK, matmulM, matmulN
        /// A shape or slice size that must come out positive (e.g. `N - 128`).
        case positive
        /// A whole-tensor slice that must end inside its dim: `dim` is the dim's size minus the slice's end, which
        /// must not come out negative; the texts are for the message.
        case sliceEnd(end: String, extent: String)
        /// The row a `topk` / `argtopk` searches: 8 to 16,384 elements and at least k (`TopK`).
        case topkRow(callee: String, k: Int)
        /// The free size of a `bn_stats` argument: 1 to 512 (`BatchNormStats.maxFree`).
        case bnStatsFree
        /// The free size of a `bn_aggr` argument: a positive multiple of 3 (whole tuples).
        case bnAggrTuples
        /// The free size of a `quantize_mx` / `scale_mx` argument, or the contraction size of `nc_matmul_mx`: a
        /// positive multiple of 32 (whole MX blocks).
        case mxBlocks(callee: String)
    }
    public var kind: Kind
    public var dim: Dim
    public var span: SourceSpan

    public var maximum: Int? {
        switch kind {
        case .partition, .matmulK, .matmulM: 128
        case .matmulN: 512
        case .positive, .sliceEnd, .topkRow, .bnAggrTuples, .mxBlocks: nil
        case .bnStatsFree: BatchNormStats.maxFree
        }
    }
}

/// A checked kernel: its signature, whether it is tile-form, its schedule, and the limits to re-check.
public struct CheckedKernel: Sendable {
    public var name: String
    public var syntax: KernelDecl
    /// Declared dims first (in `<...>` order), then implicit ones in order of first use.
    public var dims: [DimInfo]
    public var params: [ParamInfo]
    public var results: [ResultInfo]
    /// True if the kernel uses `load` or `store` (explicit tile-level form).
    public var isTileForm: Bool
    public var schedule: ScheduleAttribute?
    public var limits: [StaticLimit]
    /// The parameters `nc_matmul_mx` reads as block scales (by index), which `--random` fills with powers of two
    /// (`Checker.mxScaleParameters`).
    public var mxScaleParameters: Set<Int> = []
    public var span: SourceSpan { syntax.span }
}

/// A checked helper function (inlined at each call).
public struct CheckedFunction: Sendable {
    public var name: String
    public var syntax: FunctionDecl
    public var dims: [DimInfo]
    public var params: [ParamInfo]
    public var result: ValueType
}

/// What a name in an expression refers to. Locals are identified by their declaration's span.
public enum NameResolution: Sendable, Hashable {
    case parameter(index: Int)
    case dim(String)
    case letBinding(declaredAt: SourceSpan)
    case varBuffer(declaredAt: SourceSpan)
    case loopVariable(declaredAt: SourceSpan)
    case result(index: Int)
    /// `inf`: the f32 infinity (a weak scalar), where no declaration of that name is in scope.
    case infinity
}

/// The builtins, called by name (`where` is an alias of `select`; `a @ b` is `matmul`).
public enum Builtin: Sendable, Hashable, CustomStringConvertible {
    /// `exp(x)`, `gelu(x)`, ...: a math function the language offers (`MathFunction.isLanguageBuiltin`).
    case math(MathFunction)
    case maximum, minimum
    /// `pow(a, b)`: a^b elementwise (floats); `clamp(x, lo, hi)`: minimum(maximum(x, lo), hi).
    case pow, clamp
    /// `iota(shape, axis: k)`: positions along one axis, an i32 tensor.
    case iota
    /// `cumsum(x, axis: k)` and `scan(a, b, axis: k)` (h[t] = a[t] * h[t - 1] + b[t]) along the last axis.
    case cumsum, scan
    /// `argmax(x, axis: k)` / `argmin`: the index of the first largest (smallest) element along one axis, i32.
    case argmax, argmin
    /// `topk(x, k)` / `argtopk(x, k)`: the k largest elements of each row (the last axis) in descending order, or their
    /// i32 indices; k an integer literal from 1 to 8 (one `dve.max8` per row tile).
    case topk, argtopk
    /// `concat(a, b, ..., axis: k)`: whole tensors joined along one axis; `broadcast_to(x, shape)`: NumPy's.
    case concat, broadcast_to
    /// `reshape(x, shape)`: the same row-major elements with another shape (merges and splits of adjacent dims).
    case reshape
    /// `gather(table, indices)`: rows of a rank-2 table chosen by i32 indices (an embedding lookup).
    case gather
    /// `scatter_add(table, indices, values)`: a copy of the table with row `values[n]` added into row `indices[n]`,
    /// in the indices' row-major order (duplicates accumulate in that order).
    case scatter_add
    /// `bitwise_and(a, b)`, `bitwise_or`, `bitwise_xor`, `left_shift`, `right_shift`: NumPy's, on i32.
    case bitwise_and, bitwise_or, bitwise_xor, left_shift, right_shift
    case sum, max, min, mean
    case matmul, transpose, select
    case load, store, nc_matmul, copy
    /// `nc_transpose(t)`: a tile transposed on the tensor engine into PSUM.
    case nc_transpose
    /// `activation(f, x, bias: b, scale: s)`: f(x * s + b) on the scalar engine, one rounding of the argument.
    case activation
    /// `affine_select(x, fill, partition: a, free: b, offset: c)`: x where c + a * p + b * f >= 0, else fill (NKI's
    /// gpsimd affine_select).
    case affine_select
    /// `bn_stats(t)`: per partition of a `[P, F]` tile (F <= 512), two (count, mean, variance * count) tuples, of the
    /// even and of the odd elements, an f32 `[P, 6]` tile; `bn_aggr(s)`: the mean and variance of a partition's
    /// tuples, an f32 `[P, 2]` tile (the vector engine's bn_stats / bn_aggr, KilnMachine's BatchNormStats).
    case bn_stats, bn_aggr
    /// `quantize_mx(t, dt)` / `scale_mx(t, dt)`: a float tile `[P, F]` (F a multiple of 32) quantized to the MX
    /// element type `dt` in blocks of 32 along each partition (OCP MX, KilnNumerics' MXQuantization): the elements,
    /// an sbuf `dt[P, F]` tile, and the block scales, an sbuf `f32[P, F / 32]` tile of powers of two (the vector
    /// engine's quantize_mx). `nc_matmul_mx(s, m, s_scale, m_scale)`: the tensor engine's MX matmul (trn3).
    case quantize_mx, scale_mx, nc_matmul_mx

    /// Every builtin but the math functions, which `MathFunction` lists.
    static let others: [Builtin] = [.maximum, .minimum, .pow, .clamp, .iota, .cumsum, .scan, .argmax, .argmin,
                                    .topk, .argtopk, .concat, .broadcast_to, .reshape, .gather, .scatter_add,
                                    .bitwise_and, .bitwise_or, .bitwise_xor, .left_shift, .right_shift, .sum, .max, .min, .mean, .matmul, .transpose, .select,
                                    .load, .store, .nc_matmul, .copy, .nc_transpose, .activation, .affine_select, .bn_stats,
                                    .bn_aggr, .quantize_mx, .scale_mx, .nc_matmul_mx]

    /// The builtin called `name` (not counting aliases).
    public init?(name: String) {
        if let function = MathFunction(rawValue: name), function.isLanguageBuiltin {
            self = .math(function)
        } else if let other = Builtin.others.first(where: { $0.name == name }) {
            self = other
        } else {
            return nil
        }
    }

    /// The name a kernel calls it by.
    public var name: String {
        switch self {
        case .math(let function): function.rawValue
        case .maximum: "maximum"
        case .minimum: "minimum"
        case .pow: "pow"
        case .clamp: "clamp"
        case .iota: "iota"
        case .cumsum: "cumsum"
        case .scan: "scan"
        case .argmax: "argmax"
        case .argmin: "argmin"
        case .topk: "topk"
        case .argtopk: "argtopk"
        case .concat: "concat"
        case .broadcast_to: "broadcast_to"
        case .reshape: "reshape"
        case .gather: "gather"
        case .scatter_add: "scatter_add"
        case .bitwise_and: "bitwise_and"
        case .bitwise_or: "bitwise_or"
        case .bitwise_xor: "bitwise_xor"
        case .left_shift: "left_shift"
        case .right_shift: "right_shift"
        case .sum: "sum"
        case .max: "max"
        case .min: "min"
        case .mean: "mean"
        case .matmul: "matmul"
        case .transpose: "transpose"
        case .select: "select"
        case .load: "load"
        case .store: "store"
        case .nc_matmul: "nc_matmul"
        case .copy: "copy"
        case .nc_transpose: "nc_transpose"
        case .activation: "activation"
        case .affine_select: "affine_select"
        case .bn_stats: "bn_stats"
        case .bn_aggr: "bn_aggr"
        case .quantize_mx: "quantize_mx"
        case .scale_mx: "scale_mx"
        case .nc_matmul_mx: "nc_matmul_mx"
        }
    }

    public var description: String { name }

    public var isUnaryMath: Bool {
        if case .math = self { return true }
        return false
    }
    public var isReduction: Bool { self == .sum || self == .max || self == .min || self == .mean }
    /// Tile-level builtins, usable in kernels only.
    public var isTileLevel: Bool {
        self == .load || self == .store || self == .nc_matmul || self == .copy || self == .nc_transpose || self == .activation
            || self == .affine_select
            || self == .bn_stats || self == .bn_aggr || self == .quantize_mx || self == .scale_mx || self == .nc_matmul_mx
    }
}

/// What a call expression calls; for helpers, the caller's dim for each of the helper's dims.
public enum CallTarget: Sendable, Hashable {
    case builtin(Builtin)
    case function(name: String, dims: [String: Dim])
}

/// What an `activation(f, x, bias: b, scale: s)` call applies: `f(x * scale + bias)`.
public struct ActivationCall: Sendable, Hashable {
    public var function: MathFunction
    /// The constant scale, rounded to f32 (the engine's immediate); 1 when `scaleTile` gives it.
    public var scale: Double
    /// The `scale:` argument's `Expr.id` when it is a per-partition `[P, 1]` tile; nil for a constant scale.
    public var scaleTile: Int?
    /// The `bias:` argument's `Expr.id`; nil without one (a bias of 0).
    public var bias: Int?
}

/// What an `affine_select(x, fill, partition: a, free: b, offset: c)` call keeps: element (p, f) of x where
/// `c + a * p + b * f >= 0`, else `fill`.
public struct AffineSelectCall: Sendable, Hashable {
    /// The coefficients of the partition index and of the free index (integer literals, 0 when left out).
    public var partition: Int
    public var free: Int
    /// The fill, rounded to f32 (the engine's immediate).
    public var fill: Double
    /// The `offset:` argument's `Expr.id`, affine in loop variables and dims; nil for an offset of 0.
    public var offset: Int?
    /// The offset in loop variables and dims (0 without one).
    public var offsetAffine: AffineExpr
}

/// One item of a slice, in loop variables and dims: the rows `lower ..< lower + size`.
public struct SliceInfo: Sendable, Hashable {
    public var lower: AffineExpr
    public var size: Dim
    /// Elements `lower, lower + step, ...` (a whole-tensor slice's `lo : hi : step`); 1 for every other item.
    public var step: Dim = .constant(1)

    /// One past the last element the item reads: `lower + (size - 1) * step`, plus 1; nil on overflow.
    public var end: AffineExpr? {
        guard let span = size.affine.adding(AffineExpr(constant: -1))?.multiplied(by: step.affine),
              let last = lower.adding(span) else { return nil }
        return last.adding(AffineExpr(constant: 1))
    }
}

/// The checker's output: signatures plus facts keyed by `Expr.id`.
///
/// Lowering should only run on a program whose check reported no errors: where a declaration had an
/// error, its `ParamInfo`/`ResultInfo` type is a placeholder (`f32` or `f32[1]`) and its expressions
/// have no type. Names are resolved once here; lowering looks them up in `resolutions` and `calls`.
public struct CheckedProgram: Sendable {
    public var syntax: SourceFileSyntax
    public var kernels: [CheckedKernel]
    public var functions: [CheckedFunction]
    /// The type of every expression by id; nil where the expression had an error or has no value (`store`).
    public var types: [ValueType?]
    public var resolutions: [Int: NameResolution]
    public var calls: [Int: CallTarget]
    /// The axes (sorted, non-negative) each reduction call reduces; for `iota`, `cumsum`/`scan` and
    /// `argmax`/`argmin` calls, the one axis they work along.
    public var reductionAxes: [Int: [Int]]
    /// The items of each index expression `x[...]`, one per dim of `x`.
    public var slices: [Int: [SliceInfo]]
    /// The type of each local (`let`, `var`, loop variable) by the span of its name.
    public var declarations: [SourceSpan: ValueType]
    /// What each `activation(...)` call applies, by the call's `Expr.id`.
    public var activations: [Int: ActivationCall] = [:]
    /// The loops lowering unrolls, by the span of their variable's name: those whose variable decides control
    /// flow (an inner loop's trip count, an `if`), is used as a value, or moves the start of such a loop.
    public var unrolledLoops: Set<SourceSpan> = []
    /// The slices `table[idx, lo : hi]` written as `load`'s argument with a tile `idx` (indirect loads), by the
    /// index expression's `Expr.id`; their `slices` entry has the row item `0` sized by the index tile's rows.
    public var indirectLoads: Set<Int> = []
    /// What each `affine_select(...)` call keeps, by the call's `Expr.id`.
    public var affineSelects: [Int: AffineSelectCall] = [:]

    public func type(of expr: Expr) -> ValueType? { type(ofID: expr.id) }
    public func type(ofID id: Int) -> ValueType? { id >= 0 && id < types.count ? types[id] : nil }
    public func kernel(named name: String) -> CheckedKernel? { kernels.first { $0.name == name } }
    public func function(named name: String) -> CheckedFunction? { functions.first { $0.name == name } }
}
