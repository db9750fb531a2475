// BackendLibraryABI.swift: the C entry point of a backend library, the descriptor it returns, and the checks kiln makes on it.

import KilnISA
import KilnMachine
import KilnNumerics
import KilnSource
import KilnTileIR

/// The backend library ABI. A backend library is a shared library built by this package (product
/// KilnLLVMBackend) exporting one C function,
///
///     const void *kiln_backend_library_entry(void);
///
/// returning a descriptor laid out as this C struct (every field 8 bytes, no padding):
///
///     struct kiln_backend_library_descriptor {
///         uint64_t abi_version;          // BackendLibraryABI.version the library was built with
///         const char *swift_compiler;    // BackendLibraryABI.swiftCompilerVersion of its compiler
///         const char *layout;            // BackendLibraryABI.layoutFingerprint of its build
///         const BackendLibraryInterface *interface;
///     };
///
/// Why Swift values cross, and why the library does not register through KilnPluginAPI as a plugin does:
/// a dynamic library product of this package links its own static copy of every module it uses, and
/// Swift gives public symbols protected visibility on ELF, so the library's copies of KilnPluginAPI's
/// protocols would never bind to kiln's: kiln's `as? ExecutableBackend` would fail on a backend created
/// in the library. So the library uses no KilnPluginAPI type: it hands over closures over plain value
/// types (this module's, the tile IR's, tensors, diagnostics), which its copies and kiln's lay out alike
/// because both are built from the same sources by the same compiler; `layoutFingerprint` checks that,
/// and kiln wraps the closures in a `Backend` of its own.
public enum BackendLibraryABI {
    /// The C symbol kiln looks up.
    public static let entryPointSymbol = "kiln_backend_library_entry"

    /// Bumped on every change to this module's types.
    public static let version: UInt64 = 1

    /// Byte offsets of the descriptor's fields.
    enum Layout {
        static let version = 0, swiftCompiler = 8, layout = 16, interface = 24, size = 32
    }

    /// The Swift compiler that compiled this copy of the module, as `major.minor`.
    public static var swiftCompilerVersion: String { SwiftCompilerVersion.current }

    /// The sizes of the types that cross between kiln and the library, as this copy lays them out, and the
    /// element types and engine ops it knows: a library built from other sources than kiln (another checkout,
    /// an older build) differs here first. An added dtype or op changes no size, but a library without it reads
    /// the new raw values as other cases (a library built before f4e2m1fn and the MX ops crashed in its verifier).
    public static var layoutFingerprint: String {
        [("ElementTypes", ElementType.allCases.count), ("EngineOps", EngineOp.allCases.count),
         ("Module", MemoryLayout<Module>.size), ("Function", MemoryLayout<Function>.size),
         ("MachineTarget", MemoryLayout<MachineTarget>.size), ("Tensor", MemoryLayout<Tensor>.size),
         ("Diagnostic", MemoryLayout<Diagnostic>.size), ("LibraryRequest", MemoryLayout<LibraryRequest>.size),
         ("LibraryArtifact", MemoryLayout<LibraryArtifact>.size), ("LibraryKernel", MemoryLayout<LibraryKernel>.size),
         ("BackendLibraryInterface", MemoryLayout<BackendLibraryInterface>.size)]
            .map { "\($0.0)=\($0.1)" }.joined(separator: ",")
    }

    /// A descriptor for the library's entry point to return: allocated on each call and never freed (kiln
    /// calls the entry point once per process).
    public static func descriptor(_ interface: BackendLibraryInterface) -> UnsafeRawPointer {
        func cString(_ text: String) -> UnsafePointer<CChar> {
            let utf8 = text.utf8CString
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
            for (index, byte) in utf8.enumerated() { buffer[index] = byte }
            return UnsafePointer(buffer)
        }
        let stored = UnsafeMutablePointer<BackendLibraryInterface>.allocate(capacity: 1)
        stored.initialize(to: interface)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: Layout.size, alignment: 8)
        raw.storeBytes(of: version, toByteOffset: Layout.version, as: UInt64.self)
        raw.storeBytes(of: cString(swiftCompilerVersion), toByteOffset: Layout.swiftCompiler, as: UnsafePointer<CChar>.self)
        raw.storeBytes(of: cString(layoutFingerprint), toByteOffset: Layout.layout, as: UnsafePointer<CChar>.self)
        raw.storeBytes(of: UnsafePointer(stored), toByteOffset: Layout.interface, as: UnsafePointer<BackendLibraryInterface>.self)
        return UnsafeRawPointer(raw)
    }

    /// Reads the descriptor at `raw` against this copy's version, compiler and layout, in that order,
    /// reading nothing past a field that differs; the interface is read only when all three agree.
    public static func read(_ raw: UnsafeRawPointer) -> Result<BackendLibraryInterface, BackendLibraryMismatch> {
        let libraryVersion = raw.load(fromByteOffset: Layout.version, as: UInt64.self)
        guard libraryVersion == version else { return .failure(.version(library: libraryVersion)) }
        guard let compiler = raw.load(fromByteOffset: Layout.swiftCompiler, as: UnsafePointer<CChar>?.self),
              let layout = raw.load(fromByteOffset: Layout.layout, as: UnsafePointer<CChar>?.self),
              let interface = raw.load(fromByteOffset: Layout.interface, as: UnsafePointer<BackendLibraryInterface>?.self)
        else { return .failure(.malformed) }
        guard SwiftCompilerVersion.matches(String(cString: compiler)) else { return .failure(.compiler(library: String(cString: compiler))) }
        guard String(cString: layout) == layoutFingerprint else { return .failure(.layout(library: String(cString: layout))) }
        return .success(interface.pointee)
    }
}

/// Why kiln refused a backend library's descriptor.
public enum BackendLibraryMismatch: Error, Equatable {
    case version(library: UInt64)
    case compiler(library: String)
    case layout(library: String)
    case malformed

    /// The reason as one clause, for the K6011 diagnostic.
    public var reason: String {
        switch self {
        case .version(let library):
            "it was built for backend library ABI version \(library), but this kiln provides version \(BackendLibraryABI.version)"
        case .compiler(let library):
            "it was built with Swift \(library), but this kiln was built with Swift \(BackendLibraryABI.swiftCompilerVersion)"
        case .layout(let library):
            "it was built from other sources than this kiln (type layout \(library), here \(BackendLibraryABI.layoutFingerprint))"
        case .malformed:
            "its descriptor has a null field"
        }
    }
}
