// Driver+Sim.swift: the sim half of the pipeline: compile a kernel (or tile IR text) to bytecode, bind scalars.

import KilnSema
import KilnBytecode
import KilnMachine
import KilnPluginAPI
import KilnSource
import KilnTileIR

/// A compile through the registered sim backend: the compilation (front end to scheduled IR), the
/// bytecode it emitted, and the program decoded from it.
public struct BytecodeCompilation: Sendable {
    public var compilation: Compilation
    /// The encoded `.kbc` bytes; nil when any stage failed.
    public var bytes: [UInt8]?
    /// The program the bytes decode to (what `kiln sim FILE.kbc` runs); nil when any stage failed.
    public var program: BytecodeProgram?
    /// The sim backend's diagnostics, located in the kernel source.
    public var backendDiagnostics: [Diagnostic] = []

    public var hasErrors: Bool { compilation.hasErrors || program == nil }

    /// Every diagnostic of every stage, rendered (kernel source diagnostics, pipeline usage errors, IR
    /// diagnostics, backend diagnostics).
    public func renderedDiagnostics(showIDs: Bool = false) -> String {
        compilation.renderedDiagnostics(backendDiagnostics: backendDiagnostics, showIDs: showIDs)
    }
}

extension Driver {
    /// Source to bytecode: `compile` (front end, dims, lowering, the pass pipeline), scalar parameters
    /// bound to constants (`bindScalars`), then the registered `sim` backend (`emitBytecode`) for `kernel`
    /// (nil: the file's only kernel).
    public static func compileToBytecode(_ source: SourceFile, dims: [String: Int], options: PipelineOptions,
                                         kernel: String? = nil, scalars: [String: Double] = [:],
                                         dtypes: [String: DType] = [:]) -> BytecodeCompilation {
        let compilation = compile(source, dims: dims, options: options, scalars: scalars, dtypes: dtypes)
        var result = BytecodeCompilation(compilation: compilation)
        guard !compilation.hasErrors, let scheduled = compilation.module else { return result }
        (result.bytes, result.program, result.backendDiagnostics) = emitBytecode(scheduled, kernelSource: source, function: kernel)
        return result
    }

    /// `module` through the registered `sim` backend (its `emit`: scheduled tile IR to `.kbc` bytes, checked by
    /// the bytecode validator), and the program those bytes decode to; else the backend's diagnostics.
    static func emitBytecode(_ module: Module, kernelSource: SourceFile?,
                             function: String?) -> (bytes: [UInt8]?, program: BytecodeProgram?, diagnostics: [Diagnostic]) {
        let backends = makeBackendRegistry()
        guard let backend = backends.backend(named: RunBackend.sim.rawValue) else {
            return (nil, nil, [DiagnosticCatalogue.unknownBackend(RunBackend.sim.rawValue, known: backends.names)])
        }
        guard let target = MachineTarget.named(module.target) else {
            return (nil, nil, [DiagnosticCatalogue.backendFailed(backend.name, "unknown target '\(module.target)'")])
        }
        do {
            let bytes = try backend.emit(module: module, context: BackendContext(target: target, kernelSource: kernelSource,
                                                                                function: function)).bytes
            return (bytes, try BytecodeDecoder.decode(bytes).0, [])
        } catch let failure as BackendFailure {
            return (nil, nil, failure.diagnostics)
        } catch {
            return (nil, nil, [DiagnosticCatalogue.backendFailed(backend.name, "its bytecode does not decode: \(error)")])
        }
    }

    /// Scalar parameters become constants, so the passes fold them into the engine ops (the bytecode has
    /// no scalar registers): each scalar parameter of each function that `values` names, or that has a
    /// default, is removed from the signature and defined instead by a `constant` op at the start of the
    /// body, with the same value id. A scalar with neither stays a parameter (the backend then reports it).
    public static func bindScalars(_ module: Module, values: [String: Double]) -> Module {
        var bound = module
        for index in bound.functions.indices {
            var function = bound.functions[index]
            var constants: [Operation] = []
            function.parameters = function.parameters.filter { parameter in
                guard case .scalar(let element) = parameter.value.type,
                      let value = values[parameter.value.nameHint ?? ""] ?? parameter.defaultValue else { return true }
                constants.append(Operation(.constant(element.convert(value)), result: parameter.value, span: function.span))
                return false
            }
            guard !constants.isEmpty else { continue }
            function.body.ops.insert(contentsOf: constants, at: 0)
            bound.functions[index] = function
        }
        return bound
    }
}

/// Tile IR text compiled to bytecode (`kiln sim FILE.tir`): the parse, the pipeline run and the program.
public struct IRBytecodeCompilation: Sendable {
    public var parse: TileIRParseResult
    public var run: PipelineResult?
    public var program: BytecodeProgram?
    public var backendDiagnostics: [Diagnostic] = []

    /// Parse errors, pipeline usage errors and IR diagnostics (at the IR text's lines, or the kernel
    /// source's when it can be read), backend diagnostics.
    public func renderedDiagnostics(irText: SourceFile) -> String {
        guard let module = parse.module, let run else {
            return DiagnosticRenderer().render(parse.diagnostics, in: irText)
        }
        var text = ""
        if let usage = run.usageError { text += "kiln: error: \(usage.message)\n" }
        let kernelSource = Driver.loadKernelSource(of: module, irPath: irText.path)
        text += Driver.renderIRDiagnostics(run.diagnostics, kernelSource: kernelSource,
                                           irText: irText, module: module)
        for diagnostic in backendDiagnostics {
            text += "\(irText.path): error: \(diagnostic.message) [\(diagnostic.id.code)]\n"
        }
        return text
    }
}

extension Driver {
    /// Tile IR text to bytecode: parse, run `options.passes` ("" by default: the IR must already be placed
    /// and, to run without races, scheduled), then the registered `sim` backend (`emitBytecode`). Instructions carry the line:col of
    /// their op's kernel location (`loc(...)`), or none when the IR has no kernel source.
    public static func compileIRToBytecode(_ irText: SourceFile, target: String?, options: PipelineOptions,
                                           function: String? = nil) -> IRBytecodeCompilation {
        let (parse, run) = optimize(irText, target: target, options: options)
        var result = IRBytecodeCompilation(parse: parse, run: run)
        guard let optimized = run?.module, run?.hasErrors == false else { return result }
        // Scalar parameters take their defaults (the bytecode has no scalar registers, `bindScalars`); one
        // without a default cannot be given a value here.
        let module = bindScalars(optimized, values: [:])
        let unbound = module.functions.flatMap { function in
            function.parameters.filter { if case .scalar = $0.value.type { true } else { false } }
                .map { "%\($0.value.nameHint ?? "?") of @\(function.name)" }
        }
        if !unbound.isEmpty {
            result.backendDiagnostics = [DiagnosticCatalogue.backendFailed("sim",
                "scalar parameter \(unbound.joined(separator: ", ")) has no default value; give it one in the IR "
                    + "(`%eps: f32 = 1e-5`), or run the kernel source with `kiln run --scalar`")]
            return result
        }
        let kernelSource = loadKernelSource(of: module, irPath: irText.path)
        (_, result.program, result.backendDiagnostics) = emitBytecode(module, kernelSource: kernelSource, function: function)
        return result
    }
}
