// SwiftCompilerVersion.swift: the Swift compiler that compiled the calling code, for the ABI checks of loaded libraries.

/// Plugins (`KilnPlugin`) and the llvm backend library (`BackendLibraryABI`) both carry the compiler that
/// built them, and kiln refuses one built by another: Swift has no stable ABI between compiler versions for
/// the non-resilient types they share. Emitted into the client, so in a library it names the library's
/// compiler and in kiln kiln's.
public enum SwiftCompilerVersion {
    /// `major.minor` of the compiler compiling the caller (from `#if compiler(...)`).
    @_alwaysEmitIntoClient
    public static var current: String {
        #if compiler(>=7.0)
        "7.0 or later"
        #elseif compiler(>=6.5)
        "6.5"
        #elseif compiler(>=6.4)
        "6.4"
        #elseif compiler(>=6.3)
        "6.3"
        #elseif compiler(>=6.2)
        "6.2"
        #elseif compiler(>=6.1)
        "6.1"
        #elseif compiler(>=6.0)
        "6.0"
        #else
        "5.x"
        #endif
    }

    /// True if a library built by the compiler named `other` can be loaded by the caller.
    @_alwaysEmitIntoClient
    public static func matches(_ other: String) -> Bool { other == current }
}
