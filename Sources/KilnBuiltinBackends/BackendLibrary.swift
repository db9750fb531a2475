// BackendLibrary.swift: the catalogue of built-in backends that live in shared libraries of their own, and where each is.

import KilnPluginAPI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A built-in backend built into a shared library of its own, because what it links is expensive to load
/// on every run: `llvm` links libLLVM (and through it libz3, libxml2, ICU, libstdc++), whose loading alone
/// cost about 18 ms of every `kiln` process. `kiln` does not link the library: the driver lists and
/// reserves the backend from this entry and loads the library the first time the backend is used, then
/// registers it as a `LibraryBackend`. Every backend library can run kernels (`ExecutableBackend`).
public struct BackendLibrary: Sendable, Equatable {
    public var name: String
    public var summary: String
    public var fileExtension: String
    public var outputKind: BackendOutputKind
    /// The SwiftPM product that builds the library: `lib<product>.so` (`.dylib` on macOS).
    public var product: String
    /// The environment variable that, when set and not empty, is the library's path.
    public var environmentVariable: String

    public init(name: String, summary: String, fileExtension: String, outputKind: BackendOutputKind,
                product: String, environmentVariable: String) {
        self.name = name
        self.summary = summary
        self.fileExtension = fileExtension
        self.outputKind = outputKind
        self.product = product
        self.environmentVariable = environmentVariable
    }

    /// `llvm`: tile IR to LLVM IR, the ORC JIT and objects (Sources/KilnLLVMBackend, product KilnLLVMBackend).
    public static let llvm = BackendLibrary(
        name: "llvm", summary: "LLVM IR text for the host CPU, optimised with default<O3> (LLVM 19 C API)",
        fileExtension: "ll", outputKind: .text,
        product: "KilnLLVMBackend", environmentVariable: "KILN_LLVM_BACKEND")

    /// Every backend library, by the backend's name.
    public static let catalogue: [BackendLibrary] = [llvm]

    /// The library's file name on this platform.
    public var fileName: String {
        #if os(macOS)
        "lib\(product).dylib"
        #else
        "lib\(product).so"
        #endif
    }

    /// Where the library is: `$environmentVariable` when set and not empty, else `fileName` in the folder
    /// of the running executable (`kiln`, or the test runner under `swift test`: SwiftPM builds every
    /// product of the package into the one folder).
    public var path: String {
        if let override = getenv(environmentVariable), override.pointee != 0 { return String(cString: override) }
        return Self.executableFolder + "/" + fileName
    }

    /// The folder of the running executable, symbolic links resolved (Linux: `/proc/self/exe`); `.` when
    /// the system does not say.
    static var executableFolder: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        #if os(Linux)
        let length = readlink("/proc/self/exe", &buffer, Int(PATH_MAX))
        guard length > 0 else { return "." }
        let path = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        #else
        var size = UInt32(buffer.count)
        guard _NSGetExecutablePath(&buffer, &size) == 0 else { return "." }
        let path = String(cString: buffer)
        #endif
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
