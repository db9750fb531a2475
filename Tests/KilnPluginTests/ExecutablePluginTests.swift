// ExecutablePluginTests.swift: a plugin's executable backend reached by name from `kiln run`, `verify` and `bench`.

import Foundation
import KilnPluginAPI
import Testing

@Suite(.serialized) struct ExecutablePluginTests {
    /// A plugin backend `doubler` that runs kernels of the shape `k(x) -> out` by returning `out = 2 * x`:
    /// right for `return x + x`, so `kiln verify` against the reference interpreter must pass.
    static let doublerSource = """
        import KilnNumerics
        import KilnPluginAPI
        import KilnSource
        import KilnTileIR

        struct Doubler: ExecutableBackend {
            var name: String { "doubler" }
            var summary: String { "out = 2 * x, for testing executable plugin backends" }
            var fileExtension: String { "txt" }
            var outputKind: BackendOutputKind { .text }
            var bindsScalarParameters: Bool { false }
            func emit(module: Module, context: BackendContext) throws(BackendFailure) -> BackendOutput {
                .text(module.functions.map(\\.name).joined(separator: "\\n"))
            }
            func prepare(module: Module, context: BackendContext, options: ExecutionOptions) throws(BackendFailure) -> any PreparedKernel {
                guard module.function(named: context.function ?? "") != nil else {
                    throw BackendFailure([DiagnosticCatalogue.backendFailed(name, "no function to run")])
                }
                return DoubledInput()
            }
            func compileFailed(kernel: String, detail: String, at span: SourceSpan) -> Diagnostic {
                DiagnosticCatalogue.backendCompileFailed(name, kernel: kernel, detail: detail, at: span)
            }
        }

        struct DoubledInput: PreparedKernel {
            func run(inputs: [String: Tensor]) throws(BackendFailure) -> ExecutionResult {
                guard let x = inputs["x"], let out = Tensor(dtype: x.dtype, shape: x.shape, values: x.values.map { $0 * 2 }) else {
                    throw BackendFailure([DiagnosticCatalogue.backendFailed("doubler", "no input x")])
                }
                return ExecutionResult(outputs: [("out", out)])
            }
            func time(inputs: [String: Tensor], iterations: Int) throws(BackendFailure) -> ExecutionTiming {
                _ = try run(inputs: inputs)
                var wall: [Double] = []
                for _ in 0..<iterations {
                    wall.append(try ExecutionTiming.measure { () throws(BackendFailure) in _ = try run(inputs: inputs) })
                }
                return ExecutionTiming(wallSeconds: wall)
            }
        }

        @_cdecl("kiln_plugin_entry")
        public func kilnPluginEntry() -> UnsafeRawPointer {
            KilnPlugin.descriptor(name: "doubler", register: { raw in PluginRegistrar.fromOpaque(raw).register(backend: Doubler()) })
        }
        """

    static func kernelFile() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-doubler-\(UUID().uuidString).kiln").path
        try "kernel k<N = 4>(x: f32[N]) -> f32[N] {\n  return x + x\n}\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func pluginBackendRunsVerifiesAndBenches() throws {
        let plugin = try PluginHarness.swiftPlugin(named: "Doubler", source: Self.doublerSource)
        let kernel = try Self.kernelFile()
        defer { try? FileManager.default.removeItem(atPath: kernel) }

        let reference = try PluginHarness.kiln(["run", kernel, "--random", "3"])
        let doubled = try PluginHarness.kiln(["run", kernel, "--random", "3", "--backend", "doubler", "--load-plugin", plugin])
        #expect(doubled.status == 0, "\(doubled.standardError)")
        #expect(doubled.standardOutput.hasPrefix("out: f32[4]\n"))
        #expect(doubled.standardOutput == reference.standardOutput)

        let verified = try PluginHarness.kiln(["verify", kernel, "--backends", "ref,doubler,sim", "--load-plugin", plugin])
        #expect(verified.status == 0, "\(verified.standardOutput)\(verified.standardError)")
        #expect(verified.standardOutput.contains("out f32 ref vs doubler: max abs 0"))

        let bench = try PluginHarness.kiln(["bench", kernel, "--backend", "doubler", "--iterations", "2", "--load-plugin", plugin])
        #expect(bench.status == 0, "\(bench.standardError)")
        #expect(bench.standardOutput.hasPrefix("k on doubler (pipeline default"))
    }

    /// Without the plugin loaded, `doubler` is no registered backend: the name is rejected, listing the known ones.
    @Test func unloadedPluginBackendIsUnknown() throws {
        let kernel = try Self.kernelFile()
        defer { try? FileManager.default.removeItem(atPath: kernel) }
        let result = try PluginHarness.kiln(["run", kernel, "--random", "3", "--backend", "doubler"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("unknown backend 'doubler'; known: ref, llvm, sim"))
    }
}
