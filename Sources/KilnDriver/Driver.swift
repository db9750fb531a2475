// Driver.swift: the Kiln pipeline, read top to bottom: source -> syntax -> checked program -> (later stages).

import KilnSema
import KilnSource
import KilnSyntax

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a user asks of one compile: dim bindings and the target machine.
public struct CompileOptions: Sendable {
    public var dims: [String: Int]
    public var target: String

    public init(dims: [String: Int] = [:], target: String = "trn1") {
        self.dims = dims
        self.target = target
    }
}

/// The result of running the front end on one file: everything later stages and the CLI need.
public struct FrontEndResult: Sendable {
    public var source: SourceFile
    public var syntax: SourceFileSyntax
    /// The checked program; lower it only when `hasErrors` is false.
    public var program: CheckedProgram
    public var diagnostics: DiagnosticBag

    public var hasErrors: Bool { diagnostics.hasErrors }

    /// All diagnostics rendered as `path:line:col: severity: message`, the line and a caret.
    public func renderedDiagnostics(showIDs: Bool = false) -> String {
        DiagnosticRenderer(showIDs: showIDs).render(diagnostics.sorted(), in: source)
    }
}

public enum DriverError: Error, CustomStringConvertible, Sendable {
    case cannotRead(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotRead(let path, let reason): "cannot read '\(path)': \(reason)"
        }
    }
}

public enum Driver {
    /// Reads a file's bytes; any byte sequence is accepted (the lexer reports what it cannot read).
    public static func loadSource(path: String) throws(DriverError) -> SourceFile {
        guard let handle = fopen(path, "rb") else {
            throw .cannotRead(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, handle)
            if count > 0 { bytes.append(contentsOf: buffer[0..<count]) }
            if count < buffer.count {
                if ferror(handle) != 0 { throw .cannotRead(path: path, reason: String(cString: strerror(errno))) }
                break
            }
        }
        return SourceFile(path: path, bytes: bytes)
    }

    /// The front end: lex and parse, specialise generic kernels to their dtypes (`--dtype` flags `dtypes`, the
    /// dtypes of the inputs `inputDTypes` gives per parameter, defaults; `Generics.specializeKernels`), then
    /// check names, dtypes and shapes. The checker runs even when parsing or dtype binding reported errors
    /// (it is silent about the parser's error nodes), so one run reports them all.
    public static func runFrontEnd(_ source: SourceFile, dtypes: [String: DType] = [:], inputDTypes: [String: DType] = [:],
                                   unbound: UnboundDTypePolicy = .error) -> FrontEndResult {
        var (syntax, diagnostics) = Parser.parse(source: source)
        for diagnostic in Generics.unmatchedFlags(syntax, flags: dtypes) { diagnostics.report(diagnostic) }
        let (specialized, bindDiagnostics) = Generics.specializeKernels(syntax, flags: dtypes, inputDTypes: inputDTypes,
                                                                       unbound: unbound)
        diagnostics.append(contentsOf: bindDiagnostics)
        let (program, semaDiagnostics) = Sema.check(specialized, source: source)
        diagnostics.append(contentsOf: semaDiagnostics)
        return FrontEndResult(source: source, syntax: syntax, program: program, diagnostics: diagnostics)
    }

    /// Binds the symbolic dims of every kernel in the file: `--dim` flags (each applies to every kernel
    /// that has a dim of that name), then input shapes, then the kernel's defaults. A flag naming a dim
    /// no kernel has is an error, as is a dim left without a size.
    public static func bindDims(_ result: FrontEndResult, options: CompileOptions,
                                inputShapes: [String: [Int]] = [:]) -> ([String: BoundDims], DiagnosticBag) {
        var diagnostics = DiagnosticBag()
        var bound: [String: BoundDims] = [:]
        let kernels = result.program.kernels
        let known = Set(kernels.flatMap { $0.dims.map(\.name) })
        for name in options.dims.keys.sorted() where !known.contains(name) {
            diagnostics.report(DiagnosticCatalogue.dimFlagMatchesNoKernel(
                name, kernels: kernels.map(\.name), dims: known.sorted()))
        }
        for kernel in kernels {
            let names = Set(kernel.dims.map(\.name))
            let flags = options.dims.filter { names.contains($0.key) }
            let (dims, kernelDiagnostics) = kernel.bindDims(flags, inputShapes: inputShapes)
            diagnostics.append(contentsOf: kernelDiagnostics)
            if let dims { bound[kernel.name] = dims }
        }
        return (bound, diagnostics)
    }

    /// `--emit ast`: the checked tree with types, shapes and positions, after a header per kernel giving
    /// the size each dim is bound to.
    public static func dumpAST(_ result: FrontEndResult, bound: [String: BoundDims]) -> String {
        var out = ""
        for kernel in result.program.kernels {
            let sizes = bound[kernel.name]?.ordered.map { "\($0.name)=\($0.size)" }.joined(separator: " ") ?? ""
            out += "// kernel \(kernel.name): dims \(sizes.isEmpty ? "(none)" : sizes)\n"
        }
        return out + ASTDumper.dump(result.program, source: result.source)
    }
}
