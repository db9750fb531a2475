// swift-tools-version: 6.1
// Package.swift: the Kiln compiler: one target per pipeline stage, dependencies flowing one way.
import PackageDescription

let package = Package(
    name: "Kiln",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "kiln", targets: ["KilnCLI"]),
        .library(name: "KilnPluginAPI", type: .dynamic, targets: ["KilnPluginAPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        // Source text, byte-offset spans, diagnostics as data and their rendering.
        .target(name: "KilnSource"),
        // Lexer, recursive-descent parser, AST.
        .target(name: "KilnSyntax", dependencies: ["KilnSource"]),
        // Names, dtypes, shapes with symbolic dims, tile typing.
        .target(name: "KilnSema", dependencies: [
            "KilnSource", "KilnSyntax",
            .product(name: "Collections", package: "swift-collections"),
        ]),
        // MARK: later pipeline stages are added here.
        // The machine model: trn1/trn2 numbers, limits and cost formulas, as data.
        .target(name: "KilnMachine"),
        // Tile IR: data structure, text printer and parser, verifier.
        .target(name: "KilnTileIR", dependencies: ["KilnSource", "KilnMachine"]),
        // The plugin API (a dynamic library): Pass protocol, pass registry, pass manager.
        .target(name: "KilnPluginAPI", dependencies: ["KilnTileIR", "KilnMachine", "KilnSource"]),
        // The built-in passes.
        .target(name: "KilnPasses", dependencies: ["KilnPluginAPI", "KilnTileIR", "KilnMachine", "KilnSource"]),
        // The pipeline, top to bottom, for the CLI, the tests and embedders.
        .target(name: "KilnDriver", dependencies: ["KilnSource", "KilnSyntax", "KilnSema"]),
        // The `kiln` command.
        .executableTarget(name: "KilnCLI", dependencies: [
            "KilnDriver",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "KilnSourceTests", dependencies: ["KilnSource"]),
        .testTarget(name: "KilnSyntaxTests", dependencies: ["KilnSyntax"]),
        .testTarget(name: "KilnSemaTests", dependencies: ["KilnSema", "KilnSyntax"]),
        .testTarget(name: "KilnDriverTests", dependencies: ["KilnDriver"]),
        .testTarget(name: "KilnMachineTests", dependencies: ["KilnMachine"]),
        .testTarget(name: "KilnTileIRTests", dependencies: ["KilnTileIR", "KilnMachine", "KilnSource"]),
        .testTarget(name: "KilnPluginAPITests", dependencies: ["KilnPluginAPI", "KilnTileIR", "KilnMachine", "KilnSource"]),
        .testTarget(name: "KilnPassesTests", dependencies: ["KilnPasses", "KilnPluginAPI", "KilnTileIR", "KilnMachine"]),
    ]
)
