// PluginLibrary.swift: opening a Kiln shared library: dlopen, its C entry point, the descriptor and its version checks.

import KilnPluginAPI
import KilnSource

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a library could not be opened as a Kiln plugin or backend library.
enum PluginLibraryFailure: Error {
    /// The dynamic loader rejected the file (missing, not a shared library, a library it needs is missing).
    case notALibrary(loaderMessage: String)
    case noEntryPoint(symbol: String)
    case noDescriptor(symbol: String)
    case apiVersionMismatch(plugin: UInt64)
    case compilerMismatch(plugin: String)

    /// The reason as one clause, for diagnostics that wrap it (the backend libraries').
    var reason: String {
        switch self {
        case .notALibrary(let message): "the dynamic loader rejected it: \(message)"
        case .noEntryPoint(let symbol): "it does not export the C function '\(symbol)'"
        case .noDescriptor(let symbol): "its entry point '\(symbol)' returned no descriptor"
        case .apiVersionMismatch(let plugin):
            "it was built for Kiln plugin API version \(plugin), but this kiln provides version \(KilnPlugin.apiVersion)"
        case .compilerMismatch(let plugin):
            "it was built with Swift \(plugin), but this kiln was built with Swift \(KilnPlugin.swiftCompilerVersion)"
        }
    }

    /// The `--load-plugin` diagnostic (K6001-K6005) for the plugin at `path`, located at `span`.
    func pluginDiagnostic(path: String, at span: SourceSpan) -> Diagnostic {
        switch self {
        case .notALibrary(let message): DiagnosticCatalogue.pluginNotALibrary(path, loaderMessage: message, at: span)
        case .noEntryPoint(let symbol): DiagnosticCatalogue.pluginNoEntryPoint(path, symbol: symbol, at: span)
        case .noDescriptor(let symbol): DiagnosticCatalogue.pluginNoDescriptor(path, symbol: symbol, at: span)
        case .apiVersionMismatch(let plugin):
            DiagnosticCatalogue.pluginAPIVersionMismatch(path, plugin: plugin, host: KilnPlugin.apiVersion, at: span)
        case .compilerMismatch(let plugin):
            DiagnosticCatalogue.pluginCompilerMismatch(path, plugin: plugin, host: KilnPlugin.swiftCompilerVersion, at: span)
        }
    }
}

enum PluginLibrary {
    /// Opens the plugin at `path` and reads the descriptor its `symbol` returns (`entry`); its API version
    /// must equal `KilnPlugin.apiVersion` and its Swift compiler version the host's.
    static func open(path: String, entryPoint symbol: String) -> Result<PluginDescriptor, PluginLibraryFailure> {
        let raw: UnsafeRawPointer
        switch entry(path: path, symbol: symbol) {
        case .failure(let failure): return .failure(failure)
        case .success(let pointer): raw = pointer
        }
        switch PluginDescriptor.read(raw, hostVersion: KilnPlugin.apiVersion) {
        case .versionMismatch(let version):
            return .failure(.apiVersionMismatch(plugin: version))
        case .malformed:
            return .failure(.noDescriptor(symbol: symbol))
        case .descriptor(let descriptor):
            guard SwiftCompilerVersion.matches(descriptor.swiftCompilerVersion) else {
                return .failure(.compilerMismatch(plugin: descriptor.swiftCompilerVersion))
            }
            return .success(descriptor)
        }
    }

    /// Opens the library at `path` with `dlopen(RTLD_NOW | RTLD_LOCAL)` (a path without a slash is taken
    /// relative to the current folder, not searched for on the library path), looks up the C function
    /// `symbol` and returns what it returns: the library's descriptor. A rejected library stays mapped
    /// (unloading Swift code is not safe), but nothing of it is registered.
    static func entry(path: String, symbol: String) -> Result<UnsafeRawPointer, PluginLibraryFailure> {
        let openPath = path.contains("/") ? path : "./" + path
        guard let handle = dlopen(openPath, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(.notALibrary(loaderMessage: dlerror().map { String(cString: $0) } ?? "unknown loader error"))
        }
        guard let address = dlsym(handle, symbol) else { return .failure(.noEntryPoint(symbol: symbol)) }
        typealias EntryPoint = @convention(c) () -> UnsafeRawPointer?
        guard let raw = unsafeBitCast(address, to: EntryPoint.self)() else { return .failure(.noDescriptor(symbol: symbol)) }
        return .success(raw)
    }
}
