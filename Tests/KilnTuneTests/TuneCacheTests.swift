// TuneCacheTests.swift: the SQLite cache: round trip, the faster result kept, concurrent writers, a bad file.

import Foundation
import KilnMachine
import KilnSource
import KilnTune
import Testing

private func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "kiln-tune-cache-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private func entry(_ kernel: String, seconds: Double, pipeline: String = "tile") -> TuneEntry {
    let key = TuneKey(sourceHash: "00ff", kernel: kernel, dims: "N=4", target: "trn1", model: "m", kiln: KilnVersion.string)
    return TuneEntry(key: key, pipeline: pipeline, schedule: "@schedule()", seconds: seconds, hfu: 0.5, defaultSeconds: 2,
                     candidates: 8, strategy: "anneal", seed: 1)
}

@Test func anEntryRoundTripsAndOnlyAFasterOneReplacesIt() throws {
    let directory = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let cache = try TuneCache(directory: directory)
    #expect(try cache.lookup(entry("k", seconds: 1).key) == nil)
    try cache.store(entry("k", seconds: 1, pipeline: "first"))
    var stored = try #require(try cache.lookup(entry("k", seconds: 1).key))
    #expect(stored.pipeline == "first" && stored.seconds == 1 && stored.candidates == 8 && !stored.created.isEmpty)
    try cache.store(entry("k", seconds: 3, pipeline: "slower"))
    stored = try #require(try TuneCache(directory: directory).lookup(entry("k", seconds: 1).key))
    #expect(stored.pipeline == "first")
    try cache.store(entry("k", seconds: 0.5, pipeline: "faster"))
    #expect(try cache.lookup(entry("k", seconds: 1).key)?.pipeline == "faster")
    #expect(try cache.all().count == 1)
}

@Test func concurrentWritersLoseNothing() throws {
    let directory = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    _ = try TuneCache(directory: directory)
    DispatchQueue.concurrentPerform(iterations: 8) { writer in
        // Each writer opens its own connection, as separate processes would.
        guard let cache = try? TuneCache(directory: directory) else { return }
        for index in 0..<10 { _ = try? cache.store(entry("k\(writer)-\(index)", seconds: Double(index + 1))) }
    }
    #expect(try TuneCache(directory: directory).all().count == 80)
}

@Test func aFileThatIsNotADatabaseIsAnErrorNotACrash() throws {
    let directory = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try Data("this is not sqlite, just text long enough to be read as a header".utf8)
        .write(to: URL(fileURLWithPath: directory + "/tune.sqlite3"))
    #expect(throws: TuneError.self) { try TuneCache(directory: directory) }
}

@Test func theCacheDirectoryComesFromTheEnvironment() {
    #expect(TuneCache.defaultDirectory(environment: ["KILN_CACHE_DIR": "/x/y", "HOME": "/h"]) == "/x/y")
    #expect(TuneCache.defaultDirectory(environment: ["HOME": "/h"]) == "/h/.cache/kiln/tune")
}

@Test func theSourceHashIgnoresCommentsAndLayoutButNotTokens() {
    let base = SourceFile(path: "a.kiln", text: "kernel k<N = 4>(x: f32[N]) -> f32[N] { return x * 2.0 }")
    let reformatted = SourceFile(path: "b.kiln", text: "// a comment\nkernel k<N = 4>(x: f32[N]) -> f32[N] {\n  return x * 2.0  // twice\n}\n")
    let changed = SourceFile(path: "a.kiln", text: "kernel k<N = 4>(x: f32[N]) -> f32[N] { return x * 3.0 }")
    let dims = [(name: "N", size: 4)]
    let key = TuneKey(source: base, kernel: "k", dims: dims, target: .trn1)
    #expect(key == TuneKey(source: reformatted, kernel: "k", dims: dims, target: .trn1))
    #expect(key.sourceHash != TuneKey(source: changed, kernel: "k", dims: dims, target: .trn1).sourceHash)
    #expect(key.model != TuneKey(source: base, kernel: "k", dims: dims, target: .trn2).model)
    #expect(key.dims == "N=4" && key.kiln == KilnVersion.string)
}

@Test func theModelFingerprintChangesWithAnyNumberOfTheTarget() {
    var changed = MachineTarget.trn1
    changed.dma.fixedCostNanoseconds += 1
    let source = SourceFile(path: "a.kiln", text: "")
    #expect(TuneKey(source: source, kernel: "k", dims: [], target: .trn1).model
            == TuneKey(source: source, kernel: "k", dims: [], target: .trn1).model)
    #expect(TuneKey(source: source, kernel: "k", dims: [], target: .trn1).model
            != TuneKey(source: source, kernel: "k", dims: [], target: changed).model)
}
