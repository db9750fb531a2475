// swift-tools-version: 6.1
// Package.swift: the Kiln compiler: one target per pipeline stage, dependencies flowing one way.
import PackageDescription

let package = Package(
    name: "Kiln",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "kiln", targets: ["KilnCLI"]),
        // What a plugin sees: the plugin API and the IR, machine and diagnostic types it is written in terms of.
        .library(name: "KilnPluginAPI", type: .dynamic, targets: ["KilnPluginAPI", "KilnTileIR", "KilnISA", "KilnMachine", "KilnSource", "KilnNumerics"]),
        // The llvm backend, which `kiln` does not link: the driver loads it (and so libLLVM) on first use of `llvm`.
        .library(name: "KilnLLVMBackend", type: .dynamic, targets: ["KilnLLVMBackend"]),
        // libKiln: the C API (Sources/CKiln/include/kiln.h) for embedding programs and the Python package (python/).
        .library(name: "Kiln", type: .dynamic, targets: ["KilnCAPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Source text, byte-offset spans, diagnostics as data and their rendering.
        .target(name: "KilnSource"),
        // Lexer, recursive-descent parser, AST.
        .target(name: "KilnSyntax", dependencies: ["KilnSource"]),
        // Names, dtypes, shapes with symbolic dims, tile typing.
        .target(name: "KilnSema", dependencies: [
            "KilnSource", "KilnSyntax", "KilnMachine",
        ]),
        // MARK: later pipeline stages are added here.
        // The built-in backends linked into `kiln` (sim) as `Backend` values, registered through the plugin API like a plugin's.
        .target(name: "KilnBuiltinBackends", dependencies: [
            "KilnPluginAPI", "KilnSimBackend", "KilnSim", "KilnBytecode", "KilnTileIR", "KilnNumerics", "KilnSource",
            "KilnBackendLibraryABI",
        ]),
        // What a backend library hands kiln (closures over IR values) and its C entry point's descriptor.
        .target(name: "KilnBackendLibraryABI", dependencies: ["KilnTileIR", "KilnISA", "KilnMachine", "KilnNumerics", "KilnSource"]),
        // The llvm backend as a backend library (product KilnLLVMBackend): no KilnPluginAPI type crosses into it.
        .target(name: "KilnLLVMBackend", dependencies: [
            "KilnBackendLibraryABI", "KilnLLVM", "KilnNumerics", "KilnSource",
        ],
                swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/lib/llvm-19/include"])]),
        // The LLVM 19 C API as a system library (headers and libLLVM-19.so from Debian's llvm-19-dev).
        .systemLibrary(name: "CLLVM", path: "Sources/CLLVM"),
        // The llvm backend: tile IR -> LLVM IR, optimised, verified, JIT-run (ORC LLJIT) or emitted as an object.
        .target(name: "KilnLLVM", dependencies: ["CLLVM", "KilnTileIR", "KilnNumerics", "KilnSource", "KilnMachine"],
                swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/lib/llvm-19/include"])],
                linkerSettings: [.unsafeFlags(["-L/usr/lib/llvm-19/lib", "-Xlinker", "-rpath", "-Xlinker", "/usr/lib/llvm-19/lib"])]),
        // Simulator bytecode: the format, one opcode table driving encoder, decoder, validator, disassembler.
        .target(name: "KilnBytecode", dependencies: ["KilnSource", "KilnMachine", "KilnISA"]),
        // The sim backend: scheduled tile IR -> bytecode, with a line table back to the kernel source.
        .target(name: "KilnSimBackend", dependencies: ["KilnBytecode", "KilnTileIR", "KilnSource", "KilnMachine"]),
        // The simulator: bytecode run for results (hardware numerics) and time (engine queues, semaphores, DMA).
        .target(name: "KilnSim", dependencies: [
            "KilnBytecode", "KilnNumerics", "KilnSource", "KilnMachine", "CKilnCPU", "KilnSimAVX2", "KilnSimAVX512",
        ]),
        // The simulator's matmul micro-kernels for x86-64-v3 (AVX2) and x86-64-v4 (AVX-512), each module compiled for
        // its level; KilnSim calls one only when CKilnCPU says the CPU supports it. Empty on other architectures.
        .target(name: "KilnSimAVX2", dependencies: ["KilnNumerics"], swiftSettings: compiled(forX86Level: "x86-64-v3")),
        .target(name: "KilnSimAVX512", dependencies: ["KilnNumerics"], swiftSettings: compiled(forX86Level: "x86-64-v4")),
        // Which x86-64 levels the running CPU supports (cpuid through the compiler's runtime).
        .target(name: "CKilnCPU"),
        // Lowering: the checked program (with dims bound) to tile IR.
        .target(name: "KilnLowering", dependencies: ["KilnSource", "KilnSyntax", "KilnSema", "KilnTileIR", "KilnMachine", "KilnNumerics"]),
        // Numerics shared by every executor: float formats and RNE conversion, Tensor, elementwise math, random inputs.
        .target(name: "KilnNumerics", dependencies: ["KilnMachine"]),
        // NumPy .npy reading and writing (format 1.0/2.0/3.0), atomic writes.
        .target(name: "KilnNpy", dependencies: ["KilnNumerics", "KilnMachine"]),
        // The reference interpreter (the oracle) and the binding of `kiln run` inputs.
        .target(name: "KilnInterp", dependencies: ["KilnSource", "KilnSyntax", "KilnSema", "KilnMachine", "KilnNumerics", "KilnNpy"]),
        // The machine model: trn1/trn2 numbers, limits and cost formulas, as data.
        .target(name: "KilnMachine"),
        // The op table: every engine op declared once (operands, effects, type rules, cost, opcode), read by the
        // tile IR, the passes, the bytecode and both executors.
        .target(name: "KilnISA", dependencies: ["KilnMachine"]),
        // Tile IR: data structure, text printer and parser, verifier.
        .target(name: "KilnTileIR", dependencies: ["KilnSource", "KilnMachine", "KilnISA"]),
        // The plugin API (a dynamic library): Pass protocol, pass registry, pass manager.
        .target(name: "KilnPluginAPI", dependencies: ["KilnTileIR", "KilnMachine", "KilnSource", "KilnNumerics"]),
        // The built-in passes.
        .target(name: "KilnPasses", dependencies: ["KilnPluginAPI", "KilnTileIR", "KilnMachine", "KilnSource", "KilnNumerics"]),
        // The pipeline, top to bottom, for the CLI, the tests and embedders.
        .target(name: "KilnDriver", dependencies: [
            "KilnSource", "KilnSyntax", "KilnSema", "KilnLowering", "KilnTileIR", "KilnMachine", "KilnPluginAPI", "KilnPasses",
            "KilnInterp", "KilnNpy", "KilnNumerics",
            "KilnBytecode",
            "KilnBuiltinBackends", "KilnBackendLibraryABI",
        ]),
        // SQLite 3 from the system (Debian's libsqlite3-dev) as a system library: the tuning cache's database.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        // `kiln tune`: the search space over pass options, strategies, scoring on the timing model (local cores or a
        // Ray cluster), correctness checks against the reference, and the persistent SQLite cache.
        .target(name: "KilnTune", dependencies: [
            "KilnDriver", "KilnSim", "KilnSyntax", "KilnSema", "KilnPluginAPI", "KilnMachine", "KilnSource", "KilnInterp",
            "KilnNumerics", "CSQLite",
        ]),
        // The C API's header (include/kiln.h), its constant tables, and where libKiln was loaded from.
        .target(name: "CKiln"),
        // libKiln: `@_cdecl` functions over the driver (Driver+Embedding.swift), handles, the C types of kiln.h.
        .target(name: "KilnCAPI", dependencies: [
            "CKiln", "KilnDriver", "KilnReport", "KilnSim", "KilnInterp", "KilnNpy", "KilnBuiltinBackends", "KilnNumerics", "KilnSource", "KilnMachine", "KilnPluginAPI",
        ]),
        // Run records (stats + trace + machine peaks) and the self-contained HTML report `kiln report` writes.
        .target(name: "KilnReport", dependencies: ["KilnSim", "KilnMachine"]),
        // The `kiln` command.
        .executableTarget(name: "KilnCLI", dependencies: [
            "KilnDriver", "KilnTune",
            "KilnInterp", "KilnNpy", "KilnNumerics", "KilnSource",
            "KilnBytecode", "KilnSim", "KilnMachine",
            "KilnPluginAPI", "KilnReport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        // Plugins resolve their KilnPluginAPI (and IR) symbols against this executable's copy: one copy of every type.
        linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic"])]),

        .testTarget(name: "KilnSourceTests", dependencies: ["KilnSource"]),
        .testTarget(name: "KilnBytecodeTests", dependencies: ["KilnBytecode", "KilnSimBackend", "KilnTileIR", "KilnSource", "KilnMachine"]),
        .testTarget(name: "KilnSimTests", dependencies: ["KilnSim", "KilnBytecode", "KilnSimBackend", "KilnTileIR", "KilnNumerics", "KilnSource", "KilnMachine"]),
        .testTarget(name: "KilnSyntaxTests", dependencies: ["KilnSyntax"]),
        .testTarget(name: "KilnSemaTests", dependencies: ["KilnSema", "KilnSyntax"]),
        .testTarget(name: "KilnDriverTests", dependencies: [
            "KilnDriver", "KilnSim", "KilnNumerics", "KilnMachine", "KilnSource", "KilnPluginAPI", "KilnBuiltinBackends",
            "KilnSema", "KilnInterp", "KilnNpy", "KilnBackendLibraryABI",
        ]),
        .testTarget(name: "KilnLoweringTests", dependencies: [
            "KilnLowering", "KilnDriver", "KilnSema", "KilnSource", "KilnTileIR", "KilnMachine", "KilnPluginAPI", "KilnPasses",
        ]),
        .testTarget(name: "KilnMachineTests", dependencies: ["KilnMachine"]),
        .testTarget(name: "KilnISATests", dependencies: ["KilnISA", "KilnMachine"]),
        .testTarget(name: "KilnTileIRTests", dependencies: ["KilnTileIR", "KilnMachine", "KilnSource"]),
        .testTarget(name: "KilnPluginTests", dependencies: ["KilnPluginAPI", "KilnDriver", "KilnPasses", "KilnTileIR", "KilnSource"]),
        .testTarget(name: "KilnPluginAPITests", dependencies: ["KilnPluginAPI", "KilnTileIR", "KilnMachine", "KilnSource"]),
        .testTarget(name: "KilnPassesTests", dependencies: ["KilnPasses", "KilnPluginAPI", "KilnTileIR", "KilnMachine", "KilnSource"]),
        .testTarget(name: "KilnTileExamplesTests", dependencies: ["KilnDriver", "KilnTileIR", "KilnMachine", "KilnSource"]),
        .testTarget(name: "KilnNumericsTests", dependencies: ["KilnNumerics", "KilnMachine"]),
        .testTarget(name: "KilnNpyTests", dependencies: ["KilnNpy", "KilnNumerics", "KilnMachine"]),
        .testTarget(
            name: "KilnLLVMTests",
            dependencies: ["KilnLLVM", "KilnTileIR", "KilnNumerics", "KilnSource", "KilnMachine"],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/lib/llvm-19/include"])]
        ),
        .testTarget(name: "KilnReportTests", dependencies: ["KilnReport"]),
        .testTarget(name: "KilnTuneTests", dependencies: [
            "KilnTune", "KilnDriver", "KilnPluginAPI", "KilnPasses", "KilnMachine", "KilnSource", "CSQLite",
        ]),
        .testTarget(name: "KilnInterpTests", dependencies: ["KilnInterp", "KilnSema", "KilnSyntax", "KilnSource", "KilnMachine", "KilnNumerics", "KilnNpy"]),
    ]
)

/// Swift settings that compile a target for an x86-64 micro-architecture level ("x86-64-v3"): clang's `-march`,
/// from which swiftc's code generation takes its target CPU and features. None on other host architectures.
func compiled(forX86Level level: String) -> [SwiftSetting] {
    #if arch(x86_64)
    return [.unsafeFlags(["-Xcc", "-march=\(level)"])]
    #else
    return []
    #endif
}
