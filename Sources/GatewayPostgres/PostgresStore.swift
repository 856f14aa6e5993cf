public import GatewayRepositories
import Logging
import PostgresNIO

/// The gateway's data in PostgreSQL, seen through its repositories: the store several gateway
/// instances share. The database must be migrated (`PostgresGatewayDatabase.migrate()`), and its
/// pool running (`PostgresGatewayDatabase.run()`), while the store is used.
public final class PostgresStore: Repositories {
    public let database: PostgresGatewayDatabase
    public let inbox: any DeliveryInbox
    public let program: any ProgramRepository
    public let ledger: any LedgerRepository
    public let reports: any ReportRepository
    public let vendorState: any VendorStateRepository
    public let portal: any PortalRepository
    public let consoleSessions: any ConsoleSessionRepository
    public let outbox: any OutboxRepository
    public let webhookEndpoints: any WebhookEndpointRepository

    /// The repositories over `database`. `outboundEvents` (the engine's `OutboundEvents`) turns each
    /// write's changes into outbound events, appended to the outbox in the write's own transaction,
    /// as `SQLiteStore(directory:outboundEvents:)` does.
    public init(database: PostgresGatewayDatabase, outboundEvents: any OutboundEventRules) {
        self.database = database
        inbox = PostgresDeliveryInbox(database: database, outbound: outboundEvents)
        program = PostgresProgramRepository(database: database, outbound: outboundEvents)
        ledger = PostgresLedgerRepository(database: database, outbound: outboundEvents)
        reports = PostgresReportRepository(database: database)
        vendorState = PostgresVendorStateRepository(database: database)
        portal = PostgresPortalRepository(database: database, outbound: outboundEvents)
        consoleSessions = PostgresConsoleSessionRepository(database: database)
        outbox = PostgresOutboxRepository(database: database, outbound: outboundEvents)
        webhookEndpoints = PostgresWebhookEndpointRepository(database: database)
    }

    /// `postgres://user@host:port/database`, never the password.
    public var location: String { database.location }

    /// Whether every migration this build knows is applied (and none it does not know).
    ///
    /// - Throws: `PostgresUnavailable` when PostgreSQL cannot be reached (said within seconds).
    public func isReady() async throws -> Bool {
        try await database.isMigrated()
    }

    /// Runs `work` while holding a session-level advisory lock named after `name` and the schema, so
    /// one instance at a time does it; an instance that finds the lock taken skips the work
    /// (`nil`) instead of waiting. The lock goes with its connection, so an instance that dies
    /// mid-work frees it.
    public func exclusively<Result: Sendable>(_ name: String, _ work: () async throws -> Result) async throws -> Result? {
        let logger = database.logger
        return try await database.withConnection { connection in
            // The key is 64 bits of the MD5 of schema and name: the same on every instance.
            let locked = try await connection.execute(
                "SELECT pg_try_advisory_lock(('x' || substr(md5(current_schema() || ':' || \(name)), 1, 16))::bit(64)::bigint)", logger: logger
            ).first?.decode(Bool.self) ?? false
            guard locked else { return nil }
            let unlock: PostgresQuery = "SELECT pg_advisory_unlock(('x' || substr(md5(current_schema() || ':' || \(name)), 1, 16))::bit(64)::bigint)"
            do {
                let result = try await work()
                try await connection.execute(unlock, logger: logger)
                return result
            } catch {
                _ = try? await connection.execute(unlock, logger: logger)
                throw error
            }
        }
    }

    /// Proves the database accepts a write (not read-only, not out of space), without keeping one:
    /// a row of the audit trail, rolled back.
    public func checkWritable() async throws {
        try await database.withConnection { connection in
            let logger = database.logger
            try await connection.execute("BEGIN", logger: logger)
            do {
                try await connection.execute(
                    "INSERT INTO audit_log (at, action, subject, detail) VALUES (now(), 'readyz', 'store', '{}')", logger: logger)
            } catch {
                _ = try? await connection.execute("ROLLBACK", logger: logger)
                throw error
            }
            try await connection.execute("ROLLBACK", logger: logger)
        }
    }
}
