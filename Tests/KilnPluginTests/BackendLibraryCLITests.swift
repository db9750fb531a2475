// BackendLibraryCLITests.swift: `kiln` with a broken llvm backend library: a K6011 error on use, every other command unaffected.

import Foundation
import Testing

@Suite struct BackendLibraryCLITests {
    /// C source of a library exporting the backend library entry point with a descriptor of ABI `version`.
    static func descriptorSource(abiVersion: UInt64) -> String {
        """
        #include <stdint.h>
        #include <stddef.h>
        struct kiln_backend_library_descriptor { uint64_t abi_version; const char *swift_compiler; const char *layout; const void *interface; };
        static const struct kiln_backend_library_descriptor descriptor = { \(abiVersion)u, "0.0", "none", NULL };
        const struct kiln_backend_library_descriptor *kiln_backend_library_entry(void) { return &descriptor; }
        """
    }

    /// A library of another ABI version is refused before anything else of it is read.
    @Test func libraryOfAnotherABIVersionIsRefused() throws {
        let library = try PluginHarness.sharedLibrary(named: "wrongabi", source: Self.descriptorSource(abiVersion: 999))
        let result = try PluginHarness.kiln(["build", "Examples/add.kiln", "--emit", "llvm", "--show-ids"],
                                            environment: ["KILN_LLVM_BACKEND": library])
        #expect(result.status == 1)
        #expect(result.standardError.contains("K6011"), "\(result.standardError)")
        #expect(result.standardError.contains("cannot load the 'llvm' backend from '\(library)'"))
        #expect(result.standardError.contains("backend library ABI version 999"))
    }

    /// A library without the entry point (a plain C library) is refused, naming the symbol.
    @Test func libraryWithoutTheEntryPointIsRefused() throws {
        let library = try PluginHarness.sharedLibrary(named: "noentry", source: "int kiln_unrelated(void) { return 0; }\n")
        let result = try PluginHarness.kiln(["run", "Examples/add.kiln", "--backend", "llvm", "--random", "1"],
                                            environment: ["KILN_LLVM_BACKEND": library])
        #expect(result.status == 1)
        #expect(result.standardError.contains("does not export the C function 'kiln_backend_library_entry'"), "\(result.standardError)")
    }

    /// With no library where it is looked for, only the commands that use the llvm backend fail.
    @Test func missingLibraryFailsOnlyItsUsers() throws {
        let environment = ["KILN_LLVM_BACKEND": "/nonexistent/libKilnLLVMBackend.so"]
        let listed = try PluginHarness.kiln(["backends"], environment: environment)
        #expect(listed.status == 0 && listed.standardOutput.contains("llvm  .ll text     built-in"))
        let tileIR = try PluginHarness.kiln(["build", "Examples/add.kiln", "--emit", "tile-ir"], environment: environment)
        #expect(tileIR.status == 0, "\(tileIR.standardError)")
        let simulated = try PluginHarness.kiln(["run", "Examples/add.kiln", "--backend", "sim", "--random", "1"], environment: environment)
        #expect(simulated.status == 0, "\(simulated.standardError)")
        let verified = try PluginHarness.kiln(["verify", "Examples/add.kiln"], environment: environment)
        #expect(verified.status == 1)
        #expect(verified.standardError.contains("cannot load the 'llvm' backend from '/nonexistent/libKilnLLVMBackend.so'"))
    }
}
