public import Foundation
import GRDB

/// The gateway's SQLite file: the only place that knows SQL.
///
/// WAL mode, one writer connection with `synchronous = FULL` (an acknowledged delivery survives
/// a power cut, not only a crash), a busy timeout so the CLI and a running server can share the
/// file, and migrations applied on open.
public final class GatewayDatabase: Sendable {
    /// The file name inside the data directory.
    public static let fileName = "gateway.sqlite"

    let pool: DatabasePool
    let inbox: GroupCommitInbox
    /// Where the file is.
    public let path: String

    /// Opens (creating if needed) `gateway.sqlite` in `directory`, creating the directory too.
    public convenience init(directory: URL, ingestBatchLimit: Int = 512, ingestLinger: Duration = .zero) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try self.init(path: directory.appendingPathComponent(Self.fileName).path, ingestBatchLimit: ingestBatchLimit, ingestLinger: ingestLinger)
    }

    /// Opens (creating if needed) the database file at `path` and migrates it.
    ///
    /// - Parameters:
    ///   - ingestBatchLimit: the most deliveries one group-commit transaction holds.
    ///   - ingestLinger: how long the ingest writer waits for a transaction to fill (none by default).
    public init(path: String, ingestBatchLimit: Int = 512, ingestLinger: Duration = .zero) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB sets `synchronous = NORMAL` on the writer when it switches to WAL, after
        // `prepareDatabase`; durability needs FULL, so it is set here, on the writer itself.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        try Self.migrator.migrate(pool)
        self.pool = pool
        self.inbox = GroupCommitInbox(pool: pool, maxBatch: ingestBatchLimit, linger: ingestLinger)
        self.path = path
    }

    /// The writer connection's `synchronous` setting (2 is FULL), for tests and `readyz`.
    public func writerSynchronousLevel() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// Writes and rolls back a row: proves the file accepts writes (disk not full, not read-only).
    public func checkWritable() async throws {
        try await pool.writeWithoutTransaction { db in
            try db.inTransaction {
                try db.execute(sql: "INSERT INTO audit_log (at, action, subject, detail) VALUES (?, 'readyz', 'store', '{}')", arguments: [Date()])
                return .rollback
            }
        }
    }

    /// Whether every migration has been applied and the file can be read.
    public func isReady() async throws -> Bool {
        try await pool.read { db in try Self.migrator.hasCompletedMigrations(db) }
    }
}
