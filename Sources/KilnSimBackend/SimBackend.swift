// SimBackend.swift: the sim backend's front door: scheduled tile IR module in, validated bytecode out.

import KilnBytecode
import KilnMachine
import KilnSource
import KilnTileIR

/// Why a module could not become bytecode: diagnostics located in the kernel source (spans of IR ops).
public struct SimBackendError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public var description: String { diagnostics.map { "\($0.id.code): \($0.message)" }.joined(separator: "\n") }
}

/// The sim backend. Input: a tile-level module whose tiles are placed (`alloc ... at partition P offset B`),
/// ideally scheduled (`queue N`, `sync.signal`/`sync.wait`). Output: a `.kbc` program (Docs/bytecode.md).
///
/// Algorithm: one walk of the kernel function's body in program order (`StreamBuilder`). Each HBM parameter
/// and output becomes a tensor-table entry; each `alloc` a memory-plan buffer at its placement; each IR loop
/// a loop slot. Every engine op is selected into one instruction (`InstructionSelection`) and appended to the
/// stream of its engine, or of its DMA queue (queue 0 when unscheduled; a `sync` op `on dma` joins the queue
/// of the nearest preceding DMA op). Loops are not unrolled: each stream gets its own copy of the loop nest,
/// opened lazily before the first instruction the stream has inside a loop and closed when the loop ends, so
/// a stream holds only loops that contain its instructions. Affine HBM offsets and matmul flags refer to loop
/// slots. Every instruction's line-table entry is the line:col of its op's span in `kernelSource`. Finally the
/// program is checked by `BytecodeValidator`, so the backend never writes a file the simulator would reject. The
/// tile IR it is given is verified first (`TileIR.verify`), whatever the pass manager did.
public enum SimBackend {
    /// The bytecode program for `module`'s kernel (`function`, or the only / the uncalled function).
    public static func lower(module: Module, kernelSource: SourceFile?, function name: String? = nil)
        throws(SimBackendError) -> BytecodeProgram {
        let problems = TileIR.verify(module).filter { $0.severity == .error }
        if !problems.isEmpty { throw SimBackendError(problems) }
        let function = try kernelFunction(of: module, named: name)
        var builder = StreamBuilder(function: function, target: module.target,
                                    sourcePath: kernelSource?.path ?? module.sourcePath ?? "", kernelSource: kernelSource)
        let program = builder.build()
        if !builder.diagnostics.isEmpty { throw SimBackendError(builder.diagnostics) }
        do {
            try BytecodeValidator.validate(program)
        } catch {
            throw SimBackendError([DiagnosticCatalogue.simBackendInvalidIR(
                "the bytecode for @\(function.name) would be invalid: \(error.diagnostic.message)", at: function.span)])
        }
        return program
    }

    /// The encoded `.kbc` bytes for `module`'s kernel.
    public static func emit(module: Module, kernelSource: SourceFile?, function name: String? = nil)
        throws(SimBackendError) -> [UInt8] {
        BytecodeEncoder.encode(try lower(module: module, kernelSource: kernelSource, function: name))
    }

    /// The named function; else the only function; else the one function no other function calls.
    static func kernelFunction(of module: Module, named name: String?) throws(SimBackendError) -> Function {
        if let name {
            guard let function = module.function(named: name) else {
                throw SimBackendError([DiagnosticCatalogue.simBackendNoKernel("the module has no function @\(name)")])
            }
            return function
        }
        if module.functions.count == 1, let only = module.functions.first { return only }
        var called = Set<String>()
        for function in module.functions {
            function.body.walk { op in if case .call(let callee, _) = op.kind { called.insert(callee) } }
        }
        let roots = module.functions.filter { !called.contains($0.name) }
        guard roots.count == 1, let root = roots.first else {
            let names = module.functions.map { "@\($0.name)" }.joined(separator: ", ")
            throw SimBackendError([DiagnosticCatalogue.simBackendNoKernel(
                "cannot tell which function is the kernel (\(names.isEmpty ? "none" : names)); name one")])
        }
        return root
    }
}
