public import Foundation
public import GatewayAdapters

/// What an OAuth 2 app's API client is configured with to keep its access token fresh
/// (`GATEWAY_<VENDOR>_CLIENT_ID`, `_CLIENT_SECRET`, `_REFRESH_TOKEN`, `_TOKEN_URL`).
public protocol OAuthAppCredentials: Sendable {
    var clientID: String { get }
    var clientSecret: Secret { get }
    /// The refresh token to start from; a newer one saved in the store wins.
    var refreshToken: Secret { get }
    var tokenURL: URL { get }
}
