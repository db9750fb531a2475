// PluginHarness.swift: finds the built `kiln`, builds the example plugins once per test run, runs processes with a deadline.

import Foundation
import KilnPluginAPI

/// A finished process: exit status and what it wrote.
struct ProcessResult {
    var status: Int32
    var standardOutput: String
    var standardError: String
}

/// Why the harness could not do its part (reported by the test that needed it).
struct HarnessError: Error, CustomStringConvertible {
    var description: String
}

enum PluginHarness {
    /// The repository root (this file is Tests/KilnPluginTests/PluginHarness.swift).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The `kiln` executable of the build these tests belong to: `$KILN`, else next to the test bundle
    /// (`swift test` builds every product of the package into the same folder).
    static func kiln() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["KILN"] { return explicit }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("kiln").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder.deleteLastPathComponent()
        }
        throw HarnessError(description: "no kiln executable near \(CommandLine.arguments[0]); build it (swift build --product kiln) or set KILN")
    }

    /// Runs `executable` with `arguments` in the repository root, `environment` added to this process's;
    /// terminates it after `timeout` seconds.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                    timeout: Double = 120) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.currentDirectoryURL = repositoryRoot
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-plugin-test-\(UUID().uuidString)")
        let errorFile = outputFile.appendingPathExtension("err")
        guard FileManager.default.createFile(atPath: outputFile.path, contents: nil),
              FileManager.default.createFile(atPath: errorFile.path, contents: nil) else {
            throw HarnessError(description: "cannot create capture files in \(FileManager.default.temporaryDirectory.path)")
        }
        defer {
            try? FileManager.default.removeItem(at: outputFile)
            try? FileManager.default.removeItem(at: errorFile)
        }
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                process.waitUntilExit()
                throw HarnessError(description: "\(executable) \(arguments.joined(separator: " ")) did not finish in \(Int(timeout)) s")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return ProcessResult(status: process.terminationStatus,
                             standardOutput: (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "",
                             standardError: (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "")
    }

    /// Runs the built `kiln`.
    static func kiln(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try run(try kiln(), arguments, environment: environment)
    }

    /// Builds the example plugin package `Examples/Plugins/NAME` (its own SwiftPM package, which builds
    /// the plugin API again from this checkout) and returns the path of `libNAME.so`. Bounded: 20 minutes
    /// on a loaded machine.
    static func buildPlugin(_ name: String) -> Result<String, HarnessError> {
        let package = repositoryRoot.appendingPathComponent("Examples/Plugins/\(name)")
        do {
            let built = try run("/usr/bin/env", ["swift", "build", "--package-path", package.path], timeout: 1200)
            guard built.status == 0 else {
                return .failure(HarnessError(description: "building \(name) failed:\n\(built.standardOutput)\(built.standardError)"))
            }
            let library = package.appendingPathComponent(".build/debug/lib\(name).so").path
            guard FileManager.default.fileExists(atPath: library) else {
                return .failure(HarnessError(description: "building \(name) made no \(library)"))
            }
            return .success(library)
        } catch let error as HarnessError {
            return .failure(error)
        } catch {
            return .failure(HarnessError(description: "cannot run swift build for \(name): \(error)"))
        }
    }

    /// Each example plugin, built at most once per test run (static lets initialise once, thread-safely).
    static let flopCount = buildPlugin("FlopCount")
    static let dotGraph = buildPlugin("DotGraph")

    /// Compiles C `source` into a shared library in a fresh temporary folder and returns its path.
    static func sharedLibrary(named name: String, source: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-bad-plugins-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let sourcePath = folder.appendingPathComponent("\(name).c").path
        let libraryPath = folder.appendingPathComponent("lib\(name).so").path
        try source.write(toFile: sourcePath, atomically: true, encoding: .utf8)
        let compiled = try run("/usr/bin/env", ["cc", "-shared", "-fPIC", "-o", libraryPath, sourcePath])
        guard compiled.status == 0 else { throw HarnessError(description: "cc failed: \(compiled.standardError)") }
        return libraryPath
    }

    /// Compiles one Swift file into a plugin library with `swiftc`, against the plugin API modules the
    /// FlopCount example's build made (same compiler, same sources), and returns its path.
    static func swiftPlugin(named name: String, source: String) throws -> String {
        let flopCount = try PluginHarness.flopCount.get()
        let modules = URL(fileURLWithPath: flopCount).deletingLastPathComponent().appendingPathComponent("Modules").path
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-swift-plugins-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let sourcePath = folder.appendingPathComponent("\(name).swift").path
        let libraryPath = folder.appendingPathComponent("lib\(name).so").path
        try source.write(toFile: sourcePath, atomically: true, encoding: .utf8)
        let compiled = try run("/usr/bin/env", ["swiftc", "-emit-library", "-module-name", name, "-I", modules,
                                                sourcePath, "-o", libraryPath], timeout: 600)
        guard compiled.status == 0 else { throw HarnessError(description: "swiftc failed: \(compiled.standardError)") }
        return libraryPath
    }

    /// C source of a library exporting `kiln_plugin_entry` with the given descriptor fields (a C string
    /// literal or NULL for the compiler), and a registration callback that registers nothing.
    static func descriptorSource(apiVersion: UInt64, compiler: String) -> String {
        """
        #include <stdint.h>
        #include <stddef.h>
        struct kiln_plugin_descriptor { uint64_t api_version; const char *swift_compiler; const char *name; void (*register_plugin)(void *); };
        static void register_nothing(void *registrar) { (void)registrar; }
        static const struct kiln_plugin_descriptor descriptor = { \(apiVersion)u, \(compiler), "bad", register_nothing };
        const struct kiln_plugin_descriptor *kiln_plugin_entry(void) { return &descriptor; }
        """
    }
}
