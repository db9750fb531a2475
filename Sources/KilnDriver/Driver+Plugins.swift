// Driver+Plugins.swift: loading plugins (dlopen, entry point, version checks) and the registries every compile uses.

import KilnBuiltinBackends
import KilnPasses
import KilnPluginAPI
import KilnSource

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One registration callback and the origin its passes and backends are recorded with.
struct PluginRegistration {
    var origin: PassOrigin
    var register: KilnPlugin.RegisterFunction
}

/// The registration callbacks of this process: the built-in passes and backends first, then every plugin
/// loaded successfully, in load order. Registries are rebuilt from it on demand (`Driver.makeRegistries`),
/// so every compile sees the same set. Guarded by a lock: the CLI loads plugins before it compiles, but
/// embedders may compile on several threads.
final class PluginSession: @unchecked Sendable {
    static let shared = PluginSession()

    private let lock: UnsafeMutablePointer<pthread_mutex_t> = .allocate(capacity: 1)
    private var registrations: [PluginRegistration] = [
        PluginRegistration(origin: .builtIn, register: BuiltinPasses.registerFunction),
        PluginRegistration(origin: .builtIn, register: BuiltinBackends.registerFunction),
    ]

    private init() { pthread_mutex_init(lock, nil) }

    var current: [PluginRegistration] {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return registrations
    }

    func append(_ registration: PluginRegistration) {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        registrations.append(registration)
    }
}

extension Driver {
    /// Fresh pass and backend registries holding the built-ins and every plugin loaded so far, each
    /// registered through its registration callback (built-ins through the same entry shape as plugins).
    public static func makeRegistries() -> (passes: PassRegistry, backends: BackendRegistry) {
        let passes = PassRegistry()
        let backends = BackendRegistry()
        for registration in PluginSession.shared.current {
            // Every callback here registered without a failure into the same set of entries once already
            // (built-in names are checked by a test; plugins are admitted only after a clean trial run).
            PluginRegistrar(passes: passes, backends: backends, origin: registration.origin).run(registration.register)
        }
        return (passes, backends)
    }

    /// The backends every `--emit NAME` and `kiln backends` sees.
    public static func makeBackendRegistry() -> BackendRegistry {
        makeRegistries().backends
    }

    /// `kiln backends`: each registered backend with its output, origin and summary.
    public static func backendListing(registry: BackendRegistry = makeBackendRegistry()) -> String {
        registry.listing()
    }

    /// The paths of the plugins loaded into this process, in load order.
    public static var loadedPluginPaths: [String] {
        PluginSession.shared.current.compactMap { registration in
            if case .plugin(let path) = registration.origin { return path }
            return nil
        }
    }

    /// Loads the plugin at `path` (`--load-plugin PATH`) and registers its passes and backends for every
    /// later compile. Steps: the file must exist; `dlopen(RTLD_NOW | RTLD_LOCAL)`; `dlsym` of
    /// `kiln_plugin_entry`; the descriptor's API version must equal `KilnPlugin.apiVersion` and its Swift
    /// compiler version the host's; then a trial registration into registries holding everything already
    /// registered, which must not fail (a name clash). Returns the error, located at `span` (the flag on
    /// the command line), or nil when the plugin is loaded. A rejected library stays mapped (unloading
    /// Swift code is not safe) but nothing of it is registered.
    public static func loadPlugin(path: String, at span: SourceSpan = .unknown) -> Diagnostic? {
        var status = stat()
        guard stat(path, &status) == 0 else { return DiagnosticCatalogue.pluginNotFound(path, at: span) }
        // Without a slash dlopen searches the library path instead of opening the file named.
        let openPath = path.contains("/") ? path : "./" + path
        guard let handle = dlopen(openPath, RTLD_NOW | RTLD_LOCAL) else {
            let message = dlerror().map { String(cString: $0) } ?? "unknown loader error"
            return DiagnosticCatalogue.pluginNotALibrary(path, loaderMessage: message, at: span)
        }
        guard let symbol = dlsym(handle, KilnPlugin.entryPointSymbol) else {
            return DiagnosticCatalogue.pluginNoEntryPoint(path, symbol: KilnPlugin.entryPointSymbol, at: span)
        }
        typealias EntryPoint = @convention(c) () -> UnsafeRawPointer?
        let entry = unsafeBitCast(symbol, to: EntryPoint.self)
        guard let raw = entry() else {
            return DiagnosticCatalogue.pluginNoDescriptor(path, symbol: KilnPlugin.entryPointSymbol, at: span)
        }
        let descriptor: PluginDescriptor
        switch PluginDescriptor.read(raw, hostVersion: KilnPlugin.apiVersion) {
        case .versionMismatch(let version):
            return DiagnosticCatalogue.pluginAPIVersionMismatch(path, plugin: version, host: KilnPlugin.apiVersion, at: span)
        case .malformed:
            return DiagnosticCatalogue.pluginNoDescriptor(path, symbol: KilnPlugin.entryPointSymbol, at: span)
        case .descriptor(let read):
            descriptor = read
        }
        guard descriptor.swiftCompilerVersion == KilnPlugin.swiftCompilerVersion else {
            return DiagnosticCatalogue.pluginCompilerMismatch(path, plugin: descriptor.swiftCompilerVersion,
                                                             host: KilnPlugin.swiftCompilerVersion, at: span)
        }
        let (passes, backends) = makeRegistries()
        let registrar = PluginRegistrar(passes: passes, backends: backends, origin: .plugin(path: path))
        registrar.run(descriptor.register)
        if !registrar.failures.isEmpty {
            return DiagnosticCatalogue.pluginRegistrationFailed(path, registrar.failures.joined(separator: "; "), at: span)
        }
        PluginSession.shared.append(PluginRegistration(origin: .plugin(path: path), register: descriptor.register))
        return nil
    }
}
