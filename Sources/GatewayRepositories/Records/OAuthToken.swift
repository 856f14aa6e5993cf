public import Foundation

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
