import Foundation
import GRDB
import GatewayRepositories

/// The console's sessions in the SQLite file.
struct SQLiteConsoleSessionRepository: ConsoleSessionRepository {
    let writer: any DatabaseWriter

    func addConsoleSession(_ session: ConsoleSessionRecord, at now: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM console_session WHERE expires_at <= ?", arguments: [now])
            try db.execute(
                sql: "INSERT INTO console_session (id_hash, csrf, expires_at) VALUES (?, ?, ?)",
                arguments: [session.idHash, session.csrf, session.expiresAt])
        }
    }

    func consoleSession(idHash: String, at now: Date, extendedTo: Date) async throws -> ConsoleSessionRecord? {
        try await writer.write { db in
            guard let csrf = try String.fetchOne(db, sql: "SELECT csrf FROM console_session WHERE id_hash = ? AND expires_at > ?", arguments: [idHash, now])
            else { return nil }
            try db.execute(sql: "UPDATE console_session SET expires_at = ? WHERE id_hash = ?", arguments: [extendedTo, idHash])
            return ConsoleSessionRecord(idHash: idHash, csrf: csrf, expiresAt: extendedTo)
        }
    }

    func endConsoleSession(idHash: String) async throws {
        try await writer.write { db in try db.execute(sql: "DELETE FROM console_session WHERE id_hash = ?", arguments: [idHash]) }
    }
}
