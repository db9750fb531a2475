// PluginDescriptor.swift: the versioned C entry point every plugin exports, and the descriptor it returns.

import KilnSource

/// The plugin ABI. A plugin is a shared library exporting one C function,
///
///     const struct kiln_plugin_descriptor *kiln_plugin_entry(void);
///
/// returning a descriptor laid out as this C struct (every field 8 bytes, no padding):
///
///     struct kiln_plugin_descriptor {
///         uint64_t api_version;          // KilnPlugin.apiVersion the plugin was built against
///         const char *swift_compiler;    // KilnPlugin.swiftCompilerVersion of the plugin's compiler
///         const char *name;              // the plugin's name, for listings
///         void (*register_plugin)(void *registrar);  // called once with an opaque PluginRegistrar
///     };
///
/// The host reads `api_version` first and nothing else when it differs, so later versions may change the
/// rest of the layout. Swift plugins build the descriptor with `KilnPlugin.descriptor(name:register:)`.
public enum KilnPlugin {
    /// The C symbol the host looks up.
    public static let entryPointSymbol = "kiln_plugin_entry"

    /// The plugin API version: bumped on every change to any public declaration of KilnPluginAPI or of
    /// the IR types a plugin sees (KilnTileIR, KilnMachine, KilnSource). Emitted into the client, so a
    /// plugin's descriptor carries the number it was compiled with, not the host's.
    @_alwaysEmitIntoClient
    public static var apiVersion: UInt64 { 6 }

    /// The Swift compiler that compiled the calling code, as `major.minor` (from `#if compiler(...)`).
    /// Emitted into the client: in a plugin it names the plugin's compiler, in the host the host's.
    @_alwaysEmitIntoClient
    public static var swiftCompilerVersion: String { SwiftCompilerVersion.current }

    /// The registration callback: receives an opaque `PluginRegistrar` (see `PluginRegistrar.fromOpaque`).
    public typealias RegisterFunction = @convention(c) (UnsafeMutableRawPointer) -> Void

    /// Byte offsets of the descriptor's fields.
    public enum DescriptorLayout {
        public static let apiVersion = 0
        public static let swiftCompiler = 8
        public static let name = 16
        public static let register = 24
        public static let size = 32
    }

    /// A descriptor for a plugin's entry point to return: allocated once per call and never freed (the
    /// host calls the entry point once per load). Emitted into the client so the version fields are the
    /// plugin's own.
    @_alwaysEmitIntoClient
    public static func descriptor(name: String, register: RegisterFunction) -> UnsafeRawPointer {
        func cString(_ text: String) -> UnsafeMutablePointer<CChar> {
            let utf8 = text.utf8CString
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
            for (index, byte) in utf8.enumerated() { buffer[index] = byte }
            return buffer
        }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 32, alignment: 8)
        raw.storeBytes(of: apiVersion, toByteOffset: 0, as: UInt64.self)
        raw.storeBytes(of: UnsafePointer(cString(swiftCompilerVersion)), toByteOffset: 8, as: UnsafePointer<CChar>.self)
        raw.storeBytes(of: UnsafePointer(cString(name)), toByteOffset: 16, as: UnsafePointer<CChar>.self)
        raw.storeBytes(of: register, toByteOffset: 24, as: RegisterFunction.self)
        return UnsafeRawPointer(raw)
    }
}

/// A descriptor as the host reads it.
public struct PluginDescriptor: Sendable {
    public var apiVersion: UInt64
    public var swiftCompilerVersion: String
    public var name: String
    public var register: KilnPlugin.RegisterFunction

    /// Reads the descriptor at `raw`: `.versionMismatch` (reading only the version) when its API version is
    /// not `hostVersion`; nil fields (a null string or callback) make it `.malformed`.
    public static func read(_ raw: UnsafeRawPointer, hostVersion: UInt64) -> PluginDescriptorRead {
        let version = raw.load(fromByteOffset: KilnPlugin.DescriptorLayout.apiVersion, as: UInt64.self)
        guard version == hostVersion else { return .versionMismatch(version) }
        guard let compiler = raw.load(fromByteOffset: KilnPlugin.DescriptorLayout.swiftCompiler, as: UnsafePointer<CChar>?.self),
              let name = raw.load(fromByteOffset: KilnPlugin.DescriptorLayout.name, as: UnsafePointer<CChar>?.self),
              let register = raw.load(fromByteOffset: KilnPlugin.DescriptorLayout.register,
                                      as: Optional<KilnPlugin.RegisterFunction>.self) else { return .malformed }
        return .descriptor(PluginDescriptor(apiVersion: version, swiftCompilerVersion: String(cString: compiler),
                                            name: String(cString: name), register: register))
    }
}

/// What reading a descriptor found.
public enum PluginDescriptorRead: Sendable {
    case descriptor(PluginDescriptor)
    case versionMismatch(UInt64)
    case malformed
}
