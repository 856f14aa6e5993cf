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
    /// The company (realm) this client reads.
    public nonisolated let realmID: String
    private let credentials: Credentials
    private let connection: OAuthAPIConnection

    public init(credentials: Credentials, client: HTTPClient, store: any Repositories, retry: RetryPolicy = RetryPolicy()) {
        self.credentials = credentials
        self.realmID = credentials.realmID
        self.connection = OAuthAPIConnection(
            vendor: "QuickBooks", app: credentials, tokenName: "quickbooks:\(credentials.realmID)", client: client, store: store, retry: retry)
    }

    public func fetch(_ request: EnrichmentRequest) async throws(FetchFailure) -> JSONValue {
        try await fetch(request, retry: nil)
    }

    /// The entity, retried as `retry` says (a backfill waits out 429s) rather than as this client's
    /// other calls are.
    public func fetch(_ request: EnrichmentRequest, retry: RetryPolicy?) async throws(FetchFailure) -> JSONValue {
        guard request.account == credentials.realmID else {
            throw FetchFailure(
                "no QuickBooks credentials for realm \(request.account) (configured: \(credentials.realmID))", transient: false)
        }
        var url = credentials.apiBase.appendingPathComponent("v3/company/\(credentials.realmID)/\(request.entity.lowercased())/\(request.id)")
        url.append(queryItems: [URLQueryItem(name: "minorversion", value: String(credentials.minorVersion))])
        return try await connection.get(url, what: "\(request.entity) \(request.id)", retry: retry)
    }

    /// The answer to a query of the Accounting API's query language
    /// (`GET /v3/company/<realm>/query?query=SELECT * FROM Payment WHERE …`):
    /// `{"QueryResponse": {"Payment": […], "startPosition": 1, "maxResults": …}, "time": …}`.
    ///
    /// - Parameters:
    ///   - what: names the query in reasons (`the Payment query`).
    ///   - retry: how it is retried, when not as this client's other calls are.
    public func query(_ statement: String, what: String, retry: RetryPolicy? = nil) async throws(FetchFailure) -> JSONValue {
        let path = credentials.apiBase.appendingPathComponent("v3/company/\(credentials.realmID)/query").absoluteString
        // Encoded by hand: a statement holds `>=`, quotes and `+` offsets, which a URL's query
        // would otherwise read as separators or spaces.
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let encoded = statement.addingPercentEncoding(withAllowedCharacters: unreserved) ?? statement
        guard let url = URL(string: "\(path)?query=\(encoded)&minorversion=\(credentials.minorVersion)") else {
            throw FetchFailure("the \(what) could not be written as a URL", transient: false)
        }
        return try await connection.get(url, what: what, retry: retry)
    }
}
