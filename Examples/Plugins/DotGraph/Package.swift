// swift-tools-version: 6.1
// Package.swift: the dot backend plugin, a shared library for `kiln --load-plugin`.
import Foundation
import PackageDescription

// The Kiln checkout this plugin builds against (three folders up) and its SwiftPM identity, which is the
// last component of that folder's path, lower-cased: computed, so any clone folder name works.
let kilnRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../..").standardizedFileURL
let kilnIdentity = kilnRoot.lastPathComponent.lowercased()

let package = Package(
    name: "DotGraph",
    products: [
        // Dynamic: loaded with dlopen; its KilnPluginAPI references bind to the kiln executable's copy.
        .library(name: "DotGraph", type: .dynamic, targets: ["DotGraph"]),
    ],
    dependencies: [
        .package(path: kilnRoot.path),
    ],
    targets: [
        .target(name: "DotGraph", dependencies: [.product(name: "KilnPluginAPI", package: kilnIdentity)]),
    ]
)
