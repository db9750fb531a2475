// TuneCache.swift: the persistent tuning cache: one SQLite database (WAL, busy timeout, transactions).

import CSQLite
import Foundation

/// One cached result: the best verified schedule found for a key, and how it was found.
public struct TuneEntry: Sendable, Equatable {
    public var key: TuneKey
    public var pipeline: String
    public var schedule: String
    public var seconds: Double
    public var hfu: Double
    public var defaultSeconds: Double
    public var candidates: Int
    public var strategy: String
    public var seed: UInt64
    /// When it was stored, ISO 8601 UTC.
    public var created: String

    public init(key: TuneKey, pipeline: String, schedule: String, seconds: Double, hfu: Double, defaultSeconds: Double,
                candidates: Int, strategy: String, seed: UInt64, created: String = "") {
        self.key = key
        self.pipeline = pipeline
        self.schedule = schedule
        self.seconds = seconds
        self.hfu = hfu
        self.defaultSeconds = defaultSeconds
        self.candidates = candidates
        self.strategy = strategy
        self.seed = seed
        self.created = created
    }
}

/// The cache at `$KILN_CACHE_DIR/tune.sqlite3`, else `~/.cache/kiln/tune/tune.sqlite3`. Several `kiln tune`
/// processes may write at once: the database runs in WAL mode with a busy timeout, and each store is one
/// `BEGIN IMMEDIATE` transaction that keeps the faster of the stored and the new result.
public final class TuneCache {
    private var db: OpaquePointer?
    public let path: String

    /// The cache folder the environment names.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let dir = environment["KILN_CACHE_DIR"], !dir.isEmpty { return dir }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.cache/kiln/tune"
    }

    /// Opens (creating the folder and schema if needed) the cache in `directory`.
    public init(directory: String = TuneCache.defaultDirectory()) throws(TuneError) {
        path = directory + "/tune.sqlite3"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw TuneError("cannot create the tuning cache folder '\(directory)': \(error.localizedDescription)")
        }
        var handle: OpaquePointer?
        let status = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nil)
        db = handle
        guard status == SQLITE_OK else {
            let reason = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            db = nil
            throw TuneError("cannot open the tuning cache '\(path)': \(reason)")
        }
        sqlite3_busy_timeout(handle, 30_000)
        do throws(TuneError) {
            // Switching a new database to WAL takes an exclusive lock, and SQLite answers "database is locked"
            // without calling the busy handler when two connections race for it: retry for the same 30 s.
            for attempt in 1...300 {
                do throws(TuneError) {
                    try execute("PRAGMA journal_mode=WAL")
                    break
                } catch {
                    let code = sqlite3_errcode(handle) & 0xFF
                    guard attempt < 300, code == SQLITE_BUSY || code == SQLITE_LOCKED else { throw error }
                    usleep(100_000)
                }
            }
            try execute("""
                CREATE TABLE IF NOT EXISTS tuned (
                  key TEXT PRIMARY KEY, source_hash TEXT NOT NULL, kernel TEXT NOT NULL, dims TEXT NOT NULL,
                  target TEXT NOT NULL, model TEXT NOT NULL, kiln TEXT NOT NULL, pipeline TEXT NOT NULL,
                  schedule TEXT NOT NULL, seconds REAL NOT NULL, hfu REAL NOT NULL, default_seconds REAL NOT NULL,
                  candidates INTEGER NOT NULL, strategy TEXT NOT NULL, seed INTEGER NOT NULL, created TEXT NOT NULL,
                  dtypes TEXT NOT NULL DEFAULT '')
                """)
            try addDTypesColumn()
        } catch {
            sqlite3_close(handle)
            db = nil
            throw TuneError("the tuning cache '\(path)' is not a usable database (\(error.message)); remove it to start afresh")
        }
    }

    deinit {
        sqlite3_close(db)
    }

    /// A cache written before generic kernels has no `dtypes` column: add it (empty, which is what those
    /// entries' kernels have). Two tuners may race to add it; the loser's "duplicate column" is success.
    private func addDTypesColumn() throws(TuneError) {
        let statement = try prepare("SELECT 1 FROM pragma_table_info('tuned') WHERE name = 'dtypes'", [])
        let present = sqlite3_step(statement) == SQLITE_ROW
        sqlite3_finalize(statement)
        guard !present else { return }
        do throws(TuneError) {
            try execute("ALTER TABLE tuned ADD COLUMN dtypes TEXT NOT NULL DEFAULT ''")
        } catch {
            guard error.message.contains("duplicate column") else { throw error }
        }
    }

    /// The entry stored for `key`, if any.
    public func lookup(_ key: TuneKey) throws(TuneError) -> TuneEntry? {
        try query("SELECT \(Self.columns) FROM tuned WHERE key = ?", [key.text]).first
    }

    /// Every entry, newest first.
    public func all() throws(TuneError) -> [TuneEntry] {
        try query("SELECT \(Self.columns) FROM tuned ORDER BY created DESC, key", [])
    }

    /// Stores `entry` unless the cache already holds a faster result for its key; returns the entry kept.
    @discardableResult
    public func store(_ entry: TuneEntry) throws(TuneError) -> TuneEntry {
        try execute("BEGIN IMMEDIATE")
        do {
            let created = ISO8601DateFormatter().string(from: Date())
            let key = entry.key
            try run("""
                INSERT INTO tuned (key, source_hash, kernel, dims, target, model, kiln, pipeline, schedule, seconds, hfu,
                                   default_seconds, candidates, strategy, seed, created, dtypes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(key) DO UPDATE SET pipeline = excluded.pipeline, schedule = excluded.schedule,
                  seconds = excluded.seconds, hfu = excluded.hfu, default_seconds = excluded.default_seconds,
                  candidates = excluded.candidates, strategy = excluded.strategy, seed = excluded.seed,
                  created = excluded.created
                WHERE excluded.seconds < tuned.seconds
                """, [key.text, key.sourceHash, key.kernel, key.dims, key.target, key.model, key.kiln, entry.pipeline,
                      entry.schedule, entry.seconds, entry.hfu, entry.defaultSeconds, entry.candidates, entry.strategy,
                      Int64(bitPattern: entry.seed), created, key.dtypes])
            let kept = try lookup(key)
            try execute("COMMIT")
            return kept ?? entry
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    // MARK: SQLite statements

    private static let columns = "source_hash, kernel, dims, target, model, kiln, pipeline, schedule, seconds, hfu, "
        + "default_seconds, candidates, strategy, seed, created, dtypes"

    private func execute(_ sql: String) throws(TuneError) {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(db, sql, nil, nil, &message) == SQLITE_OK else {
            let reason = message.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(message)
            throw TuneError("tuning cache '\(path)': \(reason)")
        }
    }

    private func prepare(_ sql: String, _ values: [Any]) throws(TuneError) -> OpaquePointer {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw TuneError("tuning cache '\(path)': \(String(cString: sqlite3_errmsg(db)))")
        }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case let text as String: sqlite3_bind_text(statement, index, text, -1, transient)
            case let number as Double: sqlite3_bind_double(statement, index, number)
            case let number as Int: sqlite3_bind_int64(statement, index, Int64(number))
            case let number as Int64: sqlite3_bind_int64(statement, index, number)
            default: sqlite3_bind_null(statement, index)
            }
        }
        return statement
    }

    private func run(_ sql: String, _ values: [Any]) throws(TuneError) {
        let statement = try prepare(sql, values)
        defer { sqlite3_finalize(statement) }
        guard sqlite3_step(statement) == SQLITE_DONE else {
            throw TuneError("tuning cache '\(path)': \(String(cString: sqlite3_errmsg(db)))")
        }
    }

    private func query(_ sql: String, _ values: [Any]) throws(TuneError) -> [TuneEntry] {
        let statement = try prepare(sql, values)
        defer { sqlite3_finalize(statement) }
        var entries: [TuneEntry] = []
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else {
                throw TuneError("tuning cache '\(path)': \(String(cString: sqlite3_errmsg(db)))")
            }
            let text = { (column: Int32) in sqlite3_column_text(statement, column).map { String(cString: $0) } ?? "" }
            let key = TuneKey(sourceHash: text(0), kernel: text(1), dims: text(2), dtypes: text(15), target: text(3),
                              model: text(4), kiln: text(5))
            entries.append(TuneEntry(key: key, pipeline: text(6), schedule: text(7), seconds: sqlite3_column_double(statement, 8),
                                     hfu: sqlite3_column_double(statement, 9),
                                     defaultSeconds: sqlite3_column_double(statement, 10),
                                     candidates: Int(sqlite3_column_int64(statement, 11)), strategy: text(12),
                                     seed: UInt64(bitPattern: sqlite3_column_int64(statement, 13)), created: text(14)))
        }
        return entries
    }
}
