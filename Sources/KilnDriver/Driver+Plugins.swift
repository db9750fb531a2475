// Driver+Plugins.swift: loading plugins (`--load-plugin`) and the registries every compile uses.

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
/// loaded successfully, in load order; and the backend libraries loaded so far. Registries are rebuilt
/// from it when it changes (`Driver.makeRegistries`), so every compile sees the same set. Guarded by a lock: the CLI loads plugins before it compiles, but
/// embedders may compile on several threads.
final class PluginSession: @unchecked Sendable {
    static let shared = PluginSession()

    private let lock: UnsafeMutablePointer<pthread_mutex_t> = .allocate(capacity: 1)
    private var registrations: [PluginRegistration] = [
        PluginRegistration(origin: .builtIn, register: BuiltinPasses.registerFunction),
        PluginRegistration(origin: .builtIn, register: BuiltinBackends.registerFunction),
    ]

    /// Serialises backend library loads (`loadOnce`).
    private let libraryLock: UnsafeMutablePointer<pthread_mutex_t> = .allocate(capacity: 1)
    /// The backend libraries loaded so far, by backend name, as the backends kiln registers for them.
    private var loadedLibraries: [String: LibraryBackend] = [:]
    /// Bumped by every registration and library load: registries built at another generation are stale.
    private(set) var generation = 0
    /// The registries built for `generation`, shared by every compile until a plugin or library loads.
    private var built: (generation: Int, passes: PassRegistry, backends: BackendRegistry)?

    private init() {
        pthread_mutex_init(lock, nil)
        pthread_mutex_init(libraryLock, nil)
    }

    /// The backend of the library `name`: the one loaded already, else what `load` returns, one load at a
    /// time. A failed load is tried again on the next call, so an embedder can fix the path and retry.
    func loadOnce(_ name: String, _ load: () -> Result<LibraryBackend, BackendFailure>) -> Result<LibraryBackend, BackendFailure> {
        pthread_mutex_lock(libraryLock)
        defer { pthread_mutex_unlock(libraryLock) }
        if let loaded = library(named: name) { return .success(loaded) }
        let result = load()
        if case .success(let backend) = result {
            pthread_mutex_lock(lock)
            loadedLibraries[name] = backend
            generation += 1
            pthread_mutex_unlock(lock)
        }
        return result
    }

    /// The loaded backend library of the backend `name`, if it is loaded.
    func library(named name: String) -> LibraryBackend? {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return loadedLibraries[name]
    }

    var current: [PluginRegistration] {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return registrations
    }

    func append(_ registration: PluginRegistration) {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        registrations.append(registration)
        generation += 1
    }

    /// The registries of the current generation: built once by `make` and then shared (they are only read
    /// after they are built), rebuilt after a plugin or a backend library loads.
    func registries(_ make: () -> (PassRegistry, BackendRegistry)) -> (passes: PassRegistry, backends: BackendRegistry) {
        pthread_mutex_lock(lock)
        if let built, built.generation == generation {
            pthread_mutex_unlock(lock)
            return (built.passes, built.backends)
        }
        let wanted = generation
        pthread_mutex_unlock(lock)
        let (passes, backends) = make()
        pthread_mutex_lock(lock)
        if wanted == generation { built = (wanted, passes, backends) }
        pthread_mutex_unlock(lock)
        return (passes, backends)
    }
}

extension Driver {
    /// The pass and backend registries holding the built-ins and every plugin loaded so far, each
    /// registered through its registration callback (built-ins through the same entry shape as plugins),
    /// then each backend library of the catalogue (`BackendLibrary.catalogue`): its `LibraryBackend` once
    /// loaded, until then its `CataloguedBackend`. Built once per process and shared, until a plugin or a
    /// backend library loads (`PluginSession.registries`).
    public static func makeRegistries() -> (passes: PassRegistry, backends: BackendRegistry) {
        PluginSession.shared.registries(freshRegistries)
    }

    /// New registries holding what `makeRegistries` shares, for a caller that adds to them (a plugin's trial).
    static func freshRegistries() -> (PassRegistry, BackendRegistry) {
        let (passes, backends) = makeRegistries(from: PluginSession.shared.current)
        let registrar = PluginRegistrar(passes: passes, backends: backends, origin: .builtIn)
        for library in BackendLibrary.catalogue {
            // Never a clash: plugins are admitted only after a trial against registries holding these names.
            registrar.register(backend: PluginSession.shared.library(named: library.name) ?? CataloguedBackend(library: library))
        }
        return (passes, backends)
    }

    /// Registries holding what `registrations` register, and nothing else.
    static func makeRegistries(from registrations: [PluginRegistration]) -> (passes: PassRegistry, backends: BackendRegistry) {
        let passes = PassRegistry()
        let backends = BackendRegistry()
        for registration in registrations {
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
    /// later compile. Steps: the file must exist; `PluginLibrary.open` (dlopen, `kiln_plugin_entry`, the
    /// descriptor's API and Swift compiler versions); then a trial registration into registries holding
    /// everything already registered (the backend libraries' names included, loaded or not), which must not
    /// fail (a name clash). Returns the error, located at `span` (the flag on the command line), or nil
    /// when the plugin is loaded.
    public static func loadPlugin(path: String, at span: SourceSpan = .unknown) -> Diagnostic? {
        var status = stat()
        guard stat(path, &status) == 0 else { return DiagnosticCatalogue.pluginNotFound(path, at: span) }
        let descriptor: PluginDescriptor
        switch PluginLibrary.open(path: path, entryPoint: KilnPlugin.entryPointSymbol) {
        case .failure(let failure): return failure.pluginDiagnostic(path: path, at: span)
        case .success(let opened): descriptor = opened
        }
        let (passes, backends) = freshRegistries()  // the shared ones are never added to
        let registrar = PluginRegistrar(passes: passes, backends: backends, origin: .plugin(path: path))
        registrar.run(descriptor.register)
        if !registrar.failures.isEmpty {
            return DiagnosticCatalogue.pluginRegistrationFailed(path, registrar.failures.joined(separator: "; "), at: span)
        }
        PluginSession.shared.append(PluginRegistration(origin: .plugin(path: path), register: descriptor.register))
        return nil
    }
}
