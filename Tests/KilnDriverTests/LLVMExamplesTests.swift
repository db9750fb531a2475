// LLVMExamplesTests.swift: every Examples/*.kiln on the llvm JIT vs the oracle (both pipelines), and its LLVM IR through opt-19.

import Foundation
import KilnDriver
import KilnSource
import Testing

/// LLVM 19's `opt`, when installed (`make deps` installs llvm-19-tools).
private let optPath = ["/usr/lib/llvm-19/bin/opt", "/usr/bin/opt-19"].first { FileManager.default.isExecutableFile(atPath: $0) }

@Suite struct LLVMExamplesTests {
    /// The default pipeline's tile-level IR (placed, scheduled) JIT-run on random inputs matches the reference
    /// interpreter within each output dtype's tolerance: the llvm backend checks what the passes produced.
    @Test(arguments: Repository.examples)
    func defaultPipelineMatchesReference(_ url: URL) throws {
        let source = try Repository.source(url)
        let request = RunRequest(inputs: .init(randomSeed: 2), sim: SimRunOptions(target: Repository.target(of: url)))
        let report = Driver.verify(source, backends: [.ref, .llvm], request: request)
        #expect(report.passed, "\(url.lastPathComponent):\n\(report.renderedDiagnostics())")
        #expect(report.pairs.count == 1 && report.pairs[0].outputs.count == report.runs[0].outcome.outputs?.count)
    }

    /// The tensor-level pipeline `kiln bench` uses (KilnLLVM's own fusion and matmul micro-kernel) matches too.
    @Test(arguments: Repository.examples)
    func tensorLevelPipelineMatchesReference(_ url: URL) throws {
        let source = try Repository.source(url)
        let request = RunRequest(inputs: .init(randomSeed: 3), sim: SimRunOptions(target: Repository.target(of: url),
                                                                                    passes: LLVMCompileOptions.tensorLevelPipeline))
        let report = Driver.verify(source, backends: [.ref, .llvm], request: request)
        #expect(report.passed, "\(url.lastPathComponent):\n\(report.renderedDiagnostics())")
    }

    /// `kiln build --emit llvm` output for a pinned CPU is accepted by `opt -passes=verify`.
    @Test(.enabled(if: optPath != nil, "opt-19 is not installed (run `make deps`, which installs llvm-19-tools)"),
          arguments: Repository.examples)
    func emittedIRPassesOptVerify(_ url: URL) throws {
        let source = try Repository.source(url)
        let (text, compiled) = Driver.emitLLVMIR(source, dims: [:],
                                                 options: LLVMCompileOptions(target: Repository.target(of: url), cpu: "x86-64-v3"))
        let ir = try #require(text, "\(url.lastPathComponent):\n\(compiled.renderedDiagnostics())")
        #expect(ir.contains("@kiln_\(url.deletingPathExtension().lastPathComponent)("))
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("kiln-\(ProcessInfo.processInfo.processIdentifier)-\(url.lastPathComponent).ll")
        try Data(ir.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let opt = Process()
        opt.executableURL = URL(fileURLWithPath: try #require(optPath))
        opt.arguments = ["-passes=verify", "-disable-output", file.path]
        let errors = Pipe()
        opt.standardError = errors
        try opt.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        opt.waitUntilExit()
        #expect(opt.terminationStatus == 0, "\(url.lastPathComponent): opt rejected the IR:\n\(message)")
    }

    /// A kernel that fails to compile for the backend is one located K5008 error carrying the stage's diagnostics.
    @Test func compileFailureIsOneLocatedError() throws {
        let source = SourceFile(path: "bad.kiln", bytes: Array("""
            kernel k<N = 4>(x: f32[N]) -> f32[N] {
              return x
            }
            """.utf8))
        let request = RunRequest(backend: .llvm, inputs: .init(randomSeed: 1), sim: SimRunOptions(passes: "no-such-pass"))
        let outcome = Driver.run(source, request: request)
        #expect(outcome.outputs == nil)
        let diagnostic = try #require(outcome.diagnostics.diagnostics.first)
        #expect(diagnostic.id.code == "K5008")
        #expect(diagnostic.message.contains("unknown pass 'no-such-pass'"))
        #expect(diagnostic.span.start == 7)
    }
}
