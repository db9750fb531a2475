// BackendLibraryTests.swift: the llvm backend library loads on demand as kiln's own backend; a missing one is a K6011 error.

import Foundation
import KilnBuiltinBackends
import KilnDriver
import KilnPluginAPI
import KilnSource
import Testing

@Suite struct BackendLibraryTests {
    /// Loaded (from the folder of the running test executable, where SwiftPM builds every product), the
    /// llvm backend is a backend of kiln's type, so the driver's casts to the protocols hold.
    @Test func loadedLLVMBackendIsKilnsExecutableMultiArtifactBackend() throws {
        let (_, backends, failure) = Driver.makeRegistries(loading: "llvm")
        #expect(failure == nil, "\(failure?.message ?? "")")
        let entry = try #require(backends.entry(named: "llvm"))
        #expect(entry.origin == .builtIn)
        #expect(entry.backend is LibraryBackend)
        #expect(entry.backend is any ExecutableBackend)
        let multi = try #require(entry.backend as? any MultiArtifactBackend)
        #expect(multi.variants == ["obj"])
        #expect((entry.backend as? any ExecutableBackend)?.bindsScalarParameters == false)
    }

    /// The file the library's main output names is the one its catalogue entry lists without loading it.
    @Test func mainOutputHasTheCataloguedExtension() throws {
        let source = try Repository.source(Repository.root.appendingPathComponent("Examples/add.kiln"))
        let emission = Driver.emit(source, dims: [:], options: PipelineOptions(), backend: "llvm")
        let text = try #require(emission.output.map { String(decoding: $0.bytes, as: UTF8.self) }, "\(emission.renderedDiagnostics())")
        #expect(text.contains("define"))
        #expect(BackendLibrary.llvm.fileExtension == "ll" && BackendLibrary.llvm.outputKind == .text)
    }

    /// A backend library missing from where it is looked for is a K6011 error naming the path and the
    /// dynamic loader's message; the next attempt tries again (nothing is cached).
    @Test func missingLibraryIsK6011NamingThePath() throws {
        let missing = BackendLibrary(name: "missing-backend", summary: "a backend library that was never built",
                                     fileExtension: "txt", outputKind: .text,
                                     product: "KilnNoSuchBackend", environmentVariable: "KILN_NO_SUCH_BACKEND_FOR_TESTS")
        #expect(missing.path.hasSuffix("/libKilnNoSuchBackend.so"))
        let diagnostic = try #require(Driver.loadBackendLibrary(missing))
        #expect(diagnostic.id.code == "K6011")
        #expect(diagnostic.message.contains("cannot load the 'missing-backend' backend from '\(missing.path)'"))
        #expect(diagnostic.message.contains("cannot open shared object file"))
        #expect(Driver.loadBackendLibrary(missing)?.id.code == "K6011")
    }

    /// `$environmentVariable` overrides where the library is looked for.
    @Test func environmentVariableNamesTheLibrary() {
        let variable = "KILN_BACKEND_LIBRARY_PATH_FOR_TESTS"
        let library = BackendLibrary(name: "elsewhere", summary: "", fileExtension: "txt", outputKind: .text,
                                     product: "KilnElsewhere", environmentVariable: variable)
        setenv(variable, "/opt/kiln/libElsewhere.so", 1)
        defer { unsetenv(variable) }
        #expect(library.path == "/opt/kiln/libElsewhere.so")
    }
}
