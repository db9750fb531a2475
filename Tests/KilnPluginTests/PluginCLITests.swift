// PluginCLITests.swift: the example plugins built, loaded into `kiln`, run in a pipeline and as a backend; every bad-plugin case.

import Foundation
import KilnPluginAPI
import Testing

/// The pipeline `kiln build` runs by default on trn1 (PassPipeline.defaultPipeline), spelled out so a
/// plugin pass can be appended to it.
private let defaultPipeline = "inline,canonicalize,cse,fuse,tile,canonicalize,cse,dce,assign-engines,double-buffer,allocate,schedule"

/// matmul.kiln with M=256, K=256, N=512: tiled into 2 M-tiles x 2 K-tiles of pe.matmul stationary[128 | 128]
/// by moving[128 | 512], 2*128*128*512 FLOPs each, 4 in all.
private let matmulArguments = ["build", "Examples/matmul.kiln", "--dim", "M=256", "--dim", "K=256", "--dim", "N=512"]

@Suite(.serialized, .timeLimit(.minutes(30)))
struct ExamplePluginTests {
    @Test func passesListsThePluginPassBesideTheBuiltIns() throws {
        let plugin = try PluginHarness.flopCount.get()
        let listed = try PluginHarness.kiln(["passes", "--load-plugin", plugin])
        #expect(listed.status == 0, "\(listed.standardError)")
        let lines = listed.standardOutput.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("flop-count ") && $0.contains(plugin) })
        #expect(lines.contains { $0.hasPrefix("cse ") && $0.contains("built-in") })
    }

    @Test func flopCountRunsInAPipelineAndLeavesTheIRUnchanged() throws {
        let plugin = try PluginHarness.flopCount.get()
        let plain = try PluginHarness.kiln(matmulArguments + ["--emit", "tile-ir", "--passes", defaultPipeline])
        let counted = try PluginHarness.kiln(matmulArguments + ["--emit", "tile-ir", "--passes", defaultPipeline + ",flop-count",
                                                                "--load-plugin", plugin, "--show-ids"])
        #expect(plain.status == 0, "\(plain.standardError)")
        #expect(counted.status == 0, "\(counted.standardError)")
        #expect(counted.standardOutput == plain.standardOutput)
        let notes = counted.standardError.split(separator: "\n").filter { $0.contains("note: flop-count: @matmul") }
        #expect(notes.contains { $0.contains("@matmul pe: ") && $0.contains(" \(4 * 2 * 128 * 128 * 512) FLOP") && $0.hasSuffix("[K6050]") })
        #expect(notes.contains { $0.contains("@matmul dma: ") && $0.contains(" 0 FLOP") })
        #expect(notes.contains { $0.contains("@matmul total: ") })
        #expect(notes.allSatisfy { $0.hasPrefix("Examples/matmul.kiln:10:1: note:") })
    }

    @Test func unknownPassWithoutThePluginIsAnError() throws {
        let result = try PluginHarness.kiln(matmulArguments + ["--emit", "tile-ir", "--passes", "flop-count"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("unknown pass 'flop-count'"))
    }

    @Test func dotBackendEmitsTheDependencyGraphOfMatmul() throws {
        let plugin = try PluginHarness.dotGraph.get()
        let listed = try PluginHarness.kiln(["backends", "--load-plugin", plugin])
        #expect(listed.standardOutput.split(separator: "\n").contains { $0.hasPrefix("dot ") && $0.contains(".dot text") && $0.contains(plugin) })
        let graph = try PluginHarness.kiln(matmulArguments + ["--emit", "dot", "--load-plugin", plugin])
        #expect(graph.status == 0, "\(graph.standardError)")
        let text = graph.standardOutput
        #expect(text.hasPrefix("digraph \"matmul\" {\n"))
        #expect(text.hasSuffix("}\n"))
        #expect(text.contains("subgraph cluster_pe {"))
        #expect(text.contains("pe.matmul\\npe  line 11"))
        #expect(text.contains("[style=dashed, label=\"sem "))
        // One node per engine op of the scheduled IR (the same pipeline and dims).
        let ir = try PluginHarness.kiln(matmulArguments + ["--emit", "tile-ir"])
        let engineOps = ir.standardOutput.split(separator: "\n").filter { line in
            let trimmed = line.drop { $0 == " " }
            return ["dma.", "pe.", "act.", "dve.", "pool.", "sync."].contains { trimmed.hasPrefix($0) }
        }
        let nodes = text.split(separator: "\n").filter { $0.hasPrefix("    n") && $0.contains("[label=") }
        #expect(nodes.count == engineOps.count)
        #expect(nodes.count > 0)
        // Every edge joins declared nodes; data edges exist (a load feeds a matmul).
        let declared = Set(nodes.map { $0.drop { $0 == " " }.prefix { $0 != " " } })
        let edges = text.split(separator: "\n").filter { $0.contains(" -> ") }
        #expect(edges.contains { !$0.contains("dashed") })
        for edge in edges {
            let ends = edge.drop { $0 == " " }.split(separator: " ")
            #expect(declared.contains(ends[0]) && declared.contains(ends[2].prefix { $0 != ";" }), "\(edge)")
        }
    }

    @Test func loadingThePassPluginTwiceIsANameClash() throws {
        let plugin = try PluginHarness.flopCount.get()
        let result = try PluginHarness.kiln(["passes", "--load-plugin", plugin, "--load-plugin", plugin])
        #expect(result.status == 1)
        #expect(result.standardError.contains("error: plugin '\(plugin)': pass 'flop-count' from \(plugin) clashes with the pass of that name"))
        #expect(result.standardOutput.isEmpty)
    }

    @Test func aPluginRegisteringCSEClashesWithTheBuiltIn() throws {
        let plugin = try PluginHarness.swiftPlugin(named: "ClashingCSE", source: """
            import KilnPluginAPI
            import KilnTileIR

            struct SecondCSE: Pass {
                var name: String { "cse" }
                var summary: String { "a second cse" }
                func run(on module: inout Module, context: inout PassContext) throws {}
            }

            @_cdecl("kiln_plugin_entry")
            public func kilnPluginEntry() -> UnsafeRawPointer {
                KilnPlugin.descriptor(name: "clash", register: { raw in PluginRegistrar.fromOpaque(raw).register(pass: SecondCSE()) })
            }
            """)
        let result = try PluginHarness.kiln(["passes", "--show-ids", "--load-plugin", plugin])
        #expect(result.status == 1)
        #expect(result.standardOutput.isEmpty)
        #expect(result.standardError.contains(
            "error: plugin '\(plugin)': pass 'cse' from \(plugin) clashes with the pass of that name from built-in [K6006]"))
    }

    @Test func unknownBackendNamesTheRegisteredOnes() throws {
        let result = try PluginHarness.kiln(matmulArguments + ["--emit", "dot", "--show-ids"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("unknown backend 'dot'; registered backends: llvm, sim [K6007]"))
    }
}

/// Bad plugins: each is an error located at its `--load-plugin` value, with exit code 1 and no output.
@Suite struct BadPluginTests {
    /// Runs `kiln passes --load-plugin PATH` and checks the located error.
    private func expectRejected(_ path: String, code: String, message: String) throws {
        let result = try PluginHarness.kiln(["passes", "--show-ids", "--load-plugin", path])
        #expect(result.status == 1)
        #expect(result.standardOutput.isEmpty)
        let column = "kiln passes --show-ids --load-plugin ".utf8.count + 1
        #expect(result.standardError.hasPrefix("<command line>:1:\(column): error: "), "\(result.standardError)")
        #expect(result.standardError.contains(message), "\(result.standardError)")
        #expect(result.standardError.contains("[\(code)]"))
        #expect(result.standardError.contains(String(repeating: " ", count: column - 1) + "^"))
    }

    @Test func missingFile() throws {
        try expectRejected("/nonexistent/libnothing.so", code: "K6000", message: "no such file")
    }

    @Test func notASharedLibrary() throws {
        try expectRejected("Examples/matmul.kiln", code: "K6001", message: "the dynamic loader rejected it")
    }

    @Test func libraryWithoutTheEntryPoint() throws {
        let library = try PluginHarness.sharedLibrary(named: "noentry", source: "int not_a_plugin(void) { return 1; }\n")
        try expectRejected(library, code: "K6002", message: "does not export the C function 'kiln_plugin_entry'")
    }

    @Test func entryPointReturningNoDescriptor() throws {
        let library = try PluginHarness.sharedLibrary(named: "nulldescriptor",
                                                      source: "#include <stddef.h>\nconst void *kiln_plugin_entry(void) { return NULL; }\n")
        try expectRejected(library, code: "K6003", message: "returned no plugin descriptor")
    }

    @Test func apiVersionMismatch() throws {
        let wrong = KilnPlugin.apiVersion + 41
        let library = try PluginHarness.sharedLibrary(
            named: "wrongapi", source: PluginHarness.descriptorSource(apiVersion: wrong, compiler: "\"\(KilnPlugin.swiftCompilerVersion)\""))
        try expectRejected(library, code: "K6004",
                           message: "was built for Kiln plugin API version \(wrong), but this kiln provides version \(KilnPlugin.apiVersion)")
    }

    @Test func compilerMismatch() throws {
        let library = try PluginHarness.sharedLibrary(
            named: "wrongcompiler", source: PluginHarness.descriptorSource(apiVersion: KilnPlugin.apiVersion, compiler: "\"4.2\""))
        try expectRejected(library, code: "K6005",
                           message: "was built with Swift 4.2, but this kiln was built with Swift \(KilnPlugin.swiftCompilerVersion)")
    }

    @Test func descriptorWithoutACompilerVersion() throws {
        let library = try PluginHarness.sharedLibrary(
            named: "nullcompiler", source: PluginHarness.descriptorSource(apiVersion: KilnPlugin.apiVersion, compiler: "NULL"))
        try expectRejected(library, code: "K6003", message: "returned no plugin descriptor")
    }

    @Test func aPluginThatRegistersNothingLoads() throws {
        let library = try PluginHarness.sharedLibrary(
            named: "empty", source: PluginHarness.descriptorSource(apiVersion: KilnPlugin.apiVersion, compiler: "\"\(KilnPlugin.swiftCompilerVersion)\""))
        let result = try PluginHarness.kiln(["passes", "--load-plugin", library])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("cse "))
    }
}

/// The built-in `sim` backend, reached through the backend registry, writes what the `bytecode` stage writes.
@Test func registeredSimBackendMatchesTheBytecodeStage() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-sim-backend-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let throughRegistry = folder.appendingPathComponent("registry.kbc").path
    let throughStage = folder.appendingPathComponent("stage.kbc").path
    let softmax = ["build", "Examples/softmax.kiln", "--dim", "N=256", "--dim", "D=512"]
    let registry = try PluginHarness.kiln(softmax + ["--emit", "sim", "-o", throughRegistry])
    let stage = try PluginHarness.kiln(softmax + ["--emit", "bytecode", "-o", throughStage])
    #expect(registry.status == 0, "\(registry.standardError)")
    #expect(stage.status == 0, "\(stage.standardError)")
    let registryBytes = try Data(contentsOf: URL(fileURLWithPath: throughRegistry))
    #expect(!registryBytes.isEmpty)
    #expect(registryBytes == (try Data(contentsOf: URL(fileURLWithPath: throughStage))))
    let toStdout = try PluginHarness.kiln(softmax + ["--emit", "sim"])
    #expect(toStdout.status != 0)
    #expect(toStdout.standardError.contains("backend 'sim' writes a binary file; give -o FILE"))
}

/// A plugin pass in `kiln opt` (IR text in and out), and `--load-plugin` accepted by `kiln run`.
@Test func pluginPassRunsInOptAndThePluginLoadsForRun() throws {
    let plugin = try PluginHarness.flopCount.get()
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-opt-plugin-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let ir = folder.appendingPathComponent("add.tir").path
    let built = try PluginHarness.kiln(["build", "Examples/add.kiln", "--emit", "tile-ir", "-o", ir])
    #expect(built.status == 0, "\(built.standardError)")
    let untouched = try PluginHarness.kiln(["opt", ir, "--passes", ""])
    let counted = try PluginHarness.kiln(["opt", ir, "--passes", "flop-count", "--load-plugin", plugin])
    #expect(counted.status == 0, "\(counted.standardError)")
    #expect(counted.standardOutput == untouched.standardOutput)
    // add.kiln: out = a + b over f32[256, 512]: one dve add per element, each reading two tiles and writing one.
    #expect(counted.standardError.contains("flop-count: @add dve: "))
    #expect(counted.standardError.contains(" \(256 * 512) FLOP, \(3 * 4 * 256 * 512) bytes"))
    let run = try PluginHarness.kiln(["run", "Examples/add.kiln", "--random", "1", "--load-plugin", plugin])
    #expect(run.status == 0, "\(run.standardError)")
}
