public import Foundation
import GRDB

/// OAuth tokens of a vendor API the gateway calls. Kept in the store because some vendors
/// (QuickBooks) rotate the refresh token on every refresh: the newest one must survive a restart.
public struct OAuthToken: Sendable, Hashable {
    public var refreshToken: String
    public var accessToken: String?
    public var accessExpiresAt: Date?

    public init(refreshToken: String, accessToken: String? = nil, accessExpiresAt: Date? = nil) {
        self.refreshToken = refreshToken
        self.accessToken = accessToken
        self.accessExpiresAt = accessExpiresAt
    }
}

extension GatewayDatabase {
    /// The token saved under `name` (`quickbooks:<realm>`), if any.
    public func oauthToken(named name: String) async throws -> OAuthToken? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM oauth_token WHERE name = ?", arguments: [name]).map { row in
                OAuthToken(refreshToken: row["refresh_token"], accessToken: row["access_token"], accessExpiresAt: row["access_expires_at"])
            }
        }
    }

    public func saveOAuthToken(_ token: OAuthToken, named name: String, at now: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO oauth_token (name, refresh_token, access_token, access_expires_at, updated_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET refresh_token = excluded.refresh_token, access_token = excluded.access_token,
                        access_expires_at = excluded.access_expires_at, updated_at = excluded.updated_at
                    """,
                arguments: [name, token.refreshToken, token.accessToken, token.accessExpiresAt, now])
        }
    }
}
