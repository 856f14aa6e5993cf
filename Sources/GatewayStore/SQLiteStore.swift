public import Foundation
import GRDB
public import GatewayRepositories

/// The gateway's embedded store: one SQLite file, through GRDB, behind the repository protocols.
///
/// WAL mode, one writer connection with `synchronous = FULL` (an acknowledged delivery survives
/// a power cut, not only a crash), a busy timeout so the CLI and a running server can share the
/// file, and migrations applied on open. One gateway process serves one file.
public final class SQLiteStore: Repositories {
    /// The file name inside the data directory.
    public static let fileName = "gateway.sqlite"

    let writer: any DatabaseWriter
    public let inbox: any DeliveryInbox
    public let program: any ProgramRepository
    public let ledger: any LedgerRepository
    public let reports: any ReportRepository
    public let vendorState: any VendorStateRepository
    public let portal: any PortalRepository
    public let consoleSessions: any ConsoleSessionRepository
    public let outbox: any OutboxRepository
    public let webhookEndpoints: any WebhookEndpointRepository
    /// Where the file is.
    public let path: String

    public var location: String { path }

    /// Opens (creating if needed) `gateway.sqlite` in `directory`, creating the directory too.
    ///
    /// - Parameters:
    ///   - outboundEvents: the engine's rules for the events each write announces to the outbox
    ///     (in the write's own transaction).
    ///   - ingestBatchLimit: the most deliveries one group-commit transaction holds.
    ///   - ingestLinger: how long the ingest writer waits for a transaction to fill (none by default).
    public convenience init(
        directory: URL, outboundEvents: any OutboundEventRules, ingestBatchLimit: Int = 512, ingestLinger: Duration = .zero
    ) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try self.init(
            path: directory.appendingPathComponent(Self.fileName).path, outboundEvents: outboundEvents, ingestBatchLimit: ingestBatchLimit,
            ingestLinger: ingestLinger)
    }

    /// Opens (creating if needed) the database file at `path` and migrates it.
    public convenience init(
        path: String, outboundEvents: any OutboundEventRules, ingestBatchLimit: Int = 512, ingestLinger: Duration = .zero
    ) throws {
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
            // Every recomputation reads its partition's events and lines back: with SQLite's
            // default 2 MB cache they came from the file system again each batch.
            try db.execute(sql: "PRAGMA cache_size = -16384")
            // The recomputation's scratch tables (its partition) live in memory, not a temporary file.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        try self.init(writer: pool, path: path, outboundEvents: outboundEvents, ingestBatchLimit: ingestBatchLimit, ingestLinger: ingestLinger)
    }

    /// The repositories over any GRDB writer (GRDB's `AppDatabase` pattern): a pool on a file in
    /// production, an in-memory queue where a test wants one. Migrates it.
    init(writer: any DatabaseWriter, path: String, outboundEvents: any OutboundEventRules, ingestBatchLimit: Int, ingestLinger: Duration) throws {
        try writer.read { db in try Self.refuseNewerSchema(db, at: path) }
        try Self.migrator.migrate(writer)
        self.writer = writer
        self.path = path
        inbox = SQLiteDeliveryInbox(
            writer: writer, groupCommit: GroupCommitInbox(writer: writer, maxBatch: ingestBatchLimit, linger: ingestLinger), outbound: outboundEvents)
        program = SQLiteProgramRepository(writer: writer, outbound: outboundEvents)
        ledger = SQLiteLedgerRepository(writer: writer, outbound: outboundEvents)
        reports = SQLiteReportRepository(writer: writer)
        vendorState = SQLiteVendorStateRepository(writer: writer)
        portal = SQLitePortalRepository(writer: writer, outbound: outboundEvents)
        outbox = SQLiteOutboxRepository(writer: writer, outbound: outboundEvents)
        webhookEndpoints = SQLiteWebhookEndpointRepository(writer: writer)
        consoleSessions = SQLiteConsoleSessionRepository(writer: writer)
    }

    /// The writer connection's `synchronous` setting (2 is FULL), for tests and `readyz`.
    public func writerSynchronousLevel() throws -> Int {
        try writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// One SQLite file serves one gateway process: the work always runs.
    public func exclusively<Result: Sendable>(_ name: String, _ work: () async throws -> Result) async throws -> Result? {
        try await work()
    }

    public func checkWritable() async throws {
        try await writer.writeWithoutTransaction { db in
            try db.inTransaction {
                try db.execute(sql: "INSERT INTO audit_log (at, action, subject, detail) VALUES (?, 'readyz', 'store', '{}')", arguments: [Date()])
                return .rollback
            }
        }
    }

    public func isReady() async throws -> Bool {
        try await writer.read { db in try Self.migrator.hasCompletedMigrations(db) }
    }
}
