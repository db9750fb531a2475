// Kernel.swift: kiln_kernel: a compiled kernel, its signature as C structs, and the code prepared for each executor.

import CKiln
import Foundation
import KilnDriver
import KilnInterp
import KilnMachine
import KilnPluginAPI
import KilnSema
import KilnSource

/// One compiled kernel handle. Runs on it are serialised (`lock`); the code prepared for an executor, dims,
/// scalar values and trace switch is kept (`prepared`, the most recent few) and reused by later runs.
final class KernelObject: @unchecked Sendable {
    let embedded: EmbeddedKernel?
    let status: kiln_status
    let diagnostics: OpaquePointer
    let name: UnsafePointer<CChar>
    let dims: [kiln_dim]
    let params: [kiln_value_info]
    let results: [kiln_value_info]
    let lock = NSLock()
    var prepared = PreparedCache()
    /// `Driver.bindsScalarParameters` by backend name, asked once per kernel (it builds the registries).
    var bindsScalars: [String: Bool] = [:]
    private let arena: CArena

    /// What a compile call came to: a compilation (which may have failed), or a usage or I/O problem found
    /// before anything was compiled.
    enum Outcome {
        case compiled(EmbeddedKernel)
        case refused(kiln_status, Diagnostic)
    }

    init(_ outcome: Outcome) {
        let arena = CArena()
        self.arena = arena
        let embedded: EmbeddedKernel?
        switch outcome {
        case .compiled(let compiled):
            embedded = compiled
            let misuse = compiled.diagnostics.diagnostics.contains { $0.id == DiagnosticCatalogue.apiMisuse("", "").id }
            status = !compiled.hasErrors ? KILN_OK : misuse ? KILN_ERROR_USAGE : KILN_ERROR_COMPILE
            diagnostics = HandleTable.shared.insert(DiagnosticsObject(compiled.diagnostics.sorted(), source: compiled.frontEnd.source))
        case .refused(let status, let diagnostic):
            embedded = nil
            self.status = status
            diagnostics = HandleTable.shared.insert(DiagnosticsObject([diagnostic], source: nil))
        }
        self.embedded = embedded
        let kernel = embedded?.kernel
        let known = embedded?.knownDims ?? [:]
        name = arena.string(kernel?.name ?? "")
        dims = (kernel?.dims ?? []).map { kiln_dim(name: arena.string($0.name), size: Int64(known[$0.name] ?? -1)) }
        params = (kernel?.params ?? []).map { param in
            Self.info(name: param.name, type: param.type, known: known, defaultValue: param.defaultValue, arena: arena)
        }
        results = (kernel?.results ?? []).map { result in
            Self.info(name: result.name, type: result.type, known: known, defaultValue: nil, arena: arena)
        }
    }

    deinit { HandleTable.shared.remove(diagnostics) }

    private static func info(name: String, type: ValueType, known: [String: Int], defaultValue: ScalarValue?,
                             arena: CArena) -> kiln_value_info {
        var info = kiln_value_info()
        info.name = arena.string(name)
        info.dtype = kilnDType(type.dtype)
        info.rank = Int32(type.rank)
        info.dims = arena.array(type.shape.map { Optional(arena.string($0.description)) })
        info.shape = arena.array(type.shape.map { Int64($0.evaluate(known) ?? -1) })
        if let defaultValue {
            info.has_default = 1
            info.default_value = InputBinding.value(of: defaultValue)
        }
        return info
    }
}

/// The kiln_dtype of a Kiln dtype.
func kilnDType(_ type: ElementType) -> kiln_dtype {
    switch type {
    case .f32: KILN_F32
    case .bf16: KILN_BF16
    case .f16: KILN_F16
    case .f8e4m3: KILN_F8E4M3
    case .f8e4m3fn: KILN_F8E4M3FN
    case .f4e2m1fn: KILN_F4E2M1FN
    case .f8e5m2: KILN_F8E5M2
    case .i32: KILN_I32
    case .bool: KILN_BOOL
    }
}

/// What `kiln_compile_options` asks for, read and checked.
struct CompileRequest {
    var target = "trn1"
    var passes: String?
    var kernel: String?
    var dims: [String: Int] = [:]
    var dtypes: [String: DType] = [:]

    /// The options, or the problem with them.
    static func read(_ options: UnsafePointer<kiln_compile_options>?, function: String) -> Result<CompileRequest, Problem> {
        var request = CompileRequest()
        guard let options = options?.pointee else { return .success(request) }
        if let target = options.target { request.target = String(cString: target) }
        request.passes = options.passes.map { String(cString: $0) }
        request.kernel = options.kernel.map { String(cString: $0) }
        guard options.dim_count == 0 || options.dims != nil else {
            return .failure(Problem(function, "options.dims is NULL but options.dim_count is \(options.dim_count)"))
        }
        for index in 0..<options.dim_count {
            let dim = options.dims[index]
            guard let name = dim.name else { return .failure(Problem(function, "options.dims[\(index)].name is NULL")) }
            let text = String(cString: name)
            guard request.dims.updateValue(Int(clamping: dim.size), forKey: text) == nil else {
                return .failure(Problem(function, "dim '\(text)' is given more than once"))
            }
        }
        guard options.dtype_count == 0 || options.dtypes != nil else {
            return .failure(Problem(function, "options.dtypes is NULL but options.dtype_count is \(options.dtype_count)"))
        }
        for index in 0..<options.dtype_count {
            let binding = options.dtypes[index]
            guard let name = binding.name, let dtypeName = binding.dtype else {
                return .failure(Problem(function, "options.dtypes[\(index)] has a NULL name or dtype"))
            }
            let text = String(cString: name)
            guard let dtype = DType(name: String(cString: dtypeName)) else {
                return .failure(Problem(function, "dtype parameter '\(text)': unknown dtype '\(String(cString: dtypeName))'; expected one of \(DType.allNames)"))
            }
            guard request.dtypes.updateValue(dtype, forKey: text) == nil else {
                return .failure(Problem(function, "dtype parameter '\(text)' is given more than once"))
            }
        }
        return .success(request)
    }
}

/// A usage problem found before any work: where it was found and what it is.
struct Problem: Error {
    var diagnostic: Diagnostic
    init(_ function: String, _ problem: String) { diagnostic = DiagnosticCatalogue.apiMisuse(function, problem) }
}

/// Compiles the source `load` reads (or reports why it cannot be read) and makes its handle.
private func compileHandle(_ load: () -> Result<SourceFile, DriverError>, options: UnsafePointer<kiln_compile_options>?,
                           function: String) -> OpaquePointer {
    _ = LibraryLocation.configured
    let object: KernelObject
    switch CompileRequest.read(options, function: function) {
    case .failure(let problem):
        object = KernelObject(.refused(KILN_ERROR_USAGE, problem.diagnostic))
    case .success(let request):
        switch load() {
        case .failure(.cannotRead(let path, let reason)):
            object = KernelObject(.refused(KILN_ERROR_IO, DiagnosticCatalogue.cannotRead(path, reason)))
        case .success(let source):
            let pipeline = PipelineOptions(target: request.target, passes: request.passes)
            object = KernelObject(.compiled(Driver.embed(source, kernel: request.kernel, dims: request.dims, pipeline: pipeline,
                                                                   dtypes: request.dtypes)))
        }
    }
    let text = String(cString: kilnDiagnosticsText(object.diagnostics) ?? kilnLastError())
    if object.status == KILN_OK { LastError.clear() } else { LastError.set("\(function): \(text)") }
    return HandleTable.shared.insert(object)
}

@_cdecl("kiln_compile_file")
public func kilnCompileFile(_ path: UnsafePointer<CChar>?, _ options: UnsafePointer<kiln_compile_options>?) -> OpaquePointer {
    guard let path else {
        return HandleTable.shared.insert(KernelObject(.refused(KILN_ERROR_USAGE, Problem("kiln_compile_file", "path is NULL").diagnostic)))
    }
    let text = String(cString: path)
    return compileHandle({ Result { () throws(DriverError) in try Driver.loadSource(path: text) } }, options: options,
                         function: "kiln_compile_file")
}

@_cdecl("kiln_compile_source")
public func kilnCompileSource(_ source: UnsafePointer<CChar>?, _ path: UnsafePointer<CChar>?,
                              _ options: UnsafePointer<kiln_compile_options>?) -> OpaquePointer {
    guard let source else {
        return HandleTable.shared.insert(KernelObject(.refused(KILN_ERROR_USAGE, Problem("kiln_compile_source", "source is NULL").diagnostic)))
    }
    let bytes = Array(UnsafeRawBufferPointer(start: source, count: strlen(source)))
    let name = path.map { String(cString: $0) } ?? "<source>"
    return compileHandle({ .success(SourceFile(path: name, bytes: bytes)) }, options: options, function: "kiln_compile_source")
}

@_cdecl("kiln_kernel_status")
public func kilnKernelStatus(_ handle: OpaquePointer?) -> kiln_status {
    HandleTable.shared.lookup(handle, as: KernelObject.self, in: "kiln_kernel_status")?.status ?? KILN_ERROR_USAGE
}

@_cdecl("kiln_kernel_diagnostics")
public func kilnKernelDiagnostics(_ handle: OpaquePointer?) -> OpaquePointer? {
    HandleTable.shared.lookup(handle, as: KernelObject.self, in: "kiln_kernel_diagnostics")?.diagnostics
}

@_cdecl("kiln_kernel_free")
public func kilnKernelFree(_ handle: OpaquePointer?) {
    guard handle != nil, HandleTable.shared.lookup(handle, as: KernelObject.self, in: "kiln_kernel_free") != nil else { return }
    HandleTable.shared.remove(handle)
}

@_cdecl("kiln_kernel_name")
public func kilnKernelName(_ handle: OpaquePointer?) -> UnsafePointer<CChar>? {
    HandleTable.shared.lookup(handle, as: KernelObject.self, in: "kiln_kernel_name")?.name
}

@_cdecl("kiln_kernel_dim_count")
public func kilnKernelDimCount(_ handle: OpaquePointer?) -> Int {
    HandleTable.shared.lookup(handle, as: KernelObject.self, in: "kiln_kernel_dim_count")?.dims.count ?? 0
}

@_cdecl("kiln_kernel_dim")
public func kilnKernelDim(_ handle: OpaquePointer?, _ index: Int, _ out: UnsafeMutablePointer<kiln_dim>?) -> kiln_status {
    entry(of: handle, \.dims, index, out, function: "kiln_kernel_dim")
}

@_cdecl("kiln_kernel_param_count")
public func kilnKernelParamCount(_ handle: OpaquePointer?) -> Int {
    HandleTable.shared.lookup(handle, as: KernelObject.self, in: "kiln_kernel_param_count")?.params.count ?? 0
}

@_cdecl("kiln_kernel_param")
public func kilnKernelParam(_ handle: OpaquePointer?, _ index: Int, _ out: UnsafeMutablePointer<kiln_value_info>?) -> kiln_status {
    entry(of: handle, \.params, index, out, function: "kiln_kernel_param")
}

@_cdecl("kiln_kernel_result_count")
public func kilnKernelResultCount(_ handle: OpaquePointer?) -> Int {
    HandleTable.shared.lookup(handle, as: KernelObject.self, in: "kiln_kernel_result_count")?.results.count ?? 0
}

@_cdecl("kiln_kernel_result")
public func kilnKernelResult(_ handle: OpaquePointer?, _ index: Int, _ out: UnsafeMutablePointer<kiln_value_info>?) -> kiln_status {
    entry(of: handle, \.results, index, out, function: "kiln_kernel_result")
}

/// Copies entry `index` of one of a kernel's lists into `out`.
private func entry<T>(of handle: OpaquePointer?, _ list: KeyPath<KernelObject, [T]>, _ index: Int,
                      _ out: UnsafeMutablePointer<T>?, function: String) -> kiln_status {
    guard let object = HandleTable.shared.lookup(handle, as: KernelObject.self, in: function) else { return KILN_ERROR_USAGE }
    guard let out else { return usageError(function, "out is NULL") }
    let entries = object[keyPath: list]
    guard index >= 0, index < entries.count else { return usageError(function, "index \(index) is out of range (\(entries.count))") }
    out.pointee = entries[index]
    LastError.clear()
    return KILN_OK
}
