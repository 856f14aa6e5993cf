public import Foundation
public import GatewayRepositories
import Logging
import PostgresNIO

/// The console's sessions in PostgreSQL, shared by every instance: a session opened on one is
/// valid on the others.
public struct PostgresConsoleSessionRepository: ConsoleSessionRepository {
    let database: PostgresGatewayDatabase

    /// The repository over `database`.
    public init(database: PostgresGatewayDatabase) {
        self.database = database
    }

    public func addConsoleSession(_ session: ConsoleSessionRecord, at now: Date) async throws {
        try await database.transaction { connection in
            let logger = database.logger
            try await connection.execute("DELETE FROM console_session WHERE expires_at <= \(now)", logger: logger)
            try await connection.execute(
                "INSERT INTO console_session (id_hash, csrf, expires_at) VALUES (\(session.idHash), \(session.csrf), \(session.expiresAt))",
                logger: logger)
        }
    }

    /// One conditional `UPDATE … RETURNING`: a session that expired (or ended on another instance)
    /// meanwhile is not brought back.
    public func consoleSession(idHash: String, at now: Date, extendedTo: Date) async throws -> ConsoleSessionRecord? {
        guard
            let row = try await database.rows(
                "UPDATE console_session SET expires_at = \(extendedTo) WHERE id_hash = \(idHash) AND expires_at > \(now) RETURNING csrf"
            ).first
        else { return nil }
        return ConsoleSessionRecord(idHash: idHash, csrf: try row.decode(String.self), expiresAt: extendedTo)
    }

    public func endConsoleSession(idHash: String) async throws {
        try await database.execute("DELETE FROM console_session WHERE id_hash = \(idHash)")
    }
}
