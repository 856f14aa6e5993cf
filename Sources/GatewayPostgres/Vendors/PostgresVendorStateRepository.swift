public import Foundation
public import GatewayRepositories
import Logging
import PostgresNIO

/// OAuth tokens and poller cursors in PostgreSQL. Each save is one upsert: when two instances save
/// under one name, the last commit wins whole, never a mix of both.
public struct PostgresVendorStateRepository: VendorStateRepository {
    let database: PostgresGatewayDatabase

    /// The repository in `database`, which must be migrated.
    public init(database: PostgresGatewayDatabase) {
        self.database = database
    }

    public func oauthToken(named name: String) async throws -> OAuthToken? {
        try await database.rows("SELECT refresh_token, access_token, access_expires_at FROM oauth_token WHERE name = \(name)").first.map { row in
            let (refresh, access, expires) = try row.decode((String, String?, Date?).self)
            return OAuthToken(refreshToken: refresh, accessToken: access, accessExpiresAt: expires)
        }
    }

    public func saveOAuthToken(_ token: OAuthToken, named name: String, at now: Date) async throws {
        try await database.execute(
            """
            INSERT INTO oauth_token (name, refresh_token, access_token, access_expires_at, updated_at)
            VALUES (\(name), \(token.refreshToken), \(token.accessToken), \(token.accessExpiresAt), \(now))
            ON CONFLICT (name) DO UPDATE SET refresh_token = excluded.refresh_token, access_token = excluded.access_token,
                access_expires_at = excluded.access_expires_at, updated_at = excluded.updated_at
            """)
    }

    public func pollerCursor(named name: String) async throws -> String? {
        try await database.rows("SELECT value FROM poller_cursor WHERE name = \(name)").first?.decode(String.self)
    }

    public func savePollerCursor(_ value: String, named name: String, at now: Date) async throws {
        try await database.execute(
            """
            INSERT INTO poller_cursor (name, value, updated_at) VALUES (\(name), \(value), \(now))
            ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
            """)
    }
}
