// BackendIndependenceTests.swift: the driver reaches the sim and llvm backends only through the backend registry.

import Foundation
import KilnDriver
import Testing

@Suite struct BackendIndependenceTests {
    /// The modules that implement the built-in backends; only KilnBuiltinBackends may depend on them.
    static let backendModules = ["KilnSimBackend", "KilnSim", "KilnLLVM"]

    /// The `dependencies: [...]` list of the target `name` in Package.swift, as the quoted names in it.
    static func dependencies(ofTarget name: String) throws -> [String] {
        try #require(dependencyList(ofTarget: name, in: try manifest()), "no target \(name) with dependencies")
    }

    static func manifest() throws -> String {
        try String(contentsOf: Repository.root.appendingPathComponent("Package.swift"), encoding: .utf8)
    }

    /// The quoted names in the `dependencies: [...]` list of the target `name`; nil when it has none.
    static func dependencyList(ofTarget name: String, in manifest: String) -> [String]? {
        guard let opening = manifest.range(of: "(name: \"\(name)\", dependencies: ["),
              let closing = manifest[opening.upperBound...].range(of: "]") else { return nil }
        // Every other piece between quotes is a name; a list opening with `"` starts with an empty piece.
        return manifest[opening.upperBound..<closing.lowerBound].split(separator: "\"", omittingEmptySubsequences: false)
            .enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    @Test func driverTargetDoesNotDependOnBackendModules() throws {
        let driver = try Self.dependencies(ofTarget: "KilnDriver")
        #expect(driver.contains("KilnBuiltinBackends"))
        for module in Self.backendModules {
            #expect(!driver.contains(module), "KilnDriver depends on \(module)")
        }
        let builtins = try Self.dependencies(ofTarget: "KilnBuiltinBackends")
        #expect(builtins.contains("KilnSimBackend") && builtins.contains("KilnSim") && !builtins.contains("KilnLLVM"))
    }

    /// Every target of this package `name` depends on, directly or not (other packages' products excluded).
    static func closure(ofTarget name: String) throws -> Set<String> {
        let manifest = try manifest()
        var seen: Set<String> = [name]
        var pending = [name]
        while let target = pending.popLast() {
            // System libraries (CLLVM) and targets without dependencies have no list: they end the walk.
            for dependency in dependencyList(ofTarget: target, in: manifest) ?? [] where !seen.contains(dependency) {
                seen.insert(dependency)
                pending.append(dependency)
            }
        }
        return seen
    }

    /// `kiln` does not link the llvm backend (so it starts without loading libLLVM): nothing the `kiln`
    /// executable target depends on reaches KilnLLVM or CLLVM; only the backend library's target does, and
    /// it uses no KilnPluginAPI type (BackendLibraryABI says why).
    @Test func kilnExecutableDoesNotLinkLLVM() throws {
        let kiln = try Self.closure(ofTarget: "KilnCLI")
        #expect(kiln.contains("KilnDriver") && kiln.contains("KilnBuiltinBackends"))
        #expect(!kiln.contains("KilnLLVM") && !kiln.contains("CLLVM") && !kiln.contains("KilnLLVMBackend"))
        let library = try Self.closure(ofTarget: "KilnLLVMBackend")
        #expect(library.contains("KilnLLVM") && library.contains("CLLVM"))
        #expect(!library.contains("KilnPluginAPI"))
    }

    /// No driver source imports a backend module or names one of the backends' entry types.
    @Test func driverSourcesNameNoBackendType() throws {
        let directory = Repository.root.appendingPathComponent("Sources/KilnDriver")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".swift") }
        #expect(files.count >= 10)
        let forbidden = Self.backendModules.map { "import \($0)\n" }
            + ["SimBackend.", "LLVMBackend.", "Simulator.", "JITKernel", "SimBytecodeBackend", "LLVMIRBackend"]
        for file in files {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            for name in forbidden {
                #expect(!text.contains(name), "\(file) names \(name)")
            }
        }
    }

    /// Both built-in backends are executable through the registry, as a plugin's would be.
    @Test func builtinBackendsAreExecutableByName() {
        #expect(Driver.executableBackendNames() == ["llvm", "sim"])
        #expect(Driver.runBackendNames() == ["ref", "llvm", "sim"])
    }
}
