import Foundation
import GRDB
import GatewayRepositories

/// OAuth tokens and poller cursors in the SQLite file.
struct SQLiteVendorStateRepository: VendorStateRepository {
    let writer: any DatabaseWriter

    func oauthToken(named name: String) async throws -> OAuthToken? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM oauth_token WHERE name = ?", arguments: [name]).map { row in
                OAuthToken(refreshToken: row["refresh_token"], accessToken: row["access_token"], accessExpiresAt: row["access_expires_at"])
            }
        }
    }

    func saveOAuthToken(_ token: OAuthToken, named name: String, at now: Date) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO oauth_token (name, refresh_token, access_token, access_expires_at, updated_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET refresh_token = excluded.refresh_token, access_token = excluded.access_token,
                        access_expires_at = excluded.access_expires_at, updated_at = excluded.updated_at
                    """,
                arguments: [name, token.refreshToken, token.accessToken, token.accessExpiresAt, now])
        }
    }

    func pollerCursor(named name: String) async throws -> String? {
        try await writer.read { db in try String.fetchOne(db, sql: "SELECT value FROM poller_cursor WHERE name = ?", arguments: [name]) }
    }

    func savePollerCursor(_ value: String, named name: String, at now: Date) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO poller_cursor (name, value, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """,
                arguments: [name, value, now])
        }
    }
}
