// RegistrationTests.swift: built-ins register through the plugin entry shape; registrars report clashes; descriptors read back.

import KilnDriver
import KilnPasses
import KilnPluginAPI
import KilnSource
import KilnTileIR
import Testing

/// A pass named like a built-in, to provoke a clash.
private struct ClashingPass: Pass {
    var name: String { "cse" }
    var summary: String { "clashes with the built-in cse" }
    func run(on module: inout Module, context: inout PassContext) throws {}
}

@Test func builtinPassesAndBackendsRegisterThroughTheEntryShape() {
    let (passes, backends) = Driver.makeRegistries()
    #expect(passes.names.count == BuiltinPasses.all.count)
    #expect(passes.all.allSatisfy { $0.origin == .builtIn })
    #expect(backends.names == ["llvm", "sim"])
    #expect(backends.entry(named: "sim")?.backend.outputKind == .binary)
    #expect(backends.entry(named: "llvm")?.backend.fileExtension == "ll")
}

@Test func registrarCollectsNameClashesInsteadOfThrowing() {
    let (passes, backends) = Driver.makeRegistries()
    let registrar = PluginRegistrar(passes: passes, backends: backends, origin: .plugin(path: "/tmp/clash.so"))
    registrar.register(pass: ClashingPass())
    #expect(registrar.failures == ["pass 'cse' from /tmp/clash.so clashes with the pass of that name from built-in"])
    #expect(passes.entry(named: "cse")?.origin == .builtIn)
}

@Test func backendListingShowsOutputAndOrigin() {
    let listing = Driver.backendListing()
    #expect(listing.contains("sim   .kbc binary  built-in"))
    #expect(listing.contains("llvm  .ll text     built-in"))
}

@Test func descriptorRoundTripsThroughItsCLayout() {
    let raw = KilnPlugin.descriptor(name: "round-trip", register: { _ in })
    guard case .descriptor(let descriptor) = PluginDescriptor.read(raw, hostVersion: KilnPlugin.apiVersion) else {
        Issue.record("descriptor did not read back")
        return
    }
    #expect(descriptor.name == "round-trip")
    #expect(descriptor.swiftCompilerVersion == KilnPlugin.swiftCompilerVersion)
    guard case .versionMismatch(let version) = PluginDescriptor.read(raw, hostVersion: KilnPlugin.apiVersion + 1) else {
        Issue.record("a different host version was accepted")
        return
    }
    #expect(version == KilnPlugin.apiVersion)
}

@Test func loadingAMissingFileIsLocatedAtTheFlag() {
    let span = SourceSpan(file: "k.kiln", start: 5, end: 12)
    let diagnostic = Driver.loadPlugin(path: "/nonexistent/plugin.so", at: span)
    #expect(diagnostic?.id.code == "K6000")
    #expect(diagnostic?.span == span)
}

@Test func emittingThroughAnUnknownBackendNamesTheRegisteredOnes() {
    let source = SourceFile(path: "k.kiln", text: "kernel k(x: f32[128, 4]) -> f32[128, 4] {\n  return x\n}\n")
    let emission = Driver.emit(source, dims: [:], options: PipelineOptions(), backend: "nope")
    #expect(emission.output == nil)
    #expect(emission.backendDiagnostics.map(\.id.code) == ["K6007"])
}
