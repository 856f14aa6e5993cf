public import AsyncHTTPClient
public import Foundation
public import GatewayAdapters
public import GatewayRepositories

/// The QuickBooks Online Accounting API, for the entities notifications name, through an
/// `OAuthAPIConnection` (tokens refreshed and the rotated refresh token saved in the store,
/// transient failures retried with backoff).
public actor QuickBooksClient: EntityFetcher {
    /// What the operator configures (`GATEWAY_QUICKBOOKS_*`).
    public struct Credentials: OAuthAppCredentials {
        public var realmID: String
        public var clientID: String
        public var clientSecret: Secret
        /// The refresh token to start from; a newer one saved in the store wins.
        public var refreshToken: Secret
        public var apiBase: URL
        public var tokenURL: URL
        public var minorVersion: Int

        public init(
            realmID: String, clientID: String, clientSecret: Secret, refreshToken: Secret,
            apiBase: URL = URL(string: "https://quickbooks.api.intuit.com")!,
            tokenURL: URL = URL(string: "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer")!, minorVersion: Int = 75
        ) {
            self.realmID = realmID
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.refreshToken = refreshToken
            self.apiBase = apiBase
            self.tokenURL = tokenURL
            self.minorVersion = minorVersion
        }
    }

    public nonisolated let connector = "quickbooks"
    private let credentials: Credentials
    private let connection: OAuthAPIConnection

    public init(credentials: Credentials, client: HTTPClient, store: any Repositories, retry: RetryPolicy = RetryPolicy()) {
        self.credentials = credentials
        self.connection = OAuthAPIConnection(
            vendor: "QuickBooks", app: credentials, tokenName: "quickbooks:\(credentials.realmID)", client: client, store: store, retry: retry)
    }

    public func fetch(_ request: EnrichmentRequest) async throws(FetchFailure) -> JSONValue {
        guard request.account == credentials.realmID else {
            throw FetchFailure(
                "no QuickBooks credentials for realm \(request.account) (configured: \(credentials.realmID))", transient: false)
        }
        var url = credentials.apiBase.appendingPathComponent("v3/company/\(credentials.realmID)/\(request.entity.lowercased())/\(request.id)")
        url.append(queryItems: [URLQueryItem(name: "minorversion", value: String(credentials.minorVersion))])
        return try await connection.get(url, what: "\(request.entity) \(request.id)")
    }
}
