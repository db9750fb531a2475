// Driver+LLVM.swift: the llvm half of the pipeline: compile a kernel for the llvm backend, emit IR or an object.

import KilnSema
import KilnMachine
import KilnPluginAPI
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

    /// The llvm backend's switches as every executable backend takes them.
    public var execution: ExecutionOptions { ExecutionOptions(cpu: cpu, optimise: optimise) }
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
        compilation.renderedDiagnostics(backendDiagnostics: backendDiagnostics, showIDs: showIDs)
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
                                      scalars: [String: Double]? = nil, dtypes: [String: DType] = [:]) -> LLVMCompilation {
        LLVMCompilation(compilation: compile(source, dims: dims, options: options.pipeline, scalars: scalars, dtypes: dtypes))
    }

    /// `kiln build --emit llvm`: the optimised module as LLVM IR text (nil, with diagnostics, on failure).
    public static func emitLLVMIR(_ source: SourceFile, dims: [String: Int], options: LLVMCompileOptions,
                                  dtypes: [String: DType] = [:]) -> (text: String?, compilation: LLVMCompilation) {
        let (artifacts, compiled) = emitVariant("llvm", source, dims: dims, options: options, stem: "kernel", dtypes: dtypes)
        guard let main = artifacts?.first else { return (nil, compiled) }
        return (String(decoding: main.output.bytes, as: UTF8.self), compiled)
    }

    /// `kiln build --emit obj`: an object file and a C header whose include guard derives from `headerName`.
    public static func emitLLVMObject(_ source: SourceFile, dims: [String: Int], options: LLVMCompileOptions,
                                      headerName: String, dtypes: [String: DType] = [:]) -> (artifact: LLVMObjectArtifact?, compilation: LLVMCompilation) {
        let (artifacts, compiled) = emitVariant("obj", source, dims: dims, options: options, stem: headerName, dtypes: dtypes)
        guard let object = artifacts?.first(where: { $0.fileExtension == "o" }),
              let header = artifacts?.first(where: { $0.fileExtension == "h" }) else { return (nil, compiled) }
        return (LLVMObjectArtifact(object: object.output.bytes, header: String(decoding: header.output.bytes, as: UTF8.self)),
                compiled)
    }

    /// The registered `llvm` backend's output `variant` (its main one, `llvm`, or `obj`), through the
    /// registry (`MultiArtifactBackend`; its library loaded first), for the module `compileForLLVM` produces.
    static func emitVariant(_ variant: String, _ source: SourceFile, dims: [String: Int], options: LLVMCompileOptions,
                            stem: String, dtypes: [String: DType] = [:]) -> (artifacts: [BackendArtifact]?, compilation: LLVMCompilation) {
        var compiled = compileForLLVM(source, dims: dims, options: options, dtypes: dtypes)
        guard !compiled.hasErrors, let module = compiled.compilation.module else { return (nil, compiled) }
        let (_, backends, loadFailure) = makeRegistries(loading: RunBackend.llvm.rawValue)
        if let loadFailure {
            compiled.backendDiagnostics = [loadFailure]
            return (nil, compiled)
        }
        guard let backend = backends.backend(named: RunBackend.llvm.rawValue) as? any MultiArtifactBackend,
              let target = MachineTarget.named(options.pipeline.target) else {
            compiled.backendDiagnostics = [DiagnosticCatalogue.unknownBackend(RunBackend.llvm.rawValue, known: backends.names)]
            return (nil, compiled)
        }
        do {
            let artifacts = try backend.emit(variant: variant, module: module, context: BackendContext(target: target, kernelSource: source),
                                             options: options.execution, stem: stem)
            return (artifacts, compiled)
        } catch {
            compiled.backendDiagnostics = error.diagnostics
            return (nil, compiled)
        }
    }
}
