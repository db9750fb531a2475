// Lowering.swift: the checked program with bound dims to a tile IR module: kernels, then helper specialisations.

import KilnMachine
import KilnSema
import KilnSource
import KilnSyntax
import KilnTileIR

typealias IRBlock = KilnTileIR.Block
typealias IRFunction = KilnTileIR.Function
typealias IRAffine = KilnTileIR.AffineExpr
typealias SemaAffine = KilnSema.AffineExpr
typealias SemaSpace = KilnSema.MemorySpace

/// Lowers a checked program to tile IR.
///
/// Conventions of the output (what the tiling passes read):
/// - One IR function per kernel, named as the kernel. Tensor parameters are `hbm` parameters, scalar
///   parameters `f32`/`i32`/`bool` scalars with their defaults; results are `hbm` outputs named as the
///   results (`out` when unnamed). `@schedule(...)` becomes `Function.schedule` (`tile_m`, `tile_n`,
///   `tile_k`, `bufs`).
/// - Whole-tensor kernels stay at the tensor level and end with `return` of one value per result.
///   Operands of every elementwise op have the result's shape: where the language broadcasts, an explicit
///   `broadcast` op stretches the operand first (NumPy rules: size-1 dims and missing leading dims, so
///   `[D]` and `[N, 1]` both broadcast to `[N, D]`). A literal meeting a tensor becomes a splat
///   `constant` of the tensor's type; a scalar parameter or computed scalar is `cast` to the tensor's
///   element type if needed, then `broadcast`. Dims used as values are `i32` constants. Scalar-only
///   arithmetic is emitted as scalar ops for `canonicalize` to fold.
/// - Reductions keep the reduced axis with size 1 (`reduce sum %x axis 1 : f32[N, 1]`), as the language
///   does; `mean` is the `mean` reduce kind. `a @ b` is `matmul`, `x.T` is `transpose`, `select`/`where`
///   is `select`, `x as dt` is `cast`, `%` is `rem`, `maximum`/`minimum` are `max`/`min`.
/// - Helper functions become IR functions, one per distinct binding of their dims (`softmax_rows_R256_C256`),
///   with tensor (not hbm) parameters and one output; kernels `call` them and `inline` inlines them.
/// - Tile-form kernels (`load`/`store`) lower straight to tile-level IR; see `FunctionLowering+Tiles.swift`.
public enum Lowering {
    /// Lowers every kernel that has bound dims (and the helpers they call) for `target`. The module's
    /// `source` is the kernel file's path, and every op carries the span of the source that produced it.
    /// Lowering assumes a program the checker accepted; what it cannot express is a located K35xx error.
    public static func lower(_ program: CheckedProgram, source: SourceFile, bound: [String: BoundDims],
                             target: String) -> (Module?, DiagnosticBag) {
        var context = ModuleLowering(program: program)
        var module = Module(target: target, sourcePath: source.path)
        for kernel in program.kernels {
            guard let dims = bound[kernel.name] else { continue }
            let lowering = FunctionLowering(context: context, dimSizes: dims.sizes, name: kernel.name, span: kernel.span)
            lowering.lowerKernel(kernel)
            context = lowering.context
            module.functions.append(lowering.function)
        }
        // Helpers called (possibly by other helpers) are lowered once per dim binding, in order of first call.
        var next = 0
        while next < context.pendingHelpers.count {
            let request = context.pendingHelpers[next]
            next += 1
            guard let helper = program.function(named: request.helper) else { continue }
            let lowering = FunctionLowering(context: context, dimSizes: request.dims, name: request.irName, span: helper.syntax.span)
            lowering.lowerHelper(helper)
            context = lowering.context
            module.functions.append(lowering.function)
        }
        return (context.diagnostics.hasErrors ? nil : module, context.diagnostics)
    }
}

/// What the lowering of one function shares with the others: the program, the diagnostics, and the
/// helper specialisations requested so far.
struct ModuleLowering {
    struct HelperRequest {
        var helper: String
        var dims: [String: Int]
        var irName: String
    }

    let program: CheckedProgram
    var diagnostics = DiagnosticBag()
    var pendingHelpers: [HelperRequest] = []

    init(program: CheckedProgram) {
        self.program = program
    }

    /// The IR name of `helper` specialised to `dims`, scheduling its lowering on first request.
    mutating func helperName(_ helper: CheckedFunction, dims: [String: Int]) -> String {
        if let existing = pendingHelpers.first(where: { $0.helper == helper.name && $0.dims == dims }) {
            return existing.irName
        }
        let suffix = helper.dims.map { "_\($0.name)\(dims[$0.name] ?? 0)" }.joined()
        var name = String(helper.name.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" }) + suffix
        while pendingHelpers.contains(where: { $0.irName == name }) || program.kernel(named: name) != nil { name += "_" }
        pendingHelpers.append(HelperRequest(helper: helper.name, dims: dims, irName: name))
        return name
    }
}
