// LibraryLocation.swift: libKiln finds the llvm backend library in its own folder, as `kiln` finds it in its.

import CKiln
import Foundation
import KilnBuiltinBackends

#if canImport(Glibc)
import Glibc
#endif

/// The driver looks for a backend library (`libKilnLLVMBackend.so`) where its environment variable says, else
/// next to the running executable, which for an embedding program (python3) is the wrong folder. So before
/// the first compile libKiln sets that variable to the library's path in libKiln's own folder, unless the
/// caller set it already. Done once per process, on the first compile (Swift's lazy globals are thread-safe;
/// `setenv` itself is not safe against a concurrent `getenv` on another thread, hence once and early).
enum LibraryLocation {
    static let configured: Bool = {
        for library in BackendLibrary.catalogue {
            if let value = getenv(library.environmentVariable), value.pointee != 0 { continue }
            guard let folder = folder else { continue }
            setenv(library.environmentVariable, folder + "/" + library.fileName, 0)
        }
        return true
    }()

    /// The folder libKiln was loaded from (`dladdr` of one of its functions).
    static var folder: String? {
        guard let name = kiln_internal_library_path() else { return nil }
        let path = URL(fileURLWithPath: String(cString: name)).resolvingSymlinksInPath()
        return path.deletingLastPathComponent().path
    }
}
