// EmissionTests.swift: textual IR accepted by opt-19/llc-19, debug locations, and an object file linked into a C program.

import Foundation
import KilnLLVM
import KilnSource
import KilnTileIR
import Testing

let llvmBin = "/usr/lib/llvm-19/bin"

/// Runs a program, returning its exit status and its combined output.
func runProcess(_ path: String, _ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

func scratchDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-llvm-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A kernel source and its tile IR with locations into it.
let axpySource = """
kernel axpy(x: f32[4, 8], y: f32[4, 8], alpha: f32 = 2.0) -> f32[4, 8] {
  let s = alpha * x
  return s + y
}
"""

let axpyIR = """
kiln.module target "trn1" source "axpy.kiln" {
  func @axpy(%x: hbm f32[4, 8], %y: hbm f32[4, 8], %alpha: f32 = 2.0) -> (%out: hbm f32[4, 8]) loc(0:98) {
    %a = broadcast %alpha : f32[4, 8] loc(83:88)
    %s = mul %a, %x : f32[4, 8] loc(83:92)
    %r = add %s, %y : f32[4, 8] loc(102:107)
    return %r loc(95:107)
  }
}
"""

@Suite struct EmissionTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "\(llvmBin)/opt")))
    func textualIRPassesOptVerifyAndLLC() throws {
        let text = try LLVMBackend.emitIR(module: try parseModule(axpyIR))
        let definitions = text.split(separator: "\n").filter { $0.hasPrefix("define ") }
        #expect(definitions.contains { $0.contains(" @kiln_axpy(") && $0.contains("float %alpha") })
        #expect(definitions.contains { $0.contains(" @kiln_axpy_packed(") })
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("axpy.ll")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let opt = try runProcess("\(llvmBin)/opt", ["-passes=verify", "-disable-output", file.path])
        #expect(opt.status == 0, "\(opt.output)")
        let llc = try runProcess("\(llvmBin)/llc", ["-filetype=obj", "-o", directory.appendingPathComponent("axpy.o").path, file.path])
        #expect(llc.status == 0, "\(llc.output)")
    }

    @Test func debugLocationsPointAtKernelLines() throws {
        let source = SourceFile(path: "axpy.kiln", text: axpySource)
        let text = try LLVMBackend.emitIR(module: try parseModule(axpyIR), options: LLVMBackendOptions(optimise: false, kernelSource: source))
        #expect(text.contains("!DISubprogram(name: \"axpy\""))
        #expect(text.contains("!DIFile(filename: \"axpy.kiln\""))
        // `alpha * x` is on line 2, `s + y` on line 3 of the kernel.
        #expect(text.contains("!DILocation(line: 2, column: 11"))
        #expect(text.contains("!DILocation(line: 3, column: 10"))
    }

    @Test func pinnedCPUIsRecordedAndReproducible() throws {
        let options = LLVMBackendOptions(cpu: .named("x86-64-v3"))
        let first = try LLVMBackend.emitIR(module: try parseModule(axpyIR), options: options)
        let second = try LLVMBackend.emitIR(module: try parseModule(axpyIR), options: options)
        #expect(first == second)
        #expect(first.contains("\"target-cpu\"=\"x86-64-v3\""))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/cc")))
    func objectLinksIntoACProgram() throws {
        let output = try LLVMBackend.emitObject(module: try parseModule(axpyIR), headerName: "axpy")
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(output.object).write(to: directory.appendingPathComponent("axpy.o"))
        try output.header.write(to: directory.appendingPathComponent("axpy.h"), atomically: true, encoding: .utf8)
        let program = """
        #include <stdio.h>
        #include "axpy.h"
        int main(void) {
            float x[32], y[32], out[32];
            for (int i = 0; i < 32; i++) { x[i] = (float)i; y[i] = 0.5f * (float)i; }
            if (kiln_axpy(x, y, 3.0f, out) != 0) return 2;
            for (int i = 0; i < 32; i++) if (out[i] != 3.5f * (float)i) { printf("bad %d %f\\n", i, out[i]); return 1; }
            printf("ok %f\\n", out[31]);
            return 0;
        }
        """
        try program.write(to: directory.appendingPathComponent("main.c"), atomically: true, encoding: .utf8)
        let compile = try runProcess("/usr/bin/cc", ["-std=c11", "-Wall", "-Werror", "main.c", "axpy.o", "-lm", "-o", "main"], in: directory)
        #expect(compile.status == 0, "\(compile.output)")
        let run = try runProcess(directory.appendingPathComponent("main").path, [])
        #expect(run.status == 0 && run.output == "ok 108.500000\n", "\(run.output)")
    }
}
