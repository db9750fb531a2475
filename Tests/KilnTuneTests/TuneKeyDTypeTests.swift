// TuneKeyDTypeTests.swift: a generic kernel's tuning key names its dtype bindings; caches from before gain the column.

import CSQLite
import Foundation
import KilnDriver
import KilnMachine
import KilnSource
import KilnTune
import Testing

private let rmsnorm = """
    kernel rmsnorm<T: float, N = 128, D = 256>(x: T[N, D]) -> T[N, D] {
      let y = x as f32
      return (y * rsqrt(mean(y * y, axis: 1) + 1e-6)) as T
    }
    """

private func key(_ text: String, dtypes: [String: ElementType]) throws -> TuneKey {
    let frontEnd = Driver.runFrontEnd(SourceFile(path: "rmsnorm.kiln", text: text), dtypes: dtypes)
    return try TunedSchedule.key(for: TuneProblem(frontEnd: frontEnd, kernel: nil, dims: [:], target: "trn1",
                                                  dtypes: dtypes))
}

private func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "kiln-tune-dtypes-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private func entry(_ key: TuneKey, pipeline: String) -> TuneEntry {
    TuneEntry(key: key, pipeline: pipeline, schedule: "@schedule()", seconds: 1, hfu: 0.5, defaultSeconds: 2,
              candidates: 4, strategy: "random", seed: 1)
}

@Test func tuningAGenericKernelAtTwoDTypesKeysTwoEntries() throws {
    let bf16 = try key(rmsnorm, dtypes: ["T": .bf16])
    let f32 = try key(rmsnorm, dtypes: ["T": .f32])
    #expect(bf16.dtypes == "T=bf16" && f32.dtypes == "T=f32")
    #expect(bf16.sourceHash == f32.sourceHash && bf16.dims == f32.dims && bf16.text != f32.text)
    let directory = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let cache = try TuneCache(directory: directory)
    try cache.store(entry(bf16, pipeline: "for-bf16"))
    try cache.store(entry(f32, pipeline: "for-f32"))
    #expect(try cache.all().count == 2)
    #expect(try cache.lookup(bf16)?.pipeline == "for-bf16")
    #expect(try cache.lookup(f32)?.pipeline == "for-f32")
    #expect(try cache.lookup(bf16)?.key.dtypes == "T=bf16")
    #expect(TuneReport.listing(try cache.all(), path: "p").contains("rmsnorm <T=f32> [N=128,D=256]"))
}

@Test func aDefaultDTypeIsPartOfTheKeyAndAPlainKernelKeepsItsOldKey() throws {
    let defaulted = rmsnorm.replacingOccurrences(of: "T: float,", with: "T: float = f16,")
    #expect(try key(defaulted, dtypes: [:]).dtypes == "T=f16")
    let plain = "kernel k<N = 4>(x: f32[N]) -> f32[N] { return x * 2.0 }"
    let plainKey = try key(plain, dtypes: [:])
    #expect(plainKey.dtypes.isEmpty)
    #expect(plainKey.text == [plainKey.sourceHash, "k", "N=4", "trn1", plainKey.model, KilnVersion.string]
        .joined(separator: "|"))
}

@Test func aCacheWrittenBeforeDTypesGainsTheColumnAndKeepsItsEntries() throws {
    let directory = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var db: OpaquePointer?
    #expect(sqlite3_open(directory + "/tune.sqlite3", &db) == SQLITE_OK)
    let old = """
        CREATE TABLE tuned (key TEXT PRIMARY KEY, source_hash TEXT NOT NULL, kernel TEXT NOT NULL, dims TEXT NOT NULL,
          target TEXT NOT NULL, model TEXT NOT NULL, kiln TEXT NOT NULL, pipeline TEXT NOT NULL, schedule TEXT NOT NULL,
          seconds REAL NOT NULL, hfu REAL NOT NULL, default_seconds REAL NOT NULL, candidates INTEGER NOT NULL,
          strategy TEXT NOT NULL, seed INTEGER NOT NULL, created TEXT NOT NULL);
        INSERT INTO tuned VALUES ('h|k|N=4|trn1|m|0.1.0', 'h', 'k', 'N=4', 'trn1', 'm', '0.1.0', 'tile', '', 1, 0.5, 2,
          3, 'anneal', 7, '2026-01-01T00:00:00Z');
        """
    #expect(sqlite3_exec(db, old, nil, nil, nil) == SQLITE_OK)
    sqlite3_close(db)
    let cache = try TuneCache(directory: directory)
    let oldKey = TuneKey(sourceHash: "h", kernel: "k", dims: "N=4", target: "trn1", model: "m", kiln: "0.1.0")
    #expect(try cache.lookup(oldKey)?.pipeline == "tile")
    var generic = oldKey
    generic.dtypes = "T=bf16"
    try cache.store(entry(generic, pipeline: "generic"))
    #expect(try TuneCache(directory: directory).all().count == 2)
    #expect(try cache.lookup(generic)?.key.dtypes == "T=bf16")
}

@Test func aGenericKernelTunesAndVerifiesAtItsBoundDType() throws {
    let dtypes: [String: ElementType] = ["T": .bf16]
    let frontEnd = Driver.runFrontEnd(SourceFile(path: "rmsnorm.kiln", text: rmsnorm), dtypes: dtypes)
    let problem = TuneProblem(frontEnd: frontEnd, kernel: nil, dims: [:], target: "trn1", dtypes: dtypes)
    let options = TuneOptions(strategy: .random, budget: 2, seed: 3)
    let result = try Tuner(problem: problem, scorer: LocalScorer(problem: problem, jobs: 1), options: options, jobs: 1).run()
    #expect(result.dtypes.map { "\($0.name)=\($0.dtype)" } == ["T=bf16"])
    #expect(result.verified.last?.passed == true)
    #expect(TuneReport.text(result, options: options, cachePath: nil, elapsed: 0).contains("rmsnorm N=128 D=256 T=bf16 on trn1"))
}
