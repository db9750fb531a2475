// swift-tools-version: 6.1
// Package.swift: the flop-count pass plugin, a shared library for `kiln --load-plugin`.
import Foundation
import PackageDescription

// The Kiln checkout this plugin builds against (three folders up) and its SwiftPM identity, which is the
// last component of that folder's path, lower-cased: computed, so any clone folder name works.
let kilnRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../..").standardizedFileURL
let kilnIdentity = kilnRoot.lastPathComponent.lowercased()

let package = Package(
    name: "FlopCount",
    products: [
        // Dynamic: loaded with dlopen; its KilnPluginAPI references bind to the kiln executable's copy.
        .library(name: "FlopCount", type: .dynamic, targets: ["FlopCount"]),
    ],
    dependencies: [
        .package(path: kilnRoot.path),
    ],
    targets: [
        .target(name: "FlopCount", dependencies: [.product(name: "KilnPluginAPI", package: kilnIdentity)]),
    ]
)
