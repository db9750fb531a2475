// Driver+LLVM.swift: the llvm half of the pipeline: compile a kernel for KilnLLVM, emit IR or an object, JIT-run it.

import KilnLLVM
import KilnMachine
import KilnNumerics
import KilnSema
import KilnSource
import KilnTileIR

/// How the llvm backend compiles: the pass pipeline that produces its tile IR, and the CPU.
///
/// Which IR the backend runs: `passes == nil` runs the target's default pipeline, so the backend gets the
/// tile-level, placed, scheduled IR the sim backend gets (it ignores placements and semaphores). That is
/// what `kiln run --backend llvm` and `kiln verify` use: the llvm result checks the passes. `kiln bench
/// --backend llvm` uses `tensorLevelPipeline` instead (helpers inlined, folded, merged, not tiled), which
/// KilnLLVM fuses into host loops (row-wise softmax/layernorm, the matmul micro-kernel): the fastest host
/// code. Tile-form kernels are tile level whatever the pipeline.
public struct LLVMCompileOptions: Sendable {
    /// The target (the tiling passes read the machine), the pipeline (nil: the target's default) and the
    /// pass manager's switches.
    public var pipeline: PipelineOptions
    /// The CPU to generate code for (`--cpu`, e.g. `x86-64-v3`); nil: the host's, with its features.
    public var cpu: String?
    /// Run LLVM's `default<O3>` before emitting or JIT-compiling.
    public var optimise: Bool

    /// The shortest pipeline KilnLLVM takes: tensor-level IR, cleaned up.
    public static let tensorLevelPipeline = "inline,canonicalize,cse"

    public init(pipeline: PipelineOptions, cpu: String? = nil, optimise: Bool = true) {
        self.pipeline = pipeline
        self.cpu = cpu
        self.optimise = optimise
    }

    public init(target: String = "trn1", passes: String? = nil, cpu: String? = nil) {
        self.init(pipeline: PipelineOptions(target: target, passes: passes), cpu: cpu)
    }

    func backendOptions(_ source: SourceFile) -> LLVMBackendOptions {
        LLVMBackendOptions(cpu: cpu.map(CPUSelection.named) ?? .host, optimise: optimise, kernelSource: source)
    }
}

/// A compile through the llvm backend's input: the compilation (front end to the pipeline's IR), and the
/// backend's own diagnostics once it ran.
public struct LLVMCompilation: Sendable {
    public var compilation: Compilation
    /// The llvm backend's diagnostics (K5xxx), and the tile IR verifier's when it rejected its input.
    public var backendDiagnostics: [Diagnostic] = []

    public var hasErrors: Bool { compilation.hasErrors || backendDiagnostics.contains { $0.severity == .error } }

    /// Every diagnostic of every stage, rendered (kernel source, pipeline usage, IR, backend).
    public func renderedDiagnostics(showIDs: Bool = false) -> String {
        let source = compilation.frontEnd.source
        var text = DiagnosticRenderer(showIDs: showIDs).render(compilation.diagnostics.sorted(), in: source)
        if let run = compilation.pipeline {
            if let usage = run.usageError { text += "kiln: error: \(usage)\n" }
            text += Driver.renderIRDiagnostics(run.diagnostics, kernelSource: source, kernelSourcePath: source.path,
                                               irText: nil, module: nil, showIDs: showIDs)
        }
        var backend = DiagnosticBag()
        for diagnostic in backendDiagnostics { backend.report(diagnostic) }
        text += DiagnosticRenderer(showIDs: showIDs).render(backend.sorted(), in: source)
        return text
    }
}

/// An object file and the C header declaring its entry points.
public struct LLVMObjectArtifact: Sendable {
    public var object: [UInt8]
    public var header: String
}

extension Driver {
    /// Source to the llvm backend's input: parse and check, bind dims, lower, bind the scalars `scalars` names
    /// to constants (`bindScalars`; nil keeps every scalar a parameter of the entry point), run the pipeline.
    public static func compileForLLVM(_ source: SourceFile, dims: [String: Int], options: LLVMCompileOptions,
                                      scalars: [String: Double]? = nil) -> LLVMCompilation {
        LLVMCompilation(compilation: compile(source, dims: dims, options: options.pipeline, scalars: scalars))
    }

    /// `kiln build --emit llvm`: the optimised module as LLVM IR text (nil, with diagnostics, on failure).
    public static func emitLLVMIR(_ source: SourceFile, dims: [String: Int],
                                  options: LLVMCompileOptions) -> (text: String?, compilation: LLVMCompilation) {
        var compiled = compileForLLVM(source, dims: dims, options: options)
        guard !compiled.hasErrors, let module = compiled.compilation.module else { return (nil, compiled) }
        do {
            return (try LLVMBackend.emitIR(module: module, options: options.backendOptions(source)), compiled)
        } catch {
            compiled.backendDiagnostics = error.diagnostics
            return (nil, compiled)
        }
    }

    /// `kiln build --emit obj`: an object file and a C header whose include guard derives from `headerName`.
    public static func emitLLVMObject(_ source: SourceFile, dims: [String: Int], options: LLVMCompileOptions,
                                      headerName: String) -> (artifact: LLVMObjectArtifact?, compilation: LLVMCompilation) {
        var compiled = compileForLLVM(source, dims: dims, options: options)
        guard !compiled.hasErrors, let module = compiled.compilation.module else { return (nil, compiled) }
        do {
            let output = try LLVMBackend.emitObject(module: module, headerName: headerName, options: options.backendOptions(source))
            return (LLVMObjectArtifact(object: output.object, header: output.header), compiled)
        } catch {
            compiled.backendDiagnostics = error.diagnostics
            return (nil, compiled)
        }
    }

    /// Compiles `kernel` for its bound dims and JIT-compiles it; scalar parameters stay arguments of the
    /// entry point, so one compiled kernel serves any scalar values. Failures are reported as one located error carrying the rendered diagnostics of every stage.
    public static func jitKernel(_ source: SourceFile, kernel: CheckedKernel, dims: BoundDims, options: LLVMCompileOptions,
                                 _ diagnostics: inout DiagnosticBag) -> JITKernel? {
        var compiled = compileForLLVM(source, dims: dims.sizes, options: options)
        if !compiled.hasErrors, let module = compiled.compilation.module {
            do {
                return try LLVMBackend.jit(module: module, entry: kernel.name, options: options.backendOptions(source))
            } catch {
                compiled.backendDiagnostics = error.diagnostics
            }
        }
        diagnostics.report(DiagnosticCatalogue.llvmCompileFailed(kernel.name, detail: compiled.renderedDiagnostics(),
                                                                 at: kernel.syntax.name.span))
        return nil
    }

    /// The inputs of a JIT kernel: each tensor converted to its entry argument's dtype (a `--input` array
    /// of another dtype is rounded as the reference interpreter rounds it), scalars as rank-0 tensors.
    static func llvmInputs(_ inputs: [String: Tensor], for signature: EntrySignature) -> [String: Tensor] {
        var converted = inputs
        for argument in signature.inputs {
            guard let tensor = inputs[argument.name], tensor.dtype != argument.element,
                  let retyped = Tensor(dtype: argument.element, shape: tensor.shape,
                                       values: tensor.values.map(argument.element.convert)) else { continue }
            converted[argument.name] = retyped
        }
        return converted
    }

    /// The `llvm` backend of `kiln run` and `kiln verify`: compiles the kernel with `options` (the default
    /// pipeline unless it names another), JIT-runs it once on `inputs`, and stores its outputs.
    static func runOnLLVM(_ source: SourceFile, kernel: CheckedKernel, dims: BoundDims, inputs: [String: Tensor],
                          options: LLVMCompileOptions, into outcome: inout RunOutcome) {
        guard let jit = jitKernel(source, kernel: kernel, dims: dims, options: options, &outcome.diagnostics) else { return }
        do {
            outcome.outputs = try jit.run(inputs: llvmInputs(inputs, for: jit.signature))
        } catch {
            for diagnostic in error.diagnostics { outcome.diagnostics.report(diagnostic) }
        }
    }
}
