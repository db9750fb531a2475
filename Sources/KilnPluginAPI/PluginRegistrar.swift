// PluginRegistrar.swift: what a plugin's registration callback is handed: the host's registries and its origin.

/// The registries a plugin (or the built-in passes and backends, which register the same way) adds to,
/// and the origin its entries are recorded with. Registration never throws across the C entry point:
/// failures (a name clash, an invalid name) are collected in `failures` and the host reports them.
public final class PluginRegistrar {
    public let passes: PassRegistry
    public let backends: BackendRegistry
    public let origin: PassOrigin
    /// Why registrations failed, in order; empty when everything registered.
    public private(set) var failures: [String] = []

    public init(passes: PassRegistry, backends: BackendRegistry, origin: PassOrigin) {
        self.passes = passes
        self.backends = backends
        self.origin = origin
    }

    /// Registers a pass under this registrar's origin, recording a failure instead of throwing.
    public func register(pass: any Pass) {
        do {
            try passes.register(pass, origin: origin)
        } catch {
            failures.append(error.description)
        }
    }

    /// Registers a backend under this registrar's origin, recording a failure instead of throwing.
    public func register(backend: any Backend) {
        do {
            try backends.register(backend, origin: origin)
        } catch {
            failures.append(error.description)
        }
    }

    /// Runs a registration callback (a plugin's, or a built-in one of the same shape) against this registrar.
    public func run(_ register: KilnPlugin.RegisterFunction) {
        register(Unmanaged.passUnretained(self).toOpaque())
    }

    /// The registrar behind the opaque pointer a registration callback receives.
    public static func fromOpaque(_ raw: UnsafeMutableRawPointer) -> PluginRegistrar {
        Unmanaged<PluginRegistrar>.fromOpaque(raw).takeUnretainedValue()
    }
}
