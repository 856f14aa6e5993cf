public import Foundation
import GRDB

extension GatewayDatabase {
    /// Where a poller left off (`autotask-contracts` → the highest contract id seen).
    public func pollerCursor(named name: String) async throws -> String? {
        try await pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM poller_cursor WHERE name = ?", arguments: [name]) }
    }

    /// Saved only after the records up to it are in the inbox, so a crash re-polls rather than skips.
    public func savePollerCursor(_ value: String, named name: String, at now: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO poller_cursor (name, value, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """,
                arguments: [name, value, now])
        }
    }
}
